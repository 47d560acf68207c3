"""A real Celery worker on Redis, killed with SIGKILL in the middle of a recompute.

The range task holds acks_late and reject_on_worker_lost, and writes its rows in one
transaction: the killed attempt writes nothing, the redelivered one writes them all.
"""

import os
import random
import signal
import time
from pathlib import Path

import pytest
from django.db import connection

from connections import suggestions
from connections.models import Connection, Suggestion
from connections.tasks import recompute_suggestions_range
from profiles.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def snapshot() -> set[tuple]:
    return set(
        Suggestion.objects.values_list(
            "user_id", "candidate_id", "rank", "mutual_count", "shared_groups"
        )
    )


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0]


def pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.fixture
def worker(start_celery_worker):
    return start_celery_worker("fault")


def test_sigkill_mid_recompute_is_redelivered_and_rewrites_identical_rows(worker):
    process, log = worker
    rng = random.Random(7)
    users = User.objects.bulk_create([User(email=f"f{i}@example.com") for i in range(300)])
    ids = [u.pk for u in users]
    pairs = {tuple(sorted(rng.sample(ids, 2))) for _ in range(1500)}
    Connection.objects.bulk_create([Connection(user_low_id=a, user_high_id=b) for a, b in pairs])
    suggestions.recompute_all()
    expected = snapshot()
    assert len(expected) > 1000
    Suggestion.objects.all().delete()
    lo, hi = 0, max(ids) + 1

    # Hold the advisory locks the task needs, so it is caught inside its transaction.
    from django.db import transaction

    with transaction.atomic():
        suggestions.lock_users(ids)
        recompute_suggestions_range.delay(lo, hi)
        wait_for(lambda: lock_waiters() > 0, 60, "the worker to block inside the task")
        children = wait_for(lambda: pool_children(process.pid), 10, "the pool process")
        for child in children:
            os.kill(child, signal.SIGKILL)
        wait_for(lambda: "WorkerLostError" in log.read_text(), 30, "the worker to see the loss")
    # Locks released: the redelivered task runs to the end in the respawned pool process.
    wait_for(lambda: "succeeded" in log.read_text(), 90, "the redelivered task to succeed")

    assert snapshot() == expected
    assert Suggestion.objects.count() == len(expected)  # no duplicates
    text = log.read_text()
    assert "Task connections.tasks.recompute_suggestions_range[" in text
    # The one message ran twice: killed, then redelivered.
    assert text.count("Task handler raised error: WorkerLostError") == 1
    assert text.count("succeeded") == 1


def test_a_real_worker_refreshes_the_marks_of_the_delay_together(worker, settings):
    from connections.models import StaleSuggestions, mark_stale
    from profiles.models import OutboxTask

    settings.SUGGESTIONS_REFRESH_DELAY = 2
    users = User.objects.bulk_create([User(email=f"d{i}@example.com") for i in range(4)])
    a, b, c, d = (user.pk for user in users)
    Connection.objects.bulk_create(
        [Connection(user_low_id=a, user_high_id=b), Connection(user_low_id=b, user_high_id=c)]
    )
    OutboxTask.objects.all().delete()

    mark_stale(a)
    time.sleep(0.5)
    mark_stale(c, d)  # while the first wake-up waits: it takes these along

    # The marks go with the refresh's commit; the intent is marked done just after.
    wait_for(
        lambda: (
            not StaleSuggestions.objects.exists()
            and not OutboxTask.objects.exclude(state=OutboxTask.State.DONE).exists()
        ),
        30,
        "the refresh and its intent",
    )
    wake_up = OutboxTask.objects.get()  # one intent did it all
    assert wake_up.state == OutboxTask.State.DONE
    assert wake_up.finished_at >= wake_up.next_attempt_at  # not run before it was due
    assert (wake_up.next_attempt_at - wake_up.created_at).total_seconds() >= 2
    assert set(Suggestion.objects.values_list("user_id", "candidate_id")) == {(a, c), (c, a)}
