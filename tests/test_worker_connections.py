"""A real Celery worker (prefork, on Redis) keeps its database connections between tasks: they
go back to its pool after each task (config/celery.py) instead of the pool being closed around
every task, which opened two PostgreSQL backends per task."""

import time

import pytest
from django.db import connection

from profiles.models import OutboxTask

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


WORKER = "gilda-test-worker"  # its sessions' application_name (libpq's PGAPPNAME)


def worker_backends() -> set[tuple]:
    """The worker's sessions on this test's database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER],
        )
        return set(cursor.fetchall())


def run_tasks(count: int) -> None:
    """Outbox intents of a task that reads the database (an email that is not there)."""
    intents = [OutboxTask.enqueue("profiles.tasks.send_outgoing_email", 0) for _ in range(count)]
    deadline = time.monotonic() + 60
    pks = [intent.pk for intent in intents]
    while OutboxTask.objects.filter(pk__in=pks).exclude(state="done").exists():
        assert time.monotonic() < deadline, "the worker did not run the tasks"
        time.sleep(0.1)


def test_a_worker_keeps_its_database_connections_between_tasks(start_celery_worker):
    start_celery_worker("connections", PGAPPNAME=WORKER)
    run_tasks(3)
    time.sleep(0.5)  # the last task's connection back in the pool
    kept = worker_backends()
    assert kept  # open between tasks

    run_tasks(20)
    time.sleep(0.5)
    assert worker_backends() == kept  # the same sessions served them: none opened, none closed
