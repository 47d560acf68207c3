"""Side effects survive a dead broker and a dead SMTP server (profiles/models/outbox.py).

The broker is a real, closed local port and SMTP a real loopback server or a closed port:
connections are genuinely refused, nothing is mocked.
"""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from config.celery import app as celery_app
from profiles.models import OutboxTask, OutgoingEmail
from profiles.models.outbox import backoff_seconds
from profiles.tasks import run_outbox_task, sweep_outbox
from tests.smtp_server import closed_port, smtp_mailers


def queue_one(to="b@example.com") -> OutgoingEmail:
    OutgoingEmail.queue(EmailMultiAlternatives("Oggetto", "Testo", "a@example.com", [to]))
    return OutgoingEmail.objects.get(to=to)


def time_passes(email: OutgoingEmail) -> None:
    """Bring the email's delivery intent to its next attempt time."""
    OutboxTask.objects.filter(args=[email.pk]).update(next_attempt_at=timezone.now())


def test_signup_succeeds_with_the_broker_down_and_the_sweep_sends_the_mail(
    client, db, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "senzabroker@example.com",
                "password1": "una-password-lunga-2026",
                "password2": "una-password-lunga-2026",
            },
        )

    assert response.status_code == 302
    pending = OutgoingEmail.objects.get(to="senzabroker@example.com")
    assert pending.sent_at is None
    intent = OutboxTask.objects.get(name="profiles.tasks.send_outgoing_email")
    assert (intent.state, intent.published_at) == ("pending", None)
    assert mail.outbox == []
    # Not a timing test of speed, a bound on hanging: a publish gives up instead of blocking
    # (timed alone: the signup's password hashing is slow on a loaded machine).
    started = time.monotonic()
    assert intent.publish() is False
    assert time.monotonic() - started < 10

    # Still down: the sweep tries, fails quietly, keeps the intent.
    assert sweep_outbox(unpublished_after=0) == 0
    celery_app.conf.task_always_eager = True  # a broker again (eager stands in for it)
    assert sweep_outbox(unpublished_after=0) == 1

    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert OutboxTask.objects.get().state == "done"
    assert [m.to for m in mail.outbox] == [["senzabroker@example.com"]]


def test_a_second_delivery_of_the_same_intent_sends_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_one()
    intent = OutboxTask.objects.get()

    assert run_outbox_task(intent.pk) is False  # a redelivered message
    assert sweep_outbox(unpublished_after=0) == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_an_smtp_outage_longer_than_the_old_five_attempts_still_delivers(
    db, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.MAILERS = smtp_mailers(closed_port())
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_one()
    intent = OutboxTask.objects.get()
    delays = []
    for _ in range(7):  # the old outbox dropped the mail after 5
        intent.refresh_from_db()
        assert intent.state == "pending"
        delays.append((intent.next_attempt_at - timezone.now()).total_seconds())
        time_passes(email)
        assert sweep_outbox(unpublished_after=0) == 1
    intent.refresh_from_db()
    assert (intent.state, intent.attempts) == ("pending", 8)
    assert "refused" in intent.last_error.lower()
    # Backing off: each wait is longer than the one before (doubling, ±25% jitter).
    assert all(later > earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[-1] > 30 * 60

    settings.MAILERS = smtp_mailers(smtp_server.port)
    assert sweep_outbox(unpublished_after=0) == 0  # not due yet: the backoff holds
    time_passes(email)
    assert sweep_outbox(unpublished_after=0) == 1

    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(smtp_server.accepted) == 1
    assert b"Subject: Oggetto" in smtp_server.accepted[0]
    assert f"Message-ID: {email.message_id}".encode() in smtp_server.accepted[0]


def test_backoff_reaches_about_a_day_then_the_mail_is_dead_lettered_and_resendable(
    db, settings, smtp_server, admin_client, django_capture_on_commit_callbacks
):
    # 1, 2, 4 ... 256 minutes, then 6 hours twice: 20.5 hours of waiting before the last try,
    # each wait within ±25% (jitter).
    waits = [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert len(waits) == OutboxTask.MAX_ATTEMPTS - 1
    assert sum(waits) == 1231  # minutes: 20 h 31 min
    for attempt, minutes in enumerate(waits, 1):
        assert 0.75 * minutes * 60 <= backoff_seconds(attempt) <= 1.25 * minutes * 60

    settings.MAILERS = smtp_mailers(closed_port())
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_one()
    intent = OutboxTask.objects.get()
    for _ in range(OutboxTask.MAX_ATTEMPTS - 1):
        time_passes(email)
        sweep_outbox(unpublished_after=0)
    intent.refresh_from_db()
    assert (intent.state, intent.attempts) == ("dead", OutboxTask.MAX_ATTEMPTS)
    assert sweep_outbox(unpublished_after=0) == 0  # dead stays dead

    page = admin_client.get("/admin/profiles/outboxtask/?state__exact=dead")
    assert "profiles.tasks.send_outgoing_email" in page.content.decode()

    settings.MAILERS = smtp_mailers(smtp_server.port)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/profiles/outboxtask/",
            {"action": "retry_now", "_selected_action": [intent.pk]},
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(smtp_server.accepted) == 1


def test_the_email_admin_sends_an_unsent_email_again(
    db, settings, smtp_server, admin_client, django_capture_on_commit_callbacks
):
    settings.MAILERS = smtp_mailers(closed_port())
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_one()
    settings.MAILERS = smtp_mailers(smtp_server.port)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/profiles/outgoingemail/",
            {"action": "send_again", "_selected_action": [email.pk]},
        )
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(smtp_server.accepted) == 1


def test_a_worker_dead_mid_send_gives_exactly_one_email(
    db, settings, smtp_server, django_capture_on_commit_callbacks
):
    """The dying worker committed its lease, then died before SMTP accepted the message: no
    retry sends while the lease holds; after it expires exactly one email goes out."""
    settings.MAILERS = smtp_mailers(smtp_server.port)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=False):
        email = queue_one()
    intent = OutboxTask.objects.get()
    assert OutboxTask.claim(intent.pk) is not None  # the worker took the task...
    assert email.claim() is True  # ...and the email's lease, then was SIGKILLed
    # Its task lease runs out long before the email's would; the sweep publishes it again.
    OutboxTask.objects.filter(pk=intent.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1),
        published_at=timezone.now() - timedelta(hours=1),
    )

    assert run_outbox_task(intent.pk) is False
    assert smtp_server.accepted == []
    intent.refresh_from_db()
    email.refresh_from_db()
    assert intent.state == "pending"
    assert intent.next_attempt_at == email.lease_until  # retried when the lease ends

    OutgoingEmail.objects.filter(pk=email.pk).update(lease_until=timezone.now())
    time_passes(email)
    assert run_outbox_task(intent.pk) is True
    assert run_outbox_task(intent.pk) is False
    assert len(smtp_server.accepted) == 1
    email.refresh_from_db()
    assert email.sent_at is not None


def test_the_sending_lease_is_committed_before_smtp_and_released_after_a_failure(
    db, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.MAILERS = smtp_mailers(closed_port())
    with django_capture_on_commit_callbacks(execute=False):
        email = queue_one()
    with pytest.raises(ConnectionRefusedError):
        email.send()
    email.refresh_from_db()
    # The failed attempt is on record and the lease is free for the next one.
    assert (email.attempts, email.lease_until, email.sent_at) == (1, None, None)
    assert "refused" in email.last_error.lower()

    settings.MAILERS = smtp_mailers(smtp_server.port)
    assert email.send() is True
    assert email.send() is False  # already sent: a second call sends nothing
    assert len(smtp_server.accepted) == 1


def test_the_visibility_timeout_covers_the_longest_allowed_run_and_not_an_hour(settings):
    """A killed worker's message comes back after the visibility timeout: it must not come back
    while a live runner may still be on it (the time limit), and not an hour later either."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert run_outbox_task.time_limit < OutboxTask.LEASE_SECONDS <= visibility
    assert visibility == 600  # measured runs take seconds (README: Reliability)
    for name, task in celery_app.tasks.items():
        if name.split(".")[0] in ("profiles", "groups", "connections"):
            assert (task.time_limit or settings.CELERY_TASK_TIME_LIMIT) < visibility, name
