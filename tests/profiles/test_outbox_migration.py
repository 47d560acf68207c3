"""The data migration that gave old unsent mail a delivery intent (profiles 0006): a deploy
sends what is recent and dead-letters what is stale, instead of a burst of day-old codes."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.core import mail
from django.utils import timezone

from profiles.models import OutboxTask, OutgoingEmail
from profiles.tasks import sweep_outbox

migration = importlib.import_module("profiles.migrations.0006_outbox_tasks")


def unsent_before_the_outbox(to: str, age: timedelta, sent: bool = False) -> OutgoingEmail:
    """A row as the old code left it: no delivery intent."""
    now = timezone.now()
    return OutgoingEmail.objects.create(
        to=to,
        from_email="Gilda <noreply@gilda.localhost>",
        subject=f"Codice per {to}",
        body_text="123456",
        created_at=now - age,
        sent_at=now - age if sent else None,
    )


def test_a_deploy_sends_recent_unsent_mail_and_dead_letters_stale_mail(db):
    fresh = unsent_before_the_outbox("fresca@example.com", timedelta(minutes=10))
    day_old = unsent_before_the_outbox("vecchia@example.com", timedelta(hours=25))
    week_old = unsent_before_the_outbox("antica@example.com", timedelta(days=7))
    unsent_before_the_outbox("spedita@example.com", timedelta(days=2), sent=True)

    migration.schedule_unsent_email(apps, None)

    intents = {intent.args[0]: intent for intent in OutboxTask.objects.all()}
    assert set(intents) == {fresh.pk, day_old.pk, week_old.pk}  # nothing for sent mail
    assert intents[fresh.pk].state == "pending"
    for stale in (day_old, week_old):
        assert intents[stale.pk].state == "dead"
        assert "older than 24 hours" in intents[stale.pk].last_error

    mail.outbox.clear()
    assert sweep_outbox(unpublished_after=0) == 1  # Celery eager in tests: sent at once
    assert [message.to for message in mail.outbox] == [["fresca@example.com"]]
    assert OutgoingEmail.objects.filter(sent_at__isnull=True).count() == 2
    assert sweep_outbox(unpublished_after=0) == 0


def test_an_admin_can_still_send_a_dead_lettered_stale_email_by_hand(db):
    stale = unsent_before_the_outbox("vecchia@example.com", timedelta(days=3))
    migration.schedule_unsent_email(apps, None)
    mail.outbox.clear()

    OutboxTask.retry_now(OutboxTask.objects.filter(args=[stale.pk]))
    assert sweep_outbox(unpublished_after=0) == 1

    assert [message.to for message in mail.outbox] == [["vecchia@example.com"]]
    assert OutgoingEmail.objects.get(pk=stale.pk).sent_at is not None
