"""A real Celery worker SIGKILLed in the middle of an SMTP exchange sends exactly one email.

The worker (on Redis and PostgreSQL) claims the email's lease, commits, and starts talking to a
real loopback SMTP server that holds the message without accepting it; the whole worker is
then killed. While the lease holds, the sweep's retry sends nothing; once it expires, one
email goes out, carrying the same Message-ID."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from config.celery import app
from profiles.models import OutboxTask, OutgoingEmail
from profiles.tasks import sweep_outbox
from tests.smtp_server import smtp_mailers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(start_celery_worker, smtp_server):
    process, _log = start_celery_worker(
        "mailkill", MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}?tls=false"
    )
    yield process
    # The killed worker's unacknowledged message would come back in an hour: drop our queue.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def test_a_worker_killed_mid_send_gives_exactly_one_email(worker, smtp_server, settings):
    smtp_server.hang_before_accepting.set()
    OutgoingEmail.queue(
        EmailMultiAlternatives("Il tuo codice", "ABCD-EFGH", "a@example.com", ["b@example.com"])
    )
    email = OutgoingEmail.objects.get()
    intent = OutboxTask.objects.get()

    assert smtp_server.data_received.wait(90), "the worker never reached SMTP"
    # The lease was committed before SMTP started: no transaction is open across the send.
    email.refresh_from_db()
    assert email.lease_until is not None and email.sent_at is None
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    smtp_server.hang_before_accepting.clear()
    smtp_server.release.set()
    assert smtp_server.accepted == []

    # Minutes later: the intent's lease is over and the sweep publishes it again (eager: the
    # test process stands in for a fresh worker), but the email's own lease still holds.
    app.conf.task_always_eager = True
    settings.MAILERS = smtp_mailers(smtp_server.port)
    long_ago = timezone.now() - timedelta(hours=1)
    OutboxTask.objects.filter(pk=intent.pk).update(lease_until=long_ago, published_at=long_ago)
    assert sweep_outbox(unpublished_after=0) == 1
    assert smtp_server.accepted == []
    intent.refresh_from_db()
    assert intent.state == "pending"

    # The email's lease expires: exactly one email goes out, whatever else runs.
    OutgoingEmail.objects.filter(pk=email.pk).update(lease_until=long_ago)
    OutboxTask.objects.filter(pk=intent.pk).update(next_attempt_at=timezone.now())
    assert sweep_outbox(unpublished_after=0) == 1
    assert sweep_outbox(unpublished_after=0) == 0
    assert len(smtp_server.accepted) == 1
    assert f"Message-ID: {email.message_id}".encode() in smtp_server.accepted[0]
    email.refresh_from_db()
    assert email.sent_at is not None
    intent.refresh_from_db()
    assert intent.state == "done"
