"""Reminders exactly once across a worker killed halfway (real worker, PostgreSQL, Redis).

The worker claims the event and writes the first reminder; the outgoing-email table is held
locked by the test, so the worker blocks inside its transaction and is SIGKILLed there. Its
transaction dies with it: nothing was claimed, nothing sent. A second worker then sends every
reminder once, and a third run sends nothing more."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection, connections, transaction
from django.utils import timezone

from groups.models import Event, Rsvp
from groups.tasks import send_event_reminders
from profiles.models import Notification, OutgoingEmail
from tests.events.conftest import make_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def waiting_statement() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def test_reminders_once_across_a_worker_killed_mid_run(
    closed_group, alice, make_user, start_celery_worker
):
    event = make_event(closed_group, alice, starts_at=timezone.now() + timedelta(hours=20))
    people = [make_user(f"r{n}@example.com", f"Ricordo {n}") for n in range(4)]
    for person in people:
        closed_group.add_member(person)
        event.rsvp(person, Rsvp.Answer.GOING)

    holding, release = threading.Event(), threading.Event()

    def hold_the_email_table():
        # Writers wait (INSERT takes ROW EXCLUSIVE, which SHARE blocks); readers do not. The
        # worker claims the event and writes the first notification, then waits on its email.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {OutgoingEmail._meta.db_table} IN SHARE MODE")
            holding.set()
            release.wait(120)
        connections.close_all()

    holder = threading.Thread(target=hold_the_email_table)
    holder.start()
    assert holding.wait(30)
    try:
        worker, _log = start_celery_worker("reminders-a")
        send_event_reminders.delay()
        wait_for(waiting_statement, 120, "the worker to block inside its transaction")
        assert waiting_statement().startswith("INSERT INTO")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        release.set()
        holder.join(30)
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # the killed task's message

    event.refresh_from_db()
    assert event.reminded_at is None
    assert Notification.objects.filter(kind="event-reminder").count() == 0

    second, _log = start_celery_worker("reminders-b")
    send_event_reminders.delay()
    wait_for(
        lambda: Notification.objects.filter(kind="event-reminder").count() == 4,
        120,
        "the second worker's reminders",
    )
    send_event_reminders.delay()
    time.sleep(3)
    reminders = Notification.objects.filter(kind="event-reminder")
    assert sorted(reminders.values_list("recipient", flat=True)) == sorted(
        person.pk for person in people
    )
    emails = OutgoingEmail.objects.filter(subject__contains=event.title)
    assert emails.count() == 4
    assert Event.objects.get(pk=event.pk).reminded_at is not None
