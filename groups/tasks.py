"""Celery tasks of the groups layer: notifications about requests and answers, the activity roll-
up."""

from celery import shared_task

from groups.models import GroupActivity, JoinRequest, Post


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


@shared_task(acks_late=True, time_limit=120)
def notify_moderators_of_report(target_type: str, target_id: int, event: str) -> int:
    from groups.models.reports import notify_moderators_of_report as notify

    return notify(target_type, target_id, event)
