"""The Celery app, its safe publishing and the static beat schedule."""

import logging
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class SafePublishTask(DjangoTask):
    """A task whose publishing never fails the caller.

    When the broker is unreachable the error is logged and None returned; each kind of
    work that matters has a periodic sweep that finds it undone and publishes it again.
    """

    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except (OperationalError, OSError) as error:
            if self.app.conf.task_always_eager:
                raise
            logger.error("Could not publish %s%r: %s", self.name, tuple(args or ()), error)
            return None


app = Celery("gilda", task_cls=SafePublishTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def return_database_connections(sender=None, **kwargs) -> None:
    """Before and after each task a worker runs, its database connections go back to the pool
    (Django's close_old_connections, as at the end of a request); a dead one is replaced as
    it leaves the pool again (the pool's check). Celery's own Django fixup would close the
    whole pool instead, in a prefork worker: two new PostgreSQL backends for every task, so
    settings.CELERY_DB_REUSE_MAX keeps it from doing so. Tasks run eagerly run inside their
    caller's request or transaction, whose connection is left alone."""
    request = getattr(sender, "request", None)
    if request is not None and getattr(request, "is_eager", False):
        return
    close_old_connections()


# Static schedule: django-celery-beat does not support Django 6.1.
app.conf.beat_schedule = {
    # Every side effect is an OutboxTask row; this publishes the ones still not done.
    "sweep-outbox": {
        "task": "profiles.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "sweep-stale-suggestions": {
        "task": "connections.tasks.sweep_stale_suggestions",
        "schedule": 60.0,
    },
    "recompute-all-suggestions": {
        "task": "connections.tasks.recompute_all_suggestions",
        "schedule": crontab(hour=4, minute=0),
    },
    # The group pages add the posts written since: only accepts and deletions wait for it.
    "roll-up-group-activity": {
        "task": "groups.tasks.roll_up_group_activity",
        "schedule": 600.0,
    },
    # Meetups: quorum deadlines and the day-before reminders (both idempotent per event).
    "decide-event-quorums": {
        "task": "groups.tasks.decide_event_quorums",
        "schedule": 300.0,
    },
    "send-event-reminders": {
        "task": "groups.tasks.send_event_reminders",
        "schedule": 900.0,
    },
    # Records the digests due in each member's time zone; idempotent per member and period.
    "schedule-digests": {
        "task": "connections.tasks.schedule_digests",
        "schedule": crontab(minute=5),
    },
    "purge-sent-email": {
        "task": "profiles.tasks.purge_sent_outbox",
        "schedule": crontab(hour=3, minute=30),
    },
}
