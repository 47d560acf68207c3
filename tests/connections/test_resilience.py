"""Suggestions when Redis is down at enqueue time: the change commits, the marks wait in the
database with their outbox intent, and the sweeps catch up once a broker is back. The broker is
a real closed port. Tasks that start later tasks (the refresh's next batch, the nightly fan-out)
record them in the outbox too, so nothing they start is lost."""

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from config.celery import app as celery_app
from connections import suggestions
from connections.models import (
    Connection,
    ConnectionRequest,
    StaleSuggestions,
    Suggestion,
    mark_stale,
)
from connections.tasks import (
    recompute_all_suggestions,
    refresh_stale_suggestions,
    sweep_stale_suggestions,
)
from profiles.models import OutboxTask
from profiles.tasks import sweep_outbox

ROOT = Path(__file__).resolve().parents[2]


def test_accepting_with_the_broker_down_succeeds_and_the_sweep_refreshes_later(
    alice,
    bob,
    carol,
    dave,
    dead_broker,
    django_capture_on_commit_callbacks,
):
    Connection.connect(alice, bob)
    Connection.connect(dave, bob)
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    suggestions.refresh_for([alice.pk, dave.pk, bob.pk, carol.pk])
    assert list(dave.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]

    with django_capture_on_commit_callbacks(execute=True):
        ConnectionRequest.send(carol, dave, "Ciao Davide").accept()

    assert Connection.objects.between(carol.pk, dave.pk).exists()
    # The two ends wait as marks; their connections' rescores wait as outbox intents.
    waiting = set(StaleSuggestions.objects.values_list("user_id", flat=True))
    assert waiting == {carol.pk, dave.pk}
    rescores = OutboxTask.objects.filter(
        name="connections.tasks.rescore_candidate", state=OutboxTask.State.PENDING
    )
    assert sorted(rescores.values_list("args", flat=True)) == sorted(
        [[carol.pk, dave.pk], [dave.pk, carol.pk]]
    )
    assert dave.suggestions.get().candidate_id == alice.pk  # not refreshed yet

    # The wake-up is a pending, unpublished intent; the suggestions sweep adds no second one.
    intent = OutboxTask.objects.get(name="connections.tasks.refresh_stale_suggestions")
    assert (intent.state, intent.published_at, intent.key) == (
        "pending",
        None,
        "suggestions-refresh",
    )
    assert sweep_stale_suggestions() == 2
    assert OutboxTask.objects.filter(name=intent.name).count() == 1

    celery_app.conf.task_always_eager = True  # a broker again (eager stands in for it)
    assert sweep_outbox(unpublished_after=0) >= 1  # the wake-up, rescores and the emails
    assert OutboxTask.objects.get(pk=intent.pk).state == "done"

    assert not StaleSuggestions.objects.exists()
    # carol and bob now share dave; alice is three hops from carol.
    assert list(bob.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]
    assert list(dave.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]
    assert list(carol.suggestions.values_list("candidate_id", flat=True)) == [bob.pk]


def test_the_next_batch_of_a_refresh_survives_a_dead_broker(alice, bob, carol, dave, dead_broker):
    Connection.connect(alice, bob)
    Connection.connect(carol, bob)
    OutboxTask.objects.all().delete()  # the connects' own wake-ups: not what is tested

    assert refresh_stale_suggestions(batch=1) == 1  # one member now, the rest later

    assert StaleSuggestions.objects.count() == 2
    wake_up = OutboxTask.objects.get()
    assert wake_up.name == "connections.tasks.refresh_stale_suggestions"
    assert (wake_up.state, wake_up.published_at) == ("pending", None)

    celery_app.conf.task_always_eager = True
    assert sweep_outbox(unpublished_after=0) == 1
    assert not StaleSuggestions.objects.exists()
    assert OutboxTask.objects.get(pk=wake_up.pk).state == "done"
    assert list(alice.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]


def test_the_nightly_fan_out_survives_a_dead_broker_once_per_range(alice, bob, carol, dead_broker):
    Connection.connect(alice, bob)
    Connection.connect(carol, bob)
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()

    expected = [list(pair) for pair in suggestions.user_id_ranges(2)]
    assert len(expected) >= 2
    assert recompute_all_suggestions(range_size=2) == len(expected)
    assert recompute_all_suggestions(range_size=2) == len(expected)  # beat again, broker down

    ranges = OutboxTask.objects.filter(name="connections.tasks.recompute_suggestions_range")
    assert sorted(ranges.values_list("args", flat=True)) == expected  # once per range
    assert not ranges.exclude(published_at=None).exists()
    assert not Suggestion.objects.exists()

    celery_app.conf.task_always_eager = True
    assert sweep_outbox(unpublished_after=0) == len(expected)
    assert set(ranges.values_list("state", flat=True)) == {"done"}
    assert list(alice.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]
    assert list(carol.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]


def test_no_app_code_publishes_a_task_except_through_the_outbox():
    """`.delay()` and `apply_async` lose the task when the broker is down; only the outbox's
    own publish (which the sweep repeats) may call them."""
    offenders = []
    for app in ("config", "profiles", "groups", "connections"):
        for source in (ROOT / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            for line in source.read_text().splitlines():
                if ".delay(" in line or ".apply_async(" in line:
                    offenders.append(f"{source.relative_to(ROOT)}: {line.strip()}")
    assert sorted(offenders) == [
        "config/celery.py: return super().apply_async(args, kwargs, **options)",
        "profiles/models/outbox.py: "
        "if run_outbox_task.apply_async((self.pk,), countdown=countdown) is None:",
    ]


def test_a_refresh_waits_for_the_marks_that_follow_and_takes_them_along(
    alice, bob, carol, dead_broker, settings
):
    settings.SUGGESTIONS_REFRESH_DELAY = 5
    Connection.connect(alice, bob)
    Connection.connect(carol, bob)
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    before = timezone.now()

    mark_stale(alice.pk)
    mark_stale(carol.pk)  # within the delay: the first wake-up will take it along

    wake_up = OutboxTask.objects.get()
    assert wake_up.name == "connections.tasks.refresh_stale_suggestions"
    assert wake_up.next_attempt_at >= before + timedelta(seconds=5)
    assert OutboxTask.claim(wake_up.pk) is None  # not due yet: a worker refuses it
    assert not OutboxTask.objects.due_for_publishing(unpublished_after=0).exists()

    OutboxTask.objects.filter(pk=wake_up.pk).update(next_attempt_at=timezone.now())
    OutboxTask.claim(wake_up.pk).run()
    assert not StaleSuggestions.objects.exists()  # both lists, in the one run
    assert list(alice.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]
    assert list(carol.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]


def test_a_refresh_runs_at_once_where_tasks_run_eagerly(
    alice, bob, carol, settings, django_capture_on_commit_callbacks
):
    settings.SUGGESTIONS_REFRESH_DELAY = 5
    with django_capture_on_commit_callbacks(execute=True):
        Connection.connect(alice, bob)
        Connection.connect(carol, bob)  # marks both, and the eager worker refreshes them

    assert not StaleSuggestions.objects.exists()
    assert list(alice.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]
