"""A real Celery worker SIGKILLed in the middle of an SMTP exchange sends exactly one email.

The worker (on Redis and PostgreSQL) claims the email's lease, commits, and starts talking to a
real loopback SMTP server that holds the message without accepting it; the whole worker is
then killed. While the lease holds, the sweep's retry sends nothing; once it expires, one
email goes out, carrying the same Message-ID."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from config.celery import app
from profiles.models import OutboxTask, OutgoingEmail
from profiles.tasks import sweep_outbox
from tests.smtp_server import SMTPServer, smtp_mailers

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
def smtp_server():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def worker(tmp_path, smtp_server):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL: a real worker on Redis (CI step 2)")
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_EAGER", "GILDA_ENV"}}
    env |= {
        "GILDA_ENV": "dev",
        "CELERY_EAGER": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "MAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}?tls=false",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
         "--loglevel", "INFO", "--without-mingle", "--without-gossip",
         "--hostname", f"mailkill-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    app.conf.task_always_eager = False
    yield process
    app.conf.task_always_eager = True
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # The killed worker's unacknowledged message would come back in an hour: drop our queue.
    redis.Redis.from_url(redis_url).flushdb()


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
