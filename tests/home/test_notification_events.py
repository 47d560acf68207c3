"""Each event gives exactly one notification to each right person and none to anyone else."""

from collections import Counter

import pytest

from connections.models import ConnectionRequest
from groups.models import Post
from profiles.models import Notification


@pytest.fixture
def everyone(alice, bob, carol, dave, moderator):
    return [alice, bob, carol, dave, moderator]


def received(kind: str) -> Counter:
    return Counter(
        Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True)
    )


def test_a_new_answer_tells_the_asker_and_followers_once_each(
    closed_group, alice, bob, moderator, dave, everyone, django_capture_on_commit_callbacks
):
    question = Post.ask(closed_group, bob, title="Domanda", body="?")
    question.watch(moderator)
    question.watch(dave)  # an outsider cannot follow into a closed group's notifications
    with django_capture_on_commit_callbacks(execute=True):
        answer = question.answer(alice, body="Risposta")
        answer.notify_watchers()  # run twice (a retried task): still once each
    assert received("group-new-answer") == Counter(
        {"bob@example.com": 1, "moderator@example.com": 1}
    )


def test_an_accepted_answer_tells_only_its_author(
    closed_group, alice, bob, everyone, django_capture_on_commit_callbacks
):
    question = Post.ask(closed_group, bob, title="Domanda", body="?")
    with django_capture_on_commit_callbacks(execute=True):
        answer = question.answer(alice, body="Risposta")
    question.accept(answer, by=bob)
    question.accept(answer, by=bob)  # a double click
    assert received("group-answer-accepted") == Counter({"alice@example.com": 1})


def test_a_join_request_tells_each_moderator_once_and_its_decision_the_requester(
    closed_group, carol, moderator, everyone
):
    join_request = closed_group.pending_request_of(carol)
    join_request.notify_moderators()
    join_request.notify_moderators()
    assert received("group-join-request") == Counter(
        {"alice@example.com": 1, "moderator@example.com": 1}
    )
    join_request.approve(by=moderator)
    join_request.approve(by=moderator)
    assert received("group-request-approved") == Counter({"carol@example.com": 1})


def test_connection_request_and_acceptance_tell_one_person_each(bob, dave, everyone):
    request = ConnectionRequest.send(dave, bob, "Ciao")
    ConnectionRequest.send(dave, bob, "Ciao di nuovo")  # the same open request
    assert received("connection-request") == Counter({"bob@example.com": 1})
    request.accept()
    request.accept()
    assert received("connection-accepted") == Counter({"dave@example.com": 1})
