"""Group views: forms and their errors, htmx branches, search, and the method guards."""

import pytest
from django.urls import reverse

from groups.models import Group, JoinRequest, Sector


def create_payload(**overrides):
    sector = Sector.objects.get(slug="scrittura-ed-editoria")
    data = {
        "name": "Traduttori editoriali",
        "slug": "",
        "sector": sector.pk,
        "visibility": "closed",
        "language": "it",
        "description": "Chi traduce **libri**. <script>alert(1)</script>",
        "rules": "- Niente spam",
        "membership_question": "Da quale lingua traduci?",
    }
    data.update(overrides)
    return data


def test_creating_a_group_makes_the_creator_its_owner(dave_client, dave, sector):
    response = dave_client.post(reverse("groups:create"), create_payload())

    group = Group.objects.get(slug="traduttori-editoriali")
    assert response.status_code == 302
    assert response["Location"] == group.get_absolute_url()
    assert group.creator == dave
    assert group.memberships.get(user=dave).role == "owner"
    assert group.member_count == 1
    assert "<strong>libri</strong>" in group.description_html
    assert "<script>" not in group.description_html
    assert "<li>Niente spam</li>" in group.rules_html


def test_unverified_user_cannot_create_a_group(make_user, sector):
    from django.test import Client

    user = make_user("nuovo@example.com", "Nuovo", verified=False)
    client = Client()
    client.force_login(user, backend="profiles.backends.ModelBackend")

    response = client.post(reverse("groups:create"), create_payload())

    assert response.status_code == 403
    assert not Group.objects.filter(slug="traduttori-editoriali").exists()


def test_overlong_name_is_a_form_error(dave_client, sector):
    response = dave_client.post(reverse("groups:create"), create_payload(name="x" * 81))

    assert response.status_code == 400
    assert b'data-testid="error-name"' in response.content
    assert not Group.objects.exists()


def test_duplicate_slug_is_a_form_error(dave_client, closed_group):
    response = dave_client.post(reverse("groups:create"), create_payload(name="Copywriter Italia"))

    assert response.status_code == 400
    assert b'data-testid="error-slug"' in response.content
    assert Group.objects.filter(slug="copywriter-italia").count() == 1


@pytest.mark.parametrize("slug", ["nuovo", "miei", "con spazi"])
def test_reserved_or_invalid_slug_is_a_form_error(dave_client, sector, slug):
    response = dave_client.post(reverse("groups:create"), create_payload(slug=slug))

    assert response.status_code == 400
    assert b'data-testid="error-slug"' in response.content
    assert not Group.objects.exists()


def test_forged_sector_is_a_form_error(dave_client, sector):
    response = dave_client.post(reverse("groups:create"), create_payload(sector="999999"))

    assert response.status_code == 400
    assert b'data-testid="error-sector"' in response.content


def test_join_form_shows_rules_and_question(dave_client, closed_group):
    response = dave_client.get(reverse("groups:join", args=[closed_group.slug]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Per chi scrivi oggi?" in content
    assert "Niente autopromozione" in content


def test_empty_answer_to_required_question_is_a_form_error(dave_client, dave, closed_group):
    response = dave_client.post(
        reverse("groups:join", args=[closed_group.slug]), {"accept_rules": "on", "answer": ""}
    )

    assert response.status_code == 400
    assert b'data-testid="error-answer"' in response.content
    assert not JoinRequest.objects.filter(user=dave).exists()


def test_rules_must_be_accepted(dave_client, dave, closed_group):
    response = dave_client.post(
        reverse("groups:join", args=[closed_group.slug]), {"answer": "Per le banche"}
    )

    assert response.status_code == 400
    assert b'data-testid="error-accept_rules"' in response.content
    assert not JoinRequest.objects.filter(user=dave).exists()


def test_request_stores_answer_and_note_and_shows_pending(dave_client, dave, closed_group):
    response = dave_client.post(
        reverse("groups:join", args=[closed_group.slug]),
        {"accept_rules": "on", "answer": "Per le banche", "note": "Ciao Alice"},
        follow=True,
    )

    join_request = JoinRequest.objects.get(user=dave)
    assert (join_request.answer, join_request.note, join_request.status) == (
        "Per le banche",
        "Ciao Alice",
        "pending",
    )
    assert b'data-testid="pending"' in response.content
    assert b'data-testid="withdraw"' in response.content
    closed_group.refresh_from_db()
    assert closed_group.pending_count == 2


def test_request_without_a_question_needs_no_answer(dave_client, dave, closed_group):
    Group.objects.filter(pk=closed_group.pk).update(membership_question="")

    response = dave_client.post(
        reverse("groups:join", args=[closed_group.slug]), {"accept_rules": "on"}
    )

    assert response.status_code == 302
    assert JoinRequest.objects.get(user=dave).answer == ""


def test_rejected_requester_sees_the_cooldown(dave_client, dave, closed_group, alice):
    closed_group.request_to_join(dave, answer="x").reject(by=alice)

    content = dave_client.get(closed_group.get_absolute_url()).content

    assert b'data-testid="cooldown"' in content
    assert b'data-testid="ask-to-join"' not in content


def test_open_group_join_with_htmx_redirects_the_client(dave_client, dave, open_group):
    response = dave_client.post(
        reverse("groups:join", args=[open_group.slug]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == open_group.get_absolute_url()
    assert open_group.memberships.filter(user=dave).exists()


@pytest.mark.parametrize(
    "name", ["join", "withdraw", "leave", "bulk_approve", "decide", "member_action", "ban_lift"]
)
def test_actions_refuse_get_or_put(alice_client, closed_group, bob, name):
    args = {"decide": [1], "member_action": [bob.pk], "ban_lift": [bob.pk]}.get(name, [])
    url = reverse(f"groups:{name}", args=[closed_group.slug, *args])

    response = alice_client.put(url)

    assert response.status_code == 405
    if name != "join":
        assert alice_client.get(url).status_code == 405


@pytest.mark.parametrize("name", ["list", "mine"])
def test_pages_refuse_post(alice_client, closed_group, name):
    assert alice_client.post(reverse(f"groups:{name}")).status_code == 405


def test_detail_refuses_post(alice_client, closed_group):
    assert alice_client.post(closed_group.get_absolute_url()).status_code == 405


def test_unknown_group_is_404(alice_client, db):
    assert alice_client.get(reverse("groups:detail", args=["non-esiste"])).status_code == 404


# Browsing ---------------------------------------------------------------------------------


def test_search_by_text_and_filter_by_sector(client, closed_group, open_group, alice):
    legal = Sector.objects.get(slug="legale")
    Group.create_with_owner(alice, name="Avvocati del lavoro", slug="avvocati", sector=legal)

    by_text = client.get(reverse("groups:list"), {"q": "copywriter"}).content.decode()
    by_sector = client.get(reverse("groups:list"), {"settore": "legale"}).content.decode()

    assert "Copywriter Italia" in by_text and "Avvocati del lavoro" not in by_text
    assert "Avvocati del lavoro" in by_sector and "Copywriter Italia" not in by_sector


def test_list_marks_my_groups_and_pending_requests(carol_client, closed_group, open_group):
    content = carol_client.get(reverse("groups:list")).content.decode()

    assert content.count("Richiesta in attesa") == 1


def test_bogus_page_and_sector_do_not_500(client, closed_group):
    response = client.get(reverse("groups:list"), {"pagina": "abc", "settore": "<x>", "q": "'"})

    assert response.status_code == 200


def test_my_groups_lists_seats_and_pending_requests(bob_client, carol_client, closed_group):
    assert "Copywriter Italia" in bob_client.get(reverse("groups:mine")).content.decode()
    carol_page = carol_client.get(reverse("groups:mine")).content.decode()
    assert reverse("groups:withdraw", args=[closed_group.slug]) in carol_page


def test_closed_group_card_is_public_but_inside_is_not(client, closed_group):
    content = client.get(closed_group.get_absolute_url()).content.decode()

    assert "Copywriter Italia" in content
    assert "<strong>mestiere</strong>" in content
    assert "Niente autopromozione" in content
    assert 'data-member-count="3"' in content
    assert 'id="threads"' not in content
    assert "Roberto Bianchi" not in content
    assert 'data-testid="members-only"' in content


# The queue ---------------------------------------------------------------------------------


def test_queue_card_shows_requester_account_age_and_answer(alice_client, closed_group):
    content = alice_client.get(reverse("groups:queue", args=[closed_group.slug])).content

    assert b"Carolina Esposito" in content
    assert b"Schede prodotto per l&#x27;e-commerce." in content
    assert b"Su Gilda da" in content
    assert b'data-testid="queue-count">1<' in content


def test_queue_card_shows_the_requester_profile_summary_without_a_hidden_city(
    alice_client, closed_group, carol
):
    from groups.models import Sector
    from profiles.models import Profile

    profile = carol.profile
    profile.headline = "Copywriter per la moda"
    profile.sector = Sector.objects.get(slug="scrittura-ed-editoria")
    profile.city, profile.region = "Lodi", "Lombardia"
    profile.location_visibility = Profile.LocationVisibility.REGION
    profile.save()

    content = alice_client.get(reverse("groups:queue", args=[closed_group.slug])).content.decode()

    assert "Copywriter per la moda · Scrittura ed editoria · Lombardia" in content
    assert "Lodi" not in content
    assert f'href="{carol.get_absolute_url()}"' in content


def test_group_page_shows_the_queue_badge_to_moderators(moderator_client, bob_client, closed_group):
    badge = b'data-testid="queue-badge">1<'

    assert badge in moderator_client.get(closed_group.get_absolute_url()).content
    assert badge not in bob_client.get(closed_group.get_absolute_url()).content


def test_htmx_approve_returns_the_card_and_the_new_badge(alice_client, carol, closed_group):
    join_request = closed_group.join_requests.get(user=carol)

    response = alice_client.post(
        reverse("groups:decide", args=[closed_group.slug, join_request.pk]),
        {"decision": "approve"},
        headers={"HX-Request": "true"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert f'id="request-{join_request.pk}"' in content
    assert 'data-testid="outcome"' in content
    assert 'hx-swap-oob="true">0<' in content
    assert closed_group.memberships.filter(user=carol).exists()


def test_reject_with_a_preset_reason(alice_client, carol, closed_group):
    join_request = closed_group.join_requests.get(user=carol)

    alice_client.post(
        reverse("groups:decide", args=[closed_group.slug, join_request.pk]),
        {"decision": "reject", "preset": "off-topic"},
    )

    join_request.refresh_from_db()
    assert join_request.status == "rejected"
    assert join_request.reason == "Il tuo profilo non corrisponde al settore del gruppo."


def test_written_reason_wins_over_the_preset(alice_client, carol, closed_group):
    join_request = closed_group.join_requests.get(user=carol)

    alice_client.post(
        reverse("groups:decide", args=[closed_group.slug, join_request.pk]),
        {"decision": "reject", "preset": "answer", "reason": "Solo per professionisti"},
    )

    join_request.refresh_from_db()
    assert join_request.reason == "Solo per professionisti"


def test_deciding_twice_tells_the_second_moderator(
    alice_client, moderator_client, carol, closed_group
):
    join_request = closed_group.join_requests.get(user=carol)
    url = reverse("groups:decide", args=[closed_group.slug, join_request.pk])
    alice_client.post(url, {"decision": "approve"})

    response = moderator_client.post(url, {"decision": "reject"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b'data-testid="decision-error"' in response.content
    join_request.refresh_from_db()
    assert join_request.status == "approved"


def test_bogus_decision_is_refused_without_a_500(alice_client, carol, closed_group):
    join_request = closed_group.join_requests.get(user=carol)

    response = alice_client.post(
        reverse("groups:decide", args=[closed_group.slug, join_request.pk]),
        {"decision": "delete-everything", "reason": "x" * 600},
    )

    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == "pending"


def test_forged_request_id_from_another_group_is_404(
    alice_client, closed_group, open_group, dave, moderator
):
    foreign_group = Group.create_with_owner(
        moderator, name="Altro", slug="altro", sector=closed_group.sector, visibility="closed"
    )
    foreign = foreign_group.request_to_join(dave)

    response = alice_client.post(
        reverse("groups:decide", args=[closed_group.slug, foreign.pk]), {"decision": "approve"}
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "pending"


@pytest.mark.parametrize("forged", [["999999"], ["abc"], []])
def test_bulk_approve_with_forged_ids_changes_nothing(alice_client, closed_group, carol, forged):
    response = alice_client.post(
        reverse("groups:bulk_approve", args=[closed_group.slug]), {"requests": forged}
    )

    assert response.status_code == 302
    assert closed_group.join_requests.get(user=carol).status == "pending"


def test_bulk_approve_seats_everyone_selected(alice_client, closed_group, dave, make_user):
    erin = make_user("erin@example.com", "Erica")
    closed_group.request_to_join(dave, answer="a")
    closed_group.request_to_join(erin, answer="b")
    ids = list(closed_group.join_requests.pending().values_list("pk", flat=True))

    alice_client.post(reverse("groups:bulk_approve", args=[closed_group.slug]), {"requests": ids})

    closed_group.refresh_from_db()
    assert closed_group.pending_count == 0
    assert closed_group.member_count == 6


def test_member_action_on_a_non_member_is_404(alice_client, closed_group, dave):
    response = alice_client.post(
        reverse("groups:member_action", args=[closed_group.slug, dave.pk]), {"action": "ban"}
    )

    assert response.status_code == 404


def test_owner_cannot_leave_through_the_view(alice_client, alice, closed_group):
    response = alice_client.post(reverse("groups:leave", args=[closed_group.slug]), follow=True)

    assert closed_group.memberships.get(user=alice).is_owner
    assert "Cedi la proprietà" in response.content.decode()


def test_queue_card_tells_how_many_groups_the_requester_is_in(
    alice_client, closed_group, open_group, carol
):
    open_group.join(carol)

    content = alice_client.get(reverse("groups:queue", args=[closed_group.slug])).content

    assert b"in 1 gruppo" in content


@pytest.mark.parametrize(
    "path",
    [
        "",
        "copywriter-italia/",
        "copywriter-italia/membri/",
        "copywriter-italia/richieste/",
        "copywriter-italia/unisciti/",
        "nuovo/",
        "miei/",
        "copywriter-italia/registro/",
    ],
)
def test_group_pages_keep_the_strict_csp(alice_client, dave_client, closed_group, path):
    import re

    client = dave_client if path.endswith("unisciti/") else alice_client

    response = client.get(f"/gruppi/{path}")

    assert response.status_code == 200
    assert b" style=" not in response.content
    assert b"<style" not in response.content
    assert not re.search(rb"\son[a-z]+=", response.content)
    assert not re.search(rb"hx-on", response.content)


def test_lifting_a_ban_that_does_not_exist_is_404(alice_client, closed_group, dave):
    response = alice_client.post(reverse("groups:ban_lift", args=[closed_group.slug, dave.pk]))

    assert response.status_code == 404


def test_lifted_ban_lets_the_person_ask_again(alice_client, closed_group, dave, alice):
    closed_group.ban(dave, by=alice, reason="Spam")

    alice_client.post(reverse("groups:ban_lift", args=[closed_group.slug, dave.pk]))

    assert closed_group.request_to_join(dave, answer="Scusate").is_pending
