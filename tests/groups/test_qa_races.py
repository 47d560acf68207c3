"""Q&A races on PostgreSQL: parallel votes and accepts through the real views."""

import random

import pytest
from django.db.models import Sum
from django.urls import reverse

from groups.models import Post, Vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_identical_votes_leave_one_vote_row(question, alice, all_at_once, logged_in):
    url = reverse("groups:vote", args=[question.group.slug, question.pk])
    clients = [logged_in(alice) for _ in range(50)]

    responses = all_at_once([lambda c=c: c.post(url, {"value": "1"}) for c in clients])

    assert [getattr(r, "status_code", r) for r in responses] == [302] * 50
    assert Vote.objects.filter(post=question, user=alice).count() == 1
    question.refresh_from_db()
    assert question.score == 1


def test_after_a_random_vote_storm_every_score_is_the_sum_of_its_votes(
    closed_group, bob, alice, make_user, all_at_once, logged_in
):
    voters = []
    for index in range(8):
        person = make_user(f"storm{index}@example.com", f"Votante {index}")
        closed_group.add_member(person)
        voters.append(person)
    question = Post.ask(closed_group, bob, title="Tempesta di voti?", body="…")
    posts = [question, *(question.answer(alice, body=f"Risposta {i}") for i in range(3))]
    rng = random.Random(2026)
    clients = {person.pk: logged_in(person) for person in voters}
    calls = []
    for _ in range(120):
        person, post = rng.choice(voters), rng.choice(posts)
        url = reverse("groups:vote", args=[closed_group.slug, post.pk])
        value = str(rng.choice([1, -1, 0]))
        calls.append(lambda c=clients[person.pk], u=url, v=value: c.post(u, {"value": v}))

    for start in range(0, len(calls), 40):
        responses = all_at_once(calls[start : start + 40])
        assert [getattr(r, "status_code", r) for r in responses] == [302] * 40

    for post in posts:
        post.refresh_from_db()
        total = Vote.objects.filter(post=post).aggregate(total=Sum("value"))["total"] or 0
        assert post.score == total
    assert Vote.objects.count() <= len(voters) * len(posts)


def test_two_concurrent_accepts_leave_exactly_one_accepted_answer(
    question, alice, moderator, bob, all_at_once, logged_in
):
    for round_number in range(6):
        first = question.answer(alice, body=f"Prima {round_number}")
        second = question.answer(moderator, body=f"Seconda {round_number}")
        clients = [logged_in(bob), logged_in(bob)]
        urls = [
            reverse("groups:accept", args=[question.group.slug, answer.pk])
            for answer in (first, second)
        ]

        responses = all_at_once([lambda c=c, u=u: c.post(u) for c, u in zip(clients, urls)])

        assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
        accepted = Post.objects.filter(question=question, is_accepted=True)
        assert accepted.count() == 1
        assert accepted.get().pk in (first.pk, second.pk)
