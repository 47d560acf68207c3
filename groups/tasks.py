"""Celery tasks of the groups layer: notifications about requests and answers, the activity roll-
up, and the events' quorum decisions and reminders."""

from celery import shared_task
from django.utils import timezone

from groups.models import Event, GroupActivity, JoinRequest, Post
from groups.models.events import REMINDER_AHEAD


@shared_task(acks_late=True, time_limit=120)
def notify_moderators_of_join_request(join_request_pk: int) -> int:
    join_request = JoinRequest.objects.select_related("group", "user").filter(pk=join_request_pk)
    join_request = join_request.first()
    return join_request.notify_moderators() if join_request else 0


@shared_task(acks_late=True, time_limit=120)
def notify_watchers_of_answer(answer_pk: int) -> int:
    answer = Post.objects.select_related("group", "author", "question").filter(pk=answer_pk)
    answer = answer.first()
    return answer.notify_watchers() if answer else 0


@shared_task(time_limit=300)
def roll_up_group_activity() -> int:
    """Refresh what the group pages' "most active members" read (idempotent)."""
    return GroupActivity.rebuild()


@shared_task(acks_late=True, time_limit=300)
def decide_event_quorums() -> int:
    """Events past their quorum deadline: confirmed or called off, everyone told (once:
    Event.decide_quorum only acts on a still-scheduled event, under its row lock)."""
    due = Event.objects.filter(
        status=Event.Status.SCHEDULED, quorum__isnull=False, quorum_deadline__lte=timezone.now()
    ).select_related("group")
    return sum(1 for event in due if event.decide_quorum())


@shared_task(acks_late=True, time_limit=300)
def send_event_reminders() -> int:
    """The day-before reminders (once per event: Event.send_reminders claims the event in the
    same transaction that writes the reminders)."""
    now = timezone.now()
    due = Event.objects.filter(
        reminded_at__isnull=True,
        status__in=[Event.Status.SCHEDULED, Event.Status.CONFIRMED],
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_AHEAD,
    ).select_related("group")
    return sum(event.send_reminders(now) for event in due)
