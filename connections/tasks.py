"""Celery tasks of the connections layer: suggestion refreshes and recomputes."""

import logging

from celery import shared_task

from connections import suggestions
from connections.models import StaleSuggestions, connected_ids, mark_stale

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=120)
def refresh_stale_suggestions(batch: int = StaleSuggestions.REFRESH_BATCH) -> int:
    """Drain the stale-suggestions table a batch at a time. Each publish of this task is
    just a wake-up: bursts coalesce in the table, and a task with nothing left to claim
    returns at once. If more is waiting it wakes another worker, so a hub's thousands of
    connections become several short tasks spread over the workers."""
    token, user_ids = StaleSuggestions.claim(batch)
    if not user_ids:
        return 0
    # Wake another worker before computing, so the batches of a big burst run side by side.
    if StaleSuggestions.objects.claimable().exists():
        refresh_stale_suggestions.delay()
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
    """Beat: catch up on marks whose wake-up was never published (broker down) or whose
    worker died; each wake-up drains a batch."""
    waiting = StaleSuggestions.objects.claimable().count()
    batches = -(-waiting // StaleSuggestions.REFRESH_BATCH)
    for _ in range(min(batches, 50)):
        refresh_stale_suggestions.delay()
    return waiting


@shared_task(acks_late=True, time_limit=1800)
def recompute_suggestions_range(lo: int, hi: int) -> int:
    """One id range of the full recompute; idempotent, so a redelivery after a crash
    simply writes the same rows again."""
    return suggestions.recompute_range(lo, hi)


@shared_task(time_limit=300)
def recompute_all_suggestions(range_size: int = 20000) -> int:
    """Beat: the periodic full recompute, fanned out as one task per id range."""
    ranges = suggestions.user_id_ranges(range_size)
    for lo, hi in ranges:
        recompute_suggestions_range.delay(lo, hi)
    return len(ranges)
