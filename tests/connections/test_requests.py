"""Answering and withdrawing requests: /rete/richieste/<pk>/ (accept, decline, ignore, withdraw)."""

import pytest

from connections.models import Connection, ConnectionRequest
from profiles.models import Notification


def url(connection_request) -> str:
    return f"/rete/richieste/{connection_request.pk}/"


@pytest.fixture
def pending(request_from, dave, erin):
    return request_from(dave, erin, "Ciao Erica, ci siamo visti al gruppo.")


def test_recipient_accepts_and_they_are_connected(pending, erin_client, dave, erin):
    response = erin_client.post(url(pending), {"action": "accept"})

    assert response.status_code == 302
    assert response["Location"] == "/rete/"
    assert Connection.objects.between(dave.pk, erin.pk).exists()
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.ACCEPTED


def test_accepting_with_htmx_returns_the_card_with_the_result(pending, erin_client, dave, erin):
    response = erin_client.post(url(pending), {"action": "accept"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="request-{pending.pk}"' in html
    assert 'data-testid="request-result"' in html
    assert 'data-testid="accept"' not in html
    assert Connection.objects.between(dave.pk, erin.pk).exists()


def test_accepting_notifies_the_sender_with_a_link_to_the_accepting_profile(
    pending, erin_client, dave, erin
):
    erin_client.post(url(pending), {"action": "accept"})

    notification = Notification.objects.get(recipient=dave, kind="connection-accepted")
    assert notification.url == erin.get_absolute_url()
    assert dave.pk != erin.pk
    request_note = Notification.objects.get(recipient=erin, kind="connection-request")
    assert request_note.url == "/rete/"
    assert erin_client.get(request_note.url).status_code == 200


@pytest.mark.parametrize(
    ("action", "status"),
    [("decline", ConnectionRequest.Status.DECLINED), ("ignore", ConnectionRequest.Status.IGNORED)],
)
def test_recipient_declines_or_ignores_without_connecting(
    pending, erin_client, dave, erin, action, status
):
    response = erin_client.post(url(pending), {"action": action}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == status
    assert not Connection.objects.between(dave.pk, erin.pk).exists()


def test_an_ignored_request_leaves_the_inbox_but_still_looks_pending_to_the_sender(
    pending, erin_client, dave_client
):
    erin_client.post(url(pending), {"action": "ignore"})

    assert 'data-testid="request-card"' not in erin_client.get("/rete/").content.decode()
    outgoing = dave_client.get("/rete/").context["outgoing"]()
    assert [r.pk for r in outgoing] == [pending.pk]


def test_sender_withdraws(pending, dave_client):
    response = dave_client.post(
        url(pending), {"action": "withdraw"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.WITHDRAWN


def test_sender_cannot_accept_their_own_request(pending, dave_client, dave, erin):
    response = dave_client.post(url(pending), {"action": "accept"})

    assert response.status_code == 404
    assert not Connection.objects.between(dave.pk, erin.pk).exists()


def test_recipient_cannot_withdraw_the_senders_request(pending, erin_client):
    assert erin_client.post(url(pending), {"action": "withdraw"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.PENDING


def test_someone_elses_request_is_404(pending, bob_client):
    for action in ("accept", "decline", "ignore", "withdraw"):
        assert bob_client.post(url(pending), {"action": action}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.PENDING


def test_anonymous_is_sent_to_log_in(pending, client):
    response = client.post(url(pending), {"action": "accept"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.PENDING


def test_get_is_405(pending, erin_client):
    assert erin_client.get(url(pending)).status_code == 405


@pytest.mark.parametrize("action", ["", "delete", "accept\x00", "x" * 5000])
def test_an_unknown_action_is_a_clear_400(pending, erin_client, action):
    response = erin_client.post(url(pending), {"action": action})

    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.PENDING


def test_an_unknown_request_is_404(erin_client, db):
    assert erin_client.post("/rete/richieste/999999/", {"action": "accept"}).status_code == 404


def test_answering_twice_is_a_friendly_no_op(pending, erin_client, dave, erin):
    erin_client.post(url(pending), {"action": "accept"})
    response = erin_client.post(url(pending), {"action": "decline"}, follow=True)

    assert response.status_code == 200
    assert "già" in response.content.decode() or "already" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.ACCEPTED
    assert Connection.objects.between(dave.pk, erin.pk).count() == 1
