"""Suspension: sessions end at once, requests are withdrawn, content can be hidden, the member
leaves the directory and suggestions, and sees why when logging in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.models import ConnectionRequest, Suggestion
from connections.network import suggestions_for
from groups.models import JoinRequest, Post
from profiles.models import Profile, User


@pytest.fixture
def suspended_bob(bob, staff):
    def suspend(**kwargs):
        bob.suspend(by=staff, reason="Spam ripetuto nei gruppi", **kwargs)
        return bob

    return suspend


def test_a_suspended_members_existing_session_is_refused_on_the_next_request(
    bob_client, bob, suspended_bob
):
    assert bob_client.get(reverse("groups:mine")).status_code == 200

    suspended_bob()
    response = bob_client.get(reverse("groups:mine"))

    assert response.status_code == 302
    assert response["Location"] == reverse("suspension_notice")
    notice = bob_client.get(response["Location"])
    assert notice.status_code == 403
    assert "Spam ripetuto nei gruppi" in notice.content.decode()
    # Logged out for good: the next page is the anonymous one.
    assert "_auth_user_id" not in bob_client.session
    assert bob_client.get(reverse("groups:mine")).status_code == 302


def test_an_htmx_request_of_a_suspended_member_is_sent_to_the_notice(bob_client, suspended_bob):
    suspended_bob()
    response = bob_client.get(reverse("groups:list"), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == reverse("suspension_notice")


def test_logging_in_while_suspended_shows_the_explanation(client, bob, password, suspended_bob):
    suspended_bob(until=timezone.now() + timedelta(days=3))

    client.post(reverse("account_login"), {"login": bob.email, "password": password})
    page = client.get(reverse("home"), follow=True)

    assert page.status_code == 403
    assert 'data-testid="suspension-until"' in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_suspension_that_ended_lets_the_member_back(bob_client, bob, staff):
    bob.suspend(by=staff, reason="Breve", until=timezone.now() - timedelta(minutes=1))

    assert not bob.is_suspended
    assert bob_client.get(reverse("groups:mine")).status_code == 200


def test_the_queryset_and_the_property_agree(make_user, staff):
    now = timezone.now()
    cases = {
        "never": None,
        "forever": {"until": None},
        "until-tomorrow": {"until": now + timedelta(days=1)},
        "ended": {"until": now - timedelta(days=1)},
    }
    expected = {"forever", "until-tomorrow"}  # written by hand, not computed
    users = {}
    for name, suspension in cases.items():
        user = make_user(f"{name}@example.com", name)
        if suspension is not None:
            user.suspend(by=staff, reason="Prova", **suspension)
        users[name] = user

    suspended = set(User.objects.suspended().values_list("display_name", flat=True))
    assert suspended == expected
    assert {n for n, u in users.items() if User.objects.get(pk=u.pk).is_suspended} == expected
    assert set(User.objects.not_suspended().values_list("display_name", flat=True)) >= (
        set(cases) - expected
    )


def test_pending_requests_are_withdrawn(closed_group, carol, dave, staff):
    ConnectionRequest.send(carol, dave, "Ciao!")
    assert JoinRequest.objects.pending().filter(user=carol).exists()

    carol.suspend(by=staff, reason="Profilo falso")

    assert not JoinRequest.objects.pending().filter(user=carol).exists()
    assert JoinRequest.objects.get(user=carol).status == "withdrawn"
    closed_group.refresh_from_db()
    assert closed_group.pending_count == 0
    assert ConnectionRequest.objects.get(sender=carol).status == "withdrawn"


def test_their_content_can_be_hidden_in_bulk(closed_group, bob, alice, staff):
    question = Post.ask(closed_group, bob, title="Promo", body="Compra")
    answer = question.answer(bob, body="Compra ancora")
    comment = question.comment(bob, body="E ancora")
    others = question.answer(alice, body="No grazie")

    bob.suspend(by=staff, reason="Spam", hide_content=True)

    for item in (question, answer, comment):
        item.refresh_from_db()
        assert item.is_hidden
    others.refresh_from_db()
    assert not others.is_hidden


def test_suspended_members_leave_the_directory_and_suggestions(dave, dave_client, bob, staff):
    Profile.objects.filter(user=bob).update(headline="Copywriter")
    Suggestion.objects.create(user=dave, candidate=bob, rank=1, mutual_count=1)
    listed = dave_client.get(reverse("directory"))
    assert f'data-member="{bob.pk}"'.encode() in listed.content
    assert [s.candidate_id for s in suggestions_for(dave)] == [bob.pk]

    bob.suspend(by=staff, reason="Spam")

    assert f'data-member="{bob.pk}"'.encode() not in dave_client.get(reverse("directory")).content
    assert list(suggestions_for(dave)) == []
