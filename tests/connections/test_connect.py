"""Sending a request with a personal message: /rete/persone/<id>/connetti/."""

import pytest
from django.test import override_settings

from connections.models import REQUEST_MESSAGE_MAX, Block, Connection, ConnectionRequest
from groups.models import Group


def url(member) -> str:
    return f"/rete/persone/{member.pk}/connetti/"


def test_form_is_prefilled_with_a_group_both_are_in(dave_client, dave, erin, open_group):
    open_group.join(dave)
    open_group.join(erin)

    response = dave_client.get(url(erin))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ciao Erica, ci siamo conosciuti nel gruppo “Social media manager”" in html
    assert f"/{REQUEST_MESSAGE_MAX}" in html  # the length counter
    assert 'data-char-counter="message-' in html


def test_a_closed_group_is_never_named_to_someone_outside_it(dave_client, closed_group, bob, dave):
    # Bob is in the closed group, Dave is not: Dave's message must not name it.
    response = dave_client.get(url(bob))

    html = response.content.decode()
    assert closed_group.name not in html
    assert "Ciao Roberto, mi farebbe piacere aggiungerti alla mia rete" in html


def test_a_closed_group_both_are_in_may_be_named(bob_client, closed_group, moderator):
    html = bob_client.get(url(moderator)).content.decode()

    assert "ci siamo conosciuti nel gruppo “Copywriter Italia”" in html


def test_htmx_get_returns_the_inline_form_fragment(dave_client, erin):
    response = dave_client.get(url(erin), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert f'id="connect-panel-{erin.pk}"' in html
    assert 'data-testid="request-form"' in html


def test_sending_stores_the_request_and_notifies(
    dave_client, dave, erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = dave_client.post(url(erin), {"message": "  Ciao Erica, ti ho letto.  "})

    assert response.status_code == 302
    assert response["Location"] == erin.get_absolute_url()
    sent = ConnectionRequest.objects.get(sender=dave, recipient=erin)
    assert sent.message == "Ciao Erica, ti ho letto."
    assert sent.status == ConnectionRequest.Status.PENDING
    assert erin.notifications.filter(kind="connection-request", url="/rete/").exists()


def test_sending_with_htmx_swaps_the_panel_to_request_sent(dave_client, dave, erin):
    response = dave_client.post(url(erin), {"message": "Ciao"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="state-sent"' in html
    assert ConnectionRequest.objects.filter(sender=dave, recipient=erin).count() == 1


def test_sending_twice_keeps_one_request(dave_client, dave, erin):
    dave_client.post(url(erin), {"message": "Ciao"})
    dave_client.post(url(erin), {"message": "Ciao di nuovo"})

    assert ConnectionRequest.objects.filter(sender=dave, recipient=erin).count() == 1


def test_a_request_back_connects_at_once(dave_client, dave, erin, request_from):
    request_from(erin, dave, "Ciao Davide")

    response = dave_client.post(url(erin), {"message": "Ciao!"}, follow=True)

    assert Connection.objects.between(dave.pk, erin.pk).exists()
    assert "una connessione tra te e Erica Marino." in response.content.decode()


def test_a_message_too_long_is_refused_clearly_and_kept(dave_client, dave, erin):
    long = "a" * (REQUEST_MESSAGE_MAX + 1)

    response = dave_client.post(url(erin), {"message": long})

    assert response.status_code == 200
    assert 'data-testid="error-message"' in response.content.decode()
    assert long in response.content.decode()  # nothing the member typed is lost
    assert not ConnectionRequest.objects.exists()


def test_nul_bytes_are_refused_clearly(dave_client, erin):
    response = dave_client.post(
        url(erin), {"message": "Ciao\x00Erica"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'data-testid="error-message"' in response.content.decode()
    assert not ConnectionRequest.objects.exists()


def test_connecting_to_yourself_is_refused_clearly(dave_client, dave):
    response = dave_client.post(url(dave), {"message": "Io e me"})

    assert response.status_code == 200
    assert "Non puoi collegarti con te stesso." in response.content.decode()
    assert not ConnectionRequest.objects.exists()


@pytest.mark.parametrize("who_blocks", ["dave", "erin"])
def test_a_blocked_pair_cannot_connect_and_the_message_does_not_say_who(
    dave_client, dave, erin, who_blocks
):
    blocker, blocked = (dave, erin) if who_blocks == "dave" else (erin, dave)
    Block.block(blocker, blocked)

    response = dave_client.post(url(erin), {"message": "Ciao"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Non puoi collegarti con questo membro." in html
    assert not ConnectionRequest.objects.filter(status="pending").exists()


@override_settings(CONNECTIONS_WEEKLY_CAP=2, CONNECTIONS_WEEKLY_CAP_NEW=2)
def test_the_weekly_cap_is_a_clear_message(dave_client, dave, alice, bob, erin):
    dave_client.post(url(alice), {"message": "1"})
    dave_client.post(url(bob), {"message": "2"})

    response = dave_client.post(url(erin), {"message": "3"})

    assert "limite settimanale di 2 richieste" in response.content.decode()
    assert not ConnectionRequest.objects.filter(recipient=erin).exists()
    assert ConnectionRequest.objects.filter(sender=dave).count() == 2


def test_unknown_member_is_404(dave_client, db):
    assert dave_client.get("/rete/persone/999999/connetti/").status_code == 404
    assert dave_client.post("/rete/persone/999999/connetti/", {"message": "x"}).status_code == 404


def test_an_inactive_member_is_404(dave_client, erin):
    erin.is_active = False
    erin.save()

    assert dave_client.post(url(erin), {"message": "x"}).status_code == 404


def test_anonymous_is_sent_to_log_in(client, erin):
    response = client.post(url(erin), {"message": "x"})

    assert response["Location"].startswith("/accounts/login/")
    assert not ConnectionRequest.objects.exists()


def test_put_is_405(dave_client, erin):
    assert dave_client.put(url(erin)).status_code == 405


def test_an_offsite_next_is_ignored(dave_client, erin):
    response = dave_client.post(url(erin), {"message": "x", "next": "https://evil.example/"})

    assert response["Location"] == erin.get_absolute_url()


def test_group_is_only_named_when_both_can_read_it(dave, erin, alice, sector):
    from connections.views import suggested_message

    closed = Group.create_with_owner(
        alice, name="Segreto", slug="segreto", sector=sector, visibility=Group.Visibility.CLOSED
    )
    closed.add_member(erin)

    assert "Segreto" not in suggested_message(dave, erin)
    closed.add_member(dave)
    assert "Segreto" in suggested_message(dave, erin)
