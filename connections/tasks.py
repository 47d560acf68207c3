"""Celery tasks of the connections layer: suggestion refreshes and recomputes.

Every later task they start goes through the outbox (`OutboxTask.enqueue`), as a request's do:
a wake-up or a range published while the broker is down waits as a row for the outbox sweep
instead of being lost."""

import logging

from celery import shared_task
from django.conf import settings

from connections import digests, suggestions
from connections.models import StaleSuggestions, connected_ids, mark_stale
from profiles.models import OutboxTask

logger = logging.getLogger(__name__)

REFRESH_TASK = "connections.tasks.refresh_stale_suggestions"
RANGE_TASK = "connections.tasks.recompute_suggestions_range"
SWEEP_MAX_WAKEUPS = 50


def refresh_key(slot: int = 0) -> str:
    """Idempotency key of a refresh wake-up: slot 0 is the one every mark_stale() shares (one
    pending wake-up is enough), the sweep adds more slots to drain a backlog in parallel."""
    return "suggestions-refresh" if slot == 0 else f"suggestions-refresh-{slot}"


def dispatch_ranges(range_size: int) -> int:
    """Queue one outbox intent per id range of the full recompute; a range still pending from
    an earlier dispatch is not queued twice."""
    ranges = suggestions.user_id_ranges(range_size)
    for lo, hi in ranges:
        OutboxTask.enqueue(RANGE_TASK, lo, hi, key=f"suggestions-range-{lo}-{hi}")
    return len(ranges)


@shared_task(acks_late=True, time_limit=120)
def refresh_stale_suggestions(batch: int = StaleSuggestions.REFRESH_BATCH) -> int:
    """Drain the stale-suggestions table a batch at a time. Each publish of this task is
    just a wake-up: bursts coalesce in the table, and a task with nothing left to claim
    returns at once. If more is waiting it wakes another worker, so a hub's thousands of
    connections become several short tasks spread over the workers."""
    token, user_ids = StaleSuggestions.claim(batch)
    if not user_ids:
        return 0
    # Wake another worker before computing, so the batches of a big burst run side by side; a
    # few marks left over wait, as new ones do, for the marks that follow them.
    if StaleSuggestions.objects.claimable().exists():
        delay = 0 if len(user_ids) >= batch else settings.SUGGESTIONS_REFRESH_DELAY
        OutboxTask.enqueue(REFRESH_TASK, key=refresh_key(), delay=delay)
    suggestions.refresh_for(user_ids, finish_claim=token)
    return len(user_ids)


@shared_task(time_limit=300)
def rescore_candidate(candidate_id: int, via_id: int) -> tuple[int, int]:
    """The connection candidate–via appeared or went (run through the outbox): rescore
    candidate in the lists of via's connections, as they are now."""
    viewers = connected_ids(via_id) - {candidate_id}
    return suggestions.rescore_candidate(candidate_id, viewers)


@shared_task(time_limit=300)
def candidate_changed(user_id: int, group_id: int | None = None) -> int:
    """A member's profile or seat changed (run through the outbox): mark the lists the
    change can move, read from the current data, so a late or repeated run is harmless."""
    affected = suggestions.lists_a_candidate_change_can_move(user_id, group_id)
    if len(affected):
        mark_stale(*affected.tolist())
    return len(affected)


@shared_task(time_limit=300)
def sweep_stale_suggestions() -> int:
    """Beat: a safety net for marks with no wake-up at all (written by hand, or their intent
    dead-lettered), and more parallel wake-ups for a backlog; each wake-up drains a batch.
    Wake-ups lost to a dead broker or worker are the outbox sweep's job."""
    waiting = StaleSuggestions.objects.claimable().count()
    batches = -(-waiting // StaleSuggestions.REFRESH_BATCH)
    for slot in range(min(batches, SWEEP_MAX_WAKEUPS)):
        OutboxTask.enqueue(REFRESH_TASK, key=refresh_key(slot))
    return waiting


@shared_task(acks_late=True, time_limit=OutboxTask.LEASE_SECONDS - 60)
def recompute_suggestions_range(lo: int, hi: int) -> int:
    """One id range of the full recompute; idempotent, so a redelivery after a crash
    simply writes the same rows again. Runs inside the outbox runner, under its 240 s limit
    (measured: 12.5 s, 38 s on a loaded machine, for 20,000 of 100,000 members)."""
    return suggestions.recompute_range(lo, hi)


@shared_task(time_limit=300)
def recompute_all_suggestions(range_size: int = 20000) -> int:
    """Beat: the periodic full recompute, fanned out as one task per id range."""
    return dispatch_ranges(range_size)


@shared_task(acks_late=True, time_limit=60)
def email_unread_conversation(conversation_id: int, user_id: int) -> bool:
    """Outbox task, keyed per conversation and reader: one email about a conversation left
    unread for 15 minutes. Before then it asks to be run again at the due time (RetryLater);
    after a read, or once the email is queued, it does nothing."""
    from connections.models import Participant

    side = (
        Participant.objects.select_related("user", "other")
        .filter(conversation_id=conversation_id, user_id=user_id)
        .first()
    )
    return side.email_if_still_unread() if side else False


@shared_task(time_limit=300)
def schedule_digests() -> int:
    """Beat, hourly: one outbox intent per member whose digest is due (see digests.py)."""
    return digests.schedule_digests()


@shared_task(time_limit=120)
def send_digest(user_id: int, frequency: str, period: str) -> int:
    """Run through the outbox only (an intent keyed per member and period)."""
    return digests.send_digest(user_id, frequency, period)
