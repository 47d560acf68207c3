"""Email preferences per kind, the one-click unsubscribe token and the RFC 8058 headers."""

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils.translation import gettext_noop

from profiles.models import (
    EmailFrequency,
    EmailKind,
    EmailPreference,
    Notification,
    OutgoingEmail,
    unsubscribe_token,
)

PREFS = "/notifiche/email/"
MESSAGE = gettext_noop("%(user)s would like to connect with you.")


def unsubscribe_url(token: str) -> str:
    return reverse("email_unsubscribe", args=[token])


def test_defaults_are_immediate_requests_daily_answers_weekly_questions(bob):
    assert EmailPreference.all_for(bob) == {
        "requests": "immediately",
        "answers": "daily",
        "questions": "weekly",
        "events": "immediately",
        "messages": "immediately",
    }


def test_the_preferences_page_saves_each_kind_and_the_time_zone(bob_client, bob):
    response = bob_client.get(PREFS)
    assert response.status_code == 200
    response = bob_client.post(
        PREFS,
        {
            "kind_requests": "daily",
            "kind_answers": "off",
            "kind_questions": "weekly",
            "kind_events": "off",
            "kind_messages": "daily",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    assert EmailPreference.all_for(bob)["messages"] == "daily"
    assert EmailPreference.all_for(bob)["answers"] == "off"
    assert EmailPreference.all_for(bob)["requests"] == "daily"
    bob.refresh_from_db()
    assert bob.timezone == "America/New_York"


def test_bad_values_are_refused_with_a_message_and_nothing_changes(bob_client, bob):
    response = bob_client.post(
        PREFS,
        {"kind_requests": "hourly", "kind_answers": "off", "kind_questions": "weekly",
         "timezone": "Mars/Olympus"},
    )  # fmt: skip
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not EmailPreference.objects.filter(user=bob).exists()


def test_preferences_need_a_login(client, db):
    response = client.get(PREFS)
    assert response.status_code == 302 and "login" in response["Location"]


def test_database_refuses_an_unknown_frequency(bob):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EmailPreference.objects.create(user=bob, kind="answers", frequency="hourly")


def test_an_immediate_kind_emails_at_once_and_a_digest_kind_waits(
    bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Notification.send(bob, "x", MESSAGE, {"user": "A"}, email_kind=EmailKind.REQUESTS)
        Notification.send(bob, "y", MESSAGE, {"user": "B"}, email_kind=EmailKind.ANSWERS)
    assert len(mail.outbox) == 1
    EmailPreference.choose(bob, EmailKind.REQUESTS, EmailFrequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        Notification.send(bob, "x", MESSAGE, {"user": "C"}, email_kind=EmailKind.REQUESTS)
    assert len(mail.outbox) == 1
    assert bob.notifications.count() == 3  # still in the centre


def test_every_notification_email_carries_the_rfc_8058_headers(
    bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Notification.send(bob, "x", MESSAGE, {"user": "A"})
    message = mail.outbox[0]
    token = unsubscribe_token(bob.pk, "requests")
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<http://127.0.0.1:8000{unsubscribe_url(token)}>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"].startswith("<outbox-")
    # Stored with the row, so a resend carries them too.
    assert OutgoingEmail.objects.get().headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert unsubscribe_url(token) in message.body


def test_one_click_post_unsubscribes_without_login_or_csrf(bob, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token(bob.pk, "answers")
    response = client.post(unsubscribe_url(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert EmailPreference.frequency_for(bob, "answers") == "off"
    assert EmailPreference.frequency_for(bob, "requests") == "immediately"


def test_get_only_asks_and_the_page_offers_an_undo(client, bob):
    token = unsubscribe_token(bob.pk, "questions")
    response = client.get(unsubscribe_url(token))
    assert b'data-testid="unsubscribe-confirm"' in response.content
    assert EmailPreference.frequency_for(bob, "questions") == "weekly"  # a GET changes nothing
    response = client.post(unsubscribe_url(token))
    assert b'data-testid="unsubscribe-undo"' in response.content
    assert EmailPreference.frequency_for(bob, "questions") == "off"
    response = client.post(unsubscribe_url(token), {"undo": "weekly"})
    assert b'data-testid="unsubscribe-restored"' in response.content
    assert EmailPreference.frequency_for(bob, "questions") == "weekly"


def test_a_forged_token_is_refused_and_changes_nothing(client, bob, dave):
    token = unsubscribe_token(bob.pk, "answers")
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        signing.dumps({"u": bob.pk, "k": "answers"}, salt="another-salt"),
        signing.dumps(
            {"u": bob.pk, "k": "answers"}, key="not-our-secret", salt="gilda.unsubscribe"
        ),
        "garbage",
    ]
    for bad in forged:
        response = client.post(unsubscribe_url(bad))
        assert response.status_code == 400
        assert b'data-testid="unsubscribe-invalid"' in response.content
    assert not EmailPreference.objects.exists()


def test_a_token_cannot_be_replayed_for_another_member_or_kind(client, bob, dave):
    bobs = unsubscribe_token(bob.pk, "answers")
    # The payload is signed: swapping the member or the kind inside breaks the signature.
    payload, signature = bobs.rsplit(":", 1)
    for member, kind in [(dave.pk, "answers"), (bob.pk, "requests")]:
        other_payload = signing.Signer(salt="gilda.unsubscribe").sign_object(
            {"u": member, "k": kind}
        )
        spliced = other_payload.rsplit(":", 1)[0] + ":" + signature
        assert client.post(unsubscribe_url(spliced)).status_code == 400
    client.post(unsubscribe_url(bobs))
    client.post(unsubscribe_url(bobs))  # replayed: the same member and kind, nothing else
    assert list(EmailPreference.objects.values_list("user_id", "kind", "frequency")) == [
        (bob.pk, "answers", "off")
    ]


def test_an_undo_with_a_bad_value_is_refused(client, bob):
    token = unsubscribe_token(bob.pk, "answers")
    client.post(unsubscribe_url(token))
    assert client.post(unsubscribe_url(token), {"undo": "hourly"}).status_code == 400
    assert EmailPreference.frequency_for(bob, "answers") == "off"


def test_a_token_for_a_deactivated_member_is_refused(client, bob):
    token = unsubscribe_token(bob.pk, "answers")
    bob.is_active = False
    bob.save()
    assert client.post(unsubscribe_url(token)).status_code == 400
