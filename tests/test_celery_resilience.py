"""Publishing a task must never fail a web request when the broker is down.

These tests point Celery at a real, closed local port (the dead_broker fixture): the
connection is genuinely refused, nothing is mocked.
"""

import time

from django.core import mail

from profiles.models import OutgoingEmail
from profiles.tasks import sweep_outbox


def test_signup_succeeds_with_the_broker_down_and_the_sweep_sends_the_mail(
    client, db, dead_broker, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "senzabroker@example.com",
                "password1": "una-password-lunga-2026",
                "password2": "una-password-lunga-2026",
            },
        )
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    pending = OutgoingEmail.objects.get(to="senzabroker@example.com")
    assert pending.sent_at is None
    assert mail.outbox == []
    # Not a timing test of speed, a bound on hanging: the publish gave up instead of blocking.
    assert elapsed < 15

    assert sweep_outbox(older_than_seconds=0) == 1

    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert [m.to for m in mail.outbox] == [["senzabroker@example.com"]]


def test_sweep_does_not_send_twice(db, django_capture_on_commit_callbacks):
    from django.core.mail import EmailMultiAlternatives

    with django_capture_on_commit_callbacks(execute=True):
        OutgoingEmail.queue(
            EmailMultiAlternatives("Oggetto", "Testo", "a@example.com", ["b@example.com"])
        )

    assert sweep_outbox(older_than_seconds=0) == 0
    assert len(mail.outbox) == 1


def test_failed_send_is_retried_by_the_sweep(db, settings):
    from django.core.mail import EmailMultiAlternatives

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    OutgoingEmail.queue(
        EmailMultiAlternatives("Oggetto", "Testo", "a@example.com", ["b@example.com"])
    )
    email = OutgoingEmail.objects.get()

    assert email.send() is False
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.last_error
    assert email.sent_at is None

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert sweep_outbox(older_than_seconds=0) == 1
    email.refresh_from_db()
    assert email.sent_at is not None
