"""Rate limits on every write, per kind, stricter for new accounts, counted in the database
(so Redis being down changes nothing), travelled through with time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from connections.models import ConnectionRequest
from groups.models import Comment, Group, JoinRequest, Post, Vote
from profiles.models import Report
from profiles.ratelimits import RateLimited

pytestmark = pytest.mark.rate_limits

# Small limits written out here, not read from the code: 2 an hour for new accounts, 4 for
# established ones.
LIMITS = {
    kind: ((2, 3600), (4, 3600))
    for kind in (
        "question",
        "answer",
        "comment",
        "vote",
        "join_request",
        "connection_request",
        "report",
    )
}
START = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.RATE_LIMITS = LIMITS


@pytest.fixture
def unlimited(settings):
    """unlimited(): a context in which fixtures set up their world without limits."""
    from contextlib import contextmanager

    @contextmanager
    def off():
        settings.RATE_LIMITS_ENABLED = False
        try:
            yield
        finally:
            settings.RATE_LIMITS_ENABLED = True

    return off


@pytest.fixture
def question(closed_group, bob):
    return Post.ask(closed_group, bob, title="Quanto chiedere per un naming?", body="Tariffe?")


@pytest.fixture
def world(closed_group, alice, make_user, sector, unlimited):
    """A writer factory and, for each kind, a function doing the write number i."""
    with unlimited():
        return _world(closed_group, alice, make_user, sector)


def _world(closed_group, alice, make_user, sector):
    targets = []
    for index in range(6):
        targets.append(
            Group.create_with_owner(
                alice,
                name=f"Chiuso {index}",
                slug=f"chiuso-{index}",
                sector=sector,
                visibility=Group.Visibility.CLOSED,
            )
        )
    question = Post.ask(closed_group, alice, title="Domanda di Alice", body="Testo")
    answers = [question.answer(alice, body=f"Risposta {i}") for i in range(6)]
    people = [make_user(f"persona{i}@example.com", f"Persona {i}") for i in range(6)]

    def writer(*, new: bool):
        joined = timezone.now() if new else timezone.now() - timedelta(days=30)
        user = make_user(
            f"writer-{'new' if new else 'old'}@example.com", "Scrittore", date_joined=joined
        )
        closed_group.add_member(user)
        return user

    actions = {
        "question": lambda u, i: Post.ask(closed_group, u, title=f"Domanda {i}", body="?"),
        "answer": lambda u, i: question.answer(u, body=f"Risposta mia {i}"),
        "comment": lambda u, i: question.comment(u, body=f"Commento {i}"),
        "vote": lambda u, i: answers[i].vote(u, 1),
        "join_request": lambda u, i: targets[i].request_to_join(u),
        "connection_request": lambda u, i: ConnectionRequest.send(u, people[i], "Ciao"),
        "report": lambda u, i: answers[i].report(u, reason="spam"),
    }
    rows = {
        "question": lambda u: Post.objects.filter(author=u, kind="question"),
        "answer": lambda u: Post.objects.filter(author=u, kind="answer"),
        "comment": lambda u: Comment.objects.filter(author=u),
        "vote": lambda u: Vote.objects.filter(user=u),
        "join_request": lambda u: JoinRequest.objects.filter(user=u),
        "connection_request": lambda u: ConnectionRequest.objects.filter(sender=u),
        "report": lambda u: Report.objects.filter(reporter=u),
    }
    return writer, actions, rows


@pytest.mark.parametrize("kind", sorted(LIMITS))
@pytest.mark.parametrize("age", ["new", "old"])
def test_each_kind_is_limited_per_account_age_and_frees_up_after_the_window(world, kind, age):
    writer, actions, rows = world
    allowed = 2 if age == "new" else 4
    with time_machine.travel(START, tick=False) as traveller:
        user = writer(new=age == "new")
        for index in range(allowed):
            actions[kind](user, index)
            traveller.shift(timedelta(minutes=1))
        with pytest.raises(RateLimited) as refused:
            actions[kind](user, allowed)
        assert rows[kind](user).count() == allowed
        # The oldest write leaves the hour-long window 60 minutes after it was made.
        assert refused.value.retry_at == START + timedelta(hours=1)

        traveller.shift(START + timedelta(hours=1, seconds=1) - timezone.now())
        actions[kind](user, allowed)
        assert rows[kind](user).count() == allowed + 1


def test_an_accepted_answer_lifts_a_new_account_out_of_the_strict_limits(
    world, closed_group, alice, unlimited
):
    writer, actions, rows = world
    user = writer(new=True)
    with unlimited():
        mine = Post.ask(closed_group, alice, title="Chi mi aiuta?", body="?")
        helpful = mine.answer(user, body="Ecco come")
        mine.accept(helpful, by=alice)

    for index in range(3):  # one more than a new account may
        actions["question"](user, index)
    assert rows["question"](user).count() == 3


def test_staff_are_not_limited(world, staff, closed_group):
    writer, actions, rows = world
    closed_group.add_member(staff)
    for index in range(5):
        actions["comment"](staff, index)
    assert rows["comment"](staff).count() == 5


def test_limits_are_counted_in_the_database_so_redis_being_down_changes_nothing(world, settings):
    from tests.smtp_server import closed_port

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    writer, actions, _rows = world
    user = writer(new=True)
    actions["comment"](user, 0)
    actions["comment"](user, 1)
    with pytest.raises(RateLimited):
        actions["comment"](user, 2)


# Through the pages: a clear message with the retry time, and nothing typed is lost.


@pytest.fixture
def limited_bob(bob, question, alice):
    """bob (a new account) has already commented twice and asked twice (`question` is his) in
    the last hour."""
    question.comment(bob, body="Primo")
    question.comment(bob, body="Secondo")
    Post.ask(question.group, bob, title="Seconda domanda", body="?")
    return bob


def test_a_limited_htmx_comment_is_a_429_that_keeps_the_text(bob_client, limited_bob, question):
    url = reverse("groups:comment", args=[question.group.slug, question.pk])

    response = bob_client.post(
        url, {"body": "Il mio commento lungo e pensato"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "<html" not in page
    assert "Il mio commento lungo e pensato" in page
    assert "Nothing you wrote is lost" in page or "non va perso" in page
    assert Comment.objects.filter(author=limited_bob).count() == 2


def test_a_limited_question_without_htmx_is_a_form_error_that_keeps_the_input(
    bob_client, limited_bob, closed_group
):
    response = bob_client.post(
        reverse("groups:ask", args=[closed_group.slug]),
        {"title": "Terza domanda importante", "body": "Un testo che non deve sparire"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Terza domanda importante" in page and "Un testo che non deve sparire" in page
    assert Post.objects.filter(author=limited_bob, kind="question").count() == 2


def test_a_limited_htmx_vote_is_a_429_vote_box(bob_client, bob, question, alice, unlimited):
    with unlimited():
        answers = [question.answer(alice, body=f"Risposta {i}") for i in range(3)]
    answers[0].vote(bob, 1)
    answers[1].vote(bob, 1)

    response = bob_client.post(
        reverse("groups:vote", args=[question.group.slug, answers[2].pk]),
        {"value": "1"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 429
    assert b'data-testid="vote-box"' in response.content
    assert not Vote.objects.filter(user=bob, post=answers[2]).exists()
