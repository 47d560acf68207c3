"""Exactly one digest per member and period with real Celery workers on Redis and PostgreSQL,
when the worker is SIGKILLed in the middle of the run and beat records the digests again."""

import os
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_noop

from connections.digests import schedule_digests
from profiles.models import DigestRun, EmailKind, Notification, OutboxTask, OutgoingEmail
from profiles.tasks import sweep_outbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MEMBERS = 60
EIGHT_IN_ROME = datetime(2026, 12, 3, 8, 5, tzinfo=ZoneInfo("Europe/Rome"))


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def digest_intents():
    return OutboxTask.objects.filter(name="connections.tasks.send_digest")


def test_a_worker_killed_mid_run_and_a_second_beat_still_give_one_digest_each(
    start_celery_worker, make_user
):
    members = [make_user(f"membro{i:02d}@example.com", f"Membro {i}") for i in range(MEMBERS)]
    for member in members:
        Notification.send(
            member,
            "group-new-answer",
            gettext_noop("%(user)s answered “%(title)s” in %(group)s."),
            {"user": "Alice", "title": f"Domanda per {member.name}", "group": "Copy"},
            email_kind=EmailKind.ANSWERS,
        )
    first, _log = start_celery_worker("digest-first")
    try:
        schedule_digests(EIGHT_IN_ROME)
        wait_for(lambda: DigestRun.objects.filter(frequency="daily").count() >= 3, 120, "digests")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        done_at_kill = DigestRun.objects.filter(frequency="daily").count()
        assert done_at_kill < MEMBERS, "the worker finished before it could be killed"

        # Beat starts again and records what is due: nothing done twice, pending ones kept.
        schedule_digests(EIGHT_IN_ROME)
        second, _log = start_celery_worker("digest-second")
        # The killed worker's leases run out; the sweep publishes everything not done.
        past = timezone.now() - timedelta(hours=1)
        OutboxTask.objects.exclude(state="done").update(lease_until=None, published_at=past)
        OutgoingEmail.objects.filter(sent_at__isnull=True).update(lease_until=None)

        def all_done():
            sweep_outbox(unpublished_after=0)
            open_tasks = OutboxTask.objects.exclude(state="done").count()
            return (
                open_tasks == 0 and DigestRun.objects.filter(frequency="daily").count() == MEMBERS
            )

        wait_for(all_done, 180, "every digest intent to finish")
    finally:
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    per_member = dict(
        OutgoingEmail.objects.values("to").annotate(n=Count("pk")).values_list("to", "n")
    )
    assert per_member == {member.email: 1 for member in members}
    assert OutgoingEmail.objects.filter(sent_at__isnull=True).count() == 0
    runs = DigestRun.objects.filter(frequency="daily")
    assert runs.count() == MEMBERS and all(run.email_id for run in runs)
    for member in members:
        body = OutgoingEmail.objects.get(to=member.email).body_text
        assert f"Domanda per {member.name}" in body
    assert digest_intents().filter(state="dead").count() == 0
