"""Suggestions when Redis is down at enqueue time: the change commits, the marks wait in the
database, and the sweep catches up once a broker is back. The broker is a real closed port."""

from config.celery import app as celery_app
from connections import suggestions
from connections.models import Connection, ConnectionRequest, StaleSuggestions
from connections.tasks import sweep_stale_suggestions
from profiles.models import OutboxTask
from profiles.tasks import sweep_outbox


def test_accepting_with_the_broker_down_succeeds_and_the_sweep_refreshes_later(
    alice,
    bob,
    carol,
    dave,
    dead_broker,
    django_capture_on_commit_callbacks,
):
    Connection.connect(alice, bob)
    Connection.connect(dave, bob)
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    suggestions.refresh_for([alice.pk, dave.pk, bob.pk, carol.pk])
    assert list(dave.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]

    with django_capture_on_commit_callbacks(execute=True):
        ConnectionRequest.send(carol, dave, "Ciao Davide").accept()

    assert Connection.objects.between(carol.pk, dave.pk).exists()
    # The two ends wait as marks; their connections' rescores wait as outbox intents.
    waiting = set(StaleSuggestions.objects.values_list("user_id", flat=True))
    assert waiting == {carol.pk, dave.pk}
    rescores = OutboxTask.objects.filter(
        name="connections.tasks.rescore_candidate", state=OutboxTask.State.PENDING
    )
    assert sorted(rescores.values_list("args", flat=True)) == sorted(
        [[carol.pk, dave.pk], [dave.pk, carol.pk]]
    )
    assert dave.suggestions.get().candidate_id == alice.pk  # not refreshed yet

    celery_app.conf.task_always_eager = True  # a broker again (eager stands in for it)
    assert sweep_stale_suggestions() == 2
    sweep_outbox(unpublished_after=0)

    assert not StaleSuggestions.objects.exists()
    # carol and bob now share dave; alice is three hops from carol.
    assert list(bob.suggestions.values_list("candidate_id", flat=True)) == [carol.pk]
    assert list(dave.suggestions.values_list("candidate_id", flat=True)) == [alice.pk]
    assert list(carol.suggestions.values_list("candidate_id", flat=True)) == [bob.pk]
