"""Notifications asked for while the broker is down arrive once it is back: the intent is a
row written in the request's transaction, and the beat sweep publishes it (a real closed port
as the broker, nothing mocked)."""

from config.celery import app as celery_app
from groups.models import Post
from profiles.models import Notification, OutboxTask
from profiles.tasks import sweep_outbox


def test_a_new_answer_during_a_broker_outage_notifies_the_asker_afterwards(
    closed_group,
    bob,
    alice,
    dead_broker,  # noqa: F811 - the imported fixture
    django_capture_on_commit_callbacks,
):
    question = Post.ask(closed_group, bob, title="Tariffe naming?", body="Quanto chiedete?")
    OutboxTask.objects.all().delete()  # the fixtures' own side effects
    with django_capture_on_commit_callbacks(execute=True):
        answer = question.answer(alice, body="Da 1.500 euro.")

    assert not bob.notifications.filter(kind="group-new-answer").exists()
    intent = OutboxTask.objects.get(name="groups.tasks.notify_watchers_of_answer")
    assert (intent.args, intent.state, intent.published_at) == ([answer.pk], "pending", None)

    celery_app.conf.task_always_eager = True  # the broker is back
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_outbox(unpublished_after=0) == 1

    told = Notification.objects.filter(kind="group-new-answer", params__answer_id=answer.pk)
    assert list(told.values_list("recipient__email", flat=True)) == ["bob@example.com"]
    intent.refresh_from_db()
    assert intent.state == "done"


def test_a_join_request_during_a_broker_outage_reaches_the_moderators_afterwards(
    closed_group,
    dave,
    dead_broker,  # noqa: F811 - the imported fixture
    django_capture_on_commit_callbacks,
):
    OutboxTask.objects.all().delete()  # the fixtures' own side effects
    with django_capture_on_commit_callbacks(execute=True):
        join_request = closed_group.request_to_join(dave, answer="Copy per banche")

    told = Notification.objects.filter(
        kind="group-join-request", params__request_id=join_request.pk
    )
    assert not told.exists()

    celery_app.conf.task_always_eager = True
    assert sweep_outbox(unpublished_after=0) == 1

    assert sorted(told.values_list("recipient__email", flat=True)) == [
        "alice@example.com",
        "moderator@example.com",
    ]


def test_a_rolled_back_request_leaves_no_intent(closed_group, dave):
    from django.db import transaction

    before = OutboxTask.objects.count()
    try:
        with transaction.atomic():
            closed_group.request_to_join(dave, answer="Copy per banche")
            raise RuntimeError("the request failed after the join request")
    except RuntimeError:
        pass
    assert OutboxTask.objects.count() == before
