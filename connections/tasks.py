"""Celery tasks of the connections layer: suggestion refreshes and recomputes."""

import logging

from celery import shared_task

from connections import digests, suggestions
from connections.models import StaleSuggestions

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
    suggestions.refresh_for(user_ids, finish_claim=token)
    if StaleSuggestions.objects.claimable().exists():
        refresh_stale_suggestions.delay()
    return len(user_ids)


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


@shared_task(time_limit=600)
def schedule_digests() -> int:
    """Beat, hourly: one outbox intent per member whose digest is due (see digests.py)."""
    return digests.schedule_digests()


@shared_task(time_limit=120)
def send_digest(user_id: int, frequency: str, period: str) -> int:
    """Run through the outbox only (an intent keyed per member and period)."""
    return digests.send_digest(user_id, frequency, period)
