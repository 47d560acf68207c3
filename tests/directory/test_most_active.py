"""Most active: an accepted answer 10 points, an answer 3, a question 1 (the README's weights,
written out here rather than imported); last 30 days, in readable groups only."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from groups.models import Post


def points(response) -> dict[int, int]:
    html = response.content.decode()
    found = re.findall(r'data-member="(\d+)".*?data-testid="activity">(\d+)', html, re.S)
    return {int(pk): int(score) for pk, score in found}


@pytest.fixture
def threads(
    closed_group, open_group, alice, bob, carol, dave, moderator, django_capture_on_commit_callbacks
):
    """In the closed group Bob asks and the moderator's answer is accepted; in the open group
    Dave asks twice and Carol answers once. An old answer of Carol's no longer counts."""
    open_group.add_member(carol)
    open_group.add_member(dave)
    with django_capture_on_commit_callbacks(execute=True):
        question = Post.ask(closed_group, bob, title="Tariffe per un naming?", body="Quanto?")
        accepted = question.answer(moderator, body="Da 1.500 euro.")
        question.accept(accepted, by=bob)
        first = Post.ask(open_group, dave, title="Quale CMS?", body="Per un blog.")
        Post.ask(open_group, dave, title="Quale hosting?", body="Economico.")
        first.answer(carol, body="WordPress, senza dubbio.")
        old = first.answer(carol, body="Oppure Ghost.")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    return closed_group


def test_members_of_the_closed_group_see_its_activity(
    bob_client, threads, bob, carol, dave, moderator, directory_url, cards
):
    response = bob_client.get(directory_url, {"ordine": "attivi"})
    assert cards(response)[:3] == [moderator.pk, carol.pk, dave.pk]
    scores = points(response)
    assert scores[moderator.pk] == 10
    assert scores[carol.pk] == 3
    assert scores[dave.pk] == 2


def test_outsiders_see_no_closed_group_activity(
    dave_client, threads, alice, bob, carol, moderator, directory_url, cards
):
    for headers in ({}, {"HX-Request": "true"}):
        response = dave_client.get(directory_url, {"ordine": "attivi"}, headers=headers)
        scores = points(response)
        assert cards(response)[0] == carol.pk
        assert scores[carol.pk] == 3
        assert scores[moderator.pk] == 0
        assert scores[bob.pk] == 0


def test_staff_see_all_activity(staff_client, threads, moderator, bob, directory_url):
    scores = points(staff_client.get(directory_url, {"ordine": "attivi"}))
    assert scores[moderator.pk] == 10
    assert scores[bob.pk] == 1


def test_in_a_group_directory_only_that_groups_activity_counts(
    alice_client, threads, open_group, carol, dave, directory_url, cards
):
    response = alice_client.get(directory_url, {"ordine": "attivi", "gruppo": open_group.slug})
    assert cards(response) == [carol.pk, dave.pk]
    assert points(response) == {carol.pk: 3, dave.pk: 2}


def test_deleted_posts_do_not_count(bob_client, threads, moderator, directory_url):
    Post.objects.filter(author=moderator).update(deleted_at=timezone.now(), is_accepted=False)
    assert points(bob_client.get(directory_url, {"ordine": "attivi"}))[moderator.pk] == 0


@pytest.mark.parametrize("size", [3, 40])
def test_most_active_queries(
    bob_client, threads, make_user, open_group, size, directory_url, django_assert_num_queries
):
    for i in range(size):
        user = make_user(f"attivo{i}@example.com", f"Attivo {i}")
        open_group.add_member(user)
        Post.ask(open_group, user, title=f"Domanda {i}", body="…")
    # user, bob's profile, sectors, count, page with scores, skills, groups, badge
    with django_assert_num_queries(8):
        response = bob_client.get(directory_url, {"ordine": "attivi"})
    assert response.status_code == 200
