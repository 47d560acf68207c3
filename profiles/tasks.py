from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from profiles.models import OutgoingEmail


@shared_task(acks_late=True, time_limit=60)
def send_outgoing_email(outgoing_email_pk: int) -> bool:
    email = OutgoingEmail.objects.filter(pk=outgoing_email_pk).first()
    return email.send() if email else False


@shared_task(time_limit=300)
def sweep_outbox(older_than_seconds: int = 60, batch: int = 500) -> int:
    """Send mail whose task was never published (broker down) or whose send failed."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    sent = 0
    for email in OutgoingEmail.objects.pending().filter(created_at__lte=cutoff)[:batch]:
        sent += email.send()
    return sent


@shared_task(time_limit=300)
def purge_sent_outbox(days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutgoingEmail.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
