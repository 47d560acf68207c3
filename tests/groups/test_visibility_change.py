"""Opening or closing a group (issue 19, item 6): the owner's alone, confirmed when it makes
closed discussions public, and written in the moderation log."""

import pytest
from django.urls import reverse

from groups.models import GroupActionError, ModerationLog, Post


def edit_data(group, **changes) -> dict:
    data = {
        "name": group.name,
        "sector": group.sector_id,
        "visibility": group.visibility,
        "language": group.language,
        "description": group.description,
        "rules": group.rules,
        "membership_question": group.membership_question,
    }
    return {**data, **changes}


@pytest.fixture
def closed_thread(closed_group, bob):
    return Post.ask(closed_group, bob, title="Segreto professionale?", body="Solo tra noi.")


def test_a_moderator_who_is_not_the_owner_cannot_open_a_closed_group(
    moderator_client, closed_group, closed_thread, client
):
    url = reverse("groups:edit", args=[closed_group.slug])

    moderator_client.post(url, edit_data(closed_group, visibility="open", confirm_opening="on"))

    closed_group.refresh_from_db()
    assert closed_group.is_closed
    thread_url = reverse("groups:thread", args=[closed_group.slug, closed_thread.pk])
    # Still closed: a logged-out visitor gets the group's card (403), nothing of the thread.
    response = client.get(thread_url)
    assert response.status_code == 403
    assert "Segreto professionale" not in response.content.decode()
    assert not ModerationLog.objects.filter(action="visibility").exists()


def test_the_moderator_still_edits_the_rest_of_the_group(moderator_client, closed_group):
    url = reverse("groups:edit", args=[closed_group.slug])

    response = moderator_client.post(url, edit_data(closed_group, name="Copywriter d'Italia"))

    assert response.status_code == 302
    closed_group.refresh_from_db()
    assert closed_group.name == "Copywriter d'Italia"
    assert closed_group.is_closed


def test_opening_needs_a_confirmation_that_says_what_becomes_public(
    alice_client, closed_group, closed_thread
):
    url = reverse("groups:edit", args=[closed_group.slug])
    page = alice_client.get(url).content.decode()
    assert "1 domande" in page and "0 risposte" in page

    response = alice_client.post(url, edit_data(closed_group, visibility="open"))

    assert response.status_code == 400
    assert "spunta per confermare" in response.content.decode()
    closed_group.refresh_from_db()
    assert closed_group.is_closed


def test_the_owner_opens_the_group_after_confirming_and_the_log_says_so(
    alice_client, alice, closed_group, closed_thread, client
):
    url = reverse("groups:edit", args=[closed_group.slug])

    response = alice_client.post(
        url, edit_data(closed_group, visibility="open", confirm_opening="on")
    )

    assert response.status_code == 302
    closed_group.refresh_from_db()
    assert closed_group.is_open
    entry = ModerationLog.objects.get(group=closed_group, action="visibility")
    assert entry.actor == alice
    assert entry.reason == "closed → open"
    # The documented decision: what was written while closed is public from now on.
    thread_url = reverse("groups:thread", args=[closed_group.slug, closed_thread.pk])
    assert client.get(thread_url).status_code == 200


def test_closing_an_open_group_needs_no_confirmation_and_is_logged(alice_client, open_group):
    url = reverse("groups:edit", args=[open_group.slug])

    response = alice_client.post(url, edit_data(open_group, visibility="closed"))

    assert response.status_code == 302
    open_group.refresh_from_db()
    assert open_group.is_closed
    assert ModerationLog.objects.get(group=open_group).reason == "open → closed"


def test_staff_may_change_the_visibility(staff, closed_group):
    assert closed_group.change_visibility("open", by=staff)
    assert ModerationLog.objects.get(action="visibility").actor == staff


def test_the_model_refuses_a_moderator_too(closed_group, moderator):
    with pytest.raises(GroupActionError):
        closed_group.change_visibility("open", by=moderator)
    closed_group.refresh_from_db()
    assert closed_group.is_closed


def test_the_log_page_names_the_change(alice_client, alice, closed_group):
    closed_group.change_visibility("open", by=alice)

    page = alice_client.get(reverse("groups:log", args=[closed_group.slug])).content.decode()

    assert "Ha cambiato chi può leggere il gruppo" in page
