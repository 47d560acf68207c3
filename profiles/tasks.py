"""Celery tasks of the identity layer: outbox tasks, email delivery and the sweeps."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from profiles.models import OutboxTask, OutgoingEmail


@shared_task(acks_late=True, time_limit=OutboxTask.LEASE_SECONDS - 60)
def run_outbox_task(outbox_task_pk: int) -> bool:
    """Run one recorded intent (see profiles/models/outbox.py); a duplicate delivery, or one
    for an intent that is done or leased elsewhere, does nothing."""
    intent = OutboxTask.claim(outbox_task_pk)
    return intent.run() if intent else False


@shared_task(time_limit=60)
def send_outgoing_email(outgoing_email_pk: int) -> bool:
    email = OutgoingEmail.objects.filter(pk=outgoing_email_pk).first()
    return email.send() if email else False


@shared_task(time_limit=300)
def sweep_outbox(unpublished_after: int | None = None, batch: int = 1000) -> int:
    """Beat: publish the intents whose publish was lost (broker down at commit), whose worker
    died, or whose backoff is over."""
    stale_after = settings.OUTBOX_REPUBLISH_AFTER
    if unpublished_after is None:
        unpublished_after = 30
    due = OutboxTask.objects.due_for_publishing(
        unpublished_after=unpublished_after, stale_after=stale_after
    ).order_by("next_attempt_at")[:batch]
    published = 0
    for intent in due:
        if not intent.publish():
            break  # the broker is down: the next sweep tries again
        published += 1
    return published


@shared_task(time_limit=300)
def purge_sent_outbox(days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutgoingEmail.objects.filter(sent_at__lt=cutoff).delete()
    tasks, _ = OutboxTask.objects.filter(
        state=OutboxTask.State.DONE, finished_at__lt=cutoff
    ).delete()
    return deleted + tasks
