"""An unread conversation gives exactly one email, 15 minutes in, through the outbox, with
a real Celery worker on Redis that is killed and replaced on the way; never one per message."""

import os
import signal
import time
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from connections.models import Conversation, Participant
from profiles.models import OutboxTask, OutgoingEmail
from profiles.tasks import sweep_outbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TASK = "connections.tasks.email_unread_conversation"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def mail_worker(start_celery_worker, smtp_server):
    def start(name):
        process, log = start_celery_worker(
            name, MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}?tls=false"
        )
        return process, log

    yield start
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def test_one_email_for_an_unread_conversation_across_a_worker_restart(
    dave, erin, connect, mail_worker, smtp_server
):
    connect(dave, erin)
    first, log = mail_worker("talk-first")
    conversation, _m = Conversation.start(dave, erin, "Ciao Erica")
    for text in ("Ci sei?", "Ti scrivo per il progetto", "Fammi sapere"):
        conversation.post(dave, text)
    side = Participant.objects.get(conversation=conversation, user=erin)

    # The worker ran the intent at once: not due, so it waits, pending, for the due time.
    wait_for(
        lambda: (
            "RetryLater" in log.read_text()
            or OutboxTask.objects.filter(
                name=TASK, state="pending", published_at__isnull=True
            ).exists()
        ),
        180,
        "the first run",
    )
    intents = OutboxTask.objects.filter(name=TASK)
    assert intents.filter(state="pending").count() == 1
    assert not OutgoingEmail.objects.exists()
    due = intents.get(state="pending").next_attempt_at
    side.refresh_from_db()
    assert abs((due - side.unread_since) - timedelta(minutes=15)) < timedelta(seconds=1)

    # The worker dies; another one takes over.
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    mail_worker("talk-second")

    # Fifteen minutes later (moved back in time), the sweep publishes the intent.
    past = timezone.now() - timedelta(minutes=16)
    Participant.objects.filter(pk=side.pk).update(unread_since=past)
    OutboxTask.objects.filter(name=TASK).update(next_attempt_at=past)
    assert sweep_outbox(unpublished_after=0) >= 1
    wait_for(lambda: smtp_server.accepted, 180, "the email")
    assert len(smtp_server.accepted) == 1
    assert "erin@example.com" in str(smtp_server.accepted[0])

    # A lost acknowledgement: the intent comes back as if its worker had died mid-run, more
    # messages arrive, and more wake-ups run. Still one email for this unread stretch.
    long_ago = timezone.now() - timedelta(hours=1)
    OutboxTask.objects.filter(name=TASK).update(
        state="running", lease_until=long_ago, published_at=long_ago, next_attempt_at=long_ago
    )
    conversation.post(dave, "Ultimo messaggio")
    Participant.objects.filter(pk=side.pk).update(unread_since=past)
    OutboxTask.objects.filter(name=TASK, state="pending").update(next_attempt_at=long_ago)
    sweep_outbox(unpublished_after=0)
    wait_for(
        lambda: (
            not OutboxTask.objects.filter(name=TASK, state__in=["running"]).exists()
            and OutboxTask.objects.filter(name=TASK, state="done").exists()
        ),
        180,
        "the reruns",
    )
    time.sleep(2)
    assert len(smtp_server.accepted) == 1
    assert OutgoingEmail.objects.filter(to="erin@example.com").count() == 1

    # Once Erin reads, a new unread stretch may give one new email.
    side.refresh_from_db()
    side.mark_read(side.last_message_id)
    side.refresh_from_db()
    assert side.unread_since is None and not side.unread_emailed


def test_a_muted_conversation_sends_no_email(
    dave, erin, connect, django_capture_on_commit_callbacks
):
    connect(dave, erin)
    conversation, _m = Conversation.start(dave, erin, "Ciao")
    side = Participant.objects.get(conversation=conversation, user=erin)
    side.set_flag(muted=True)
    Participant.objects.filter(pk=side.pk).update(unread_since=timezone.now() - timedelta(hours=1))
    side.refresh_from_db()
    assert side.email_if_still_unread() is False
    assert not OutgoingEmail.objects.exists()
