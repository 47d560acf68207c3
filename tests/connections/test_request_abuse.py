"""Connection requests as an abuse channel (issue 19, item 8): the weekly cap counts what was
sent, withdrawn or not, and asking the same person again within the cooldown notifies nobody."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from connections.models import ConnectionActionError, ConnectionRequest
from profiles.models import Notification, OutgoingEmail


def url(user) -> str:
    return reverse("connections:connect", args=[user.pk])


def notified(user) -> int:
    return Notification.objects.filter(recipient=user, kind="connection-request").count()


@override_settings(CONNECTIONS_WEEKLY_CAP=3, CONNECTIONS_WEEKLY_CAP_NEW=3)
def test_withdrawn_requests_still_count_towards_the_weekly_cap(
    dave, alice, bob, carol, erin, request_from
):
    for person in (alice, bob, carol):
        request_from(dave, person).withdraw()

    with pytest.raises(ConnectionActionError):
        request_from(dave, erin)

    assert not ConnectionRequest.objects.filter(recipient=erin).exists()
    assert ConnectionRequest.sent_this_week(dave) == 3


@override_settings(CONNECTIONS_WEEKLY_CAP=3, CONNECTIONS_WEEKLY_CAP_NEW=3)
def test_the_cap_message_says_withdrawn_requests_count(dave_client, dave, alice, bob, carol, erin):
    for person in (alice, bob, carol):
        dave_client.post(url(person), {"message": "Ciao"})
        ConnectionRequest.objects.get(sender=dave, recipient=person).withdraw()

    response = dave_client.post(url(erin), {"message": "Ciao"})

    html = response.content.decode()
    assert "limite settimanale di 3 richieste" in html
    assert "Anche le richieste ritirate contano" in html


def test_requests_older_than_a_week_no_longer_count(dave, alice, request_from):
    request_from(dave, alice).withdraw()
    ConnectionRequest.objects.update(
        created_at=ConnectionRequest.objects.get().created_at - timedelta(days=8)
    )

    assert ConnectionRequest.sent_this_week(dave) == 0


def test_eight_send_and_withdraw_cycles_notify_and_email_the_recipient_once(
    dave_client, dave, erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _cycle in range(8):
            dave_client.post(url(erin), {"message": "Ciao"})
            ConnectionRequest.objects.get(sender=dave, status="pending").withdraw()

    assert ConnectionRequest.objects.filter(sender=dave, recipient=erin).count() == 8
    assert notified(erin) == 1
    assert OutgoingEmail.objects.filter(to=erin.email).count() == 1


def test_a_request_after_the_cooldown_is_notified_again(dave, erin, request_from):
    request_from(dave, erin).withdraw()
    ConnectionRequest.objects.update(
        created_at=ConnectionRequest.objects.get().created_at - timedelta(days=8)
    )

    request_from(dave, erin)

    assert notified(erin) == 2


def test_a_first_request_to_someone_else_is_notified_within_the_cooldown(
    dave, erin, alice, request_from
):
    request_from(dave, erin).withdraw()

    request_from(dave, alice)

    assert notified(erin) == 1
    assert notified(alice) == 1
