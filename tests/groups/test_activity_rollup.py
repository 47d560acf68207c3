"""The group page's "most active members" reads a periodic roll-up plus the posts since it
(issue 12); Group.most_active_members() is the live twin it must agree with."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups.models import (
    ACCEPTED_ANSWER_POINTS,
    ANSWER_POINTS,
    QUESTION_POINTS,
    GroupActivity,
    Post,
    most_active_members,
)
from groups.tasks import roll_up_group_activity


def ranking(users):
    return [(user.pk, user.activity_points, user.recent_answers) for user in users]


@pytest.fixture
def activity(closed_group, alice, bob, moderator):
    question = Post.ask(closed_group, bob, title="Tariffe per un naming?", body="Quanto?")
    accepted = question.answer(moderator, body="Da 1.500 euro.")
    question.answer(alice, body="Dipende.")
    question.accept(accepted, by=bob)
    old = Post.ask(closed_group, alice, title="Vecchia domanda?", body="…")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    return question


def test_without_a_roll_up_the_ranking_is_the_live_one(activity, closed_group, moderator, bob):
    assert GroupActivity.objects.count() == 0

    assert ranking(most_active_members(closed_group)) == ranking(closed_group.most_active_members())
    assert ranking(most_active_members(closed_group))[0] == (
        moderator.pk,
        ACCEPTED_ANSWER_POINTS,
        1,
    )


def test_roll_up_plus_new_posts_equals_the_live_ranking(
    activity, closed_group, alice, bob, carol, moderator
):
    assert roll_up_group_activity() == 3  # bob, the moderator, alice: the old post is out
    closed_group.add_member(carol)
    # Written after the roll-up: counted at once, from the posts.
    activity.answer(carol, body="Chiedi un anticipo.")
    Post.ask(closed_group, carol, title="E per un logo?", body="…")

    rolled = ranking(most_active_members(closed_group))

    assert rolled == ranking(closed_group.most_active_members())
    assert dict((pk, points) for pk, points, _answers in rolled)[carol.pk] == (
        ANSWER_POINTS + QUESTION_POINTS
    )


def test_posts_are_not_counted_twice_after_a_roll_up(activity, closed_group, bob):
    GroupActivity.rebuild()
    GroupActivity.rebuild()  # idempotent

    points = {user.pk: user.activity_points for user in most_active_members(closed_group)}

    assert points[bob.pk] == QUESTION_POINTS


def test_members_who_left_are_left_out_of_the_roll_up(activity, closed_group, moderator):
    GroupActivity.rebuild()
    closed_group.memberships.filter(user=moderator).delete()

    assert moderator.pk not in [user.pk for user in most_active_members(closed_group)]


def test_a_stale_roll_up_no_longer_counts(activity, closed_group):
    GroupActivity.rebuild(now=timezone.now() - timedelta(days=40))

    assert ranking(most_active_members(closed_group)) == ranking(closed_group.most_active_members())


def test_group_page_shows_rolled_up_members_to_members_only(
    activity, closed_group, bob_client, dave_client, moderator
):
    GroupActivity.rebuild()
    url = reverse("groups:detail", args=[closed_group.slug])

    inside = bob_client.get(url).content.decode()
    outside = dave_client.get(url).content.decode()

    assert "Monica Moderatrice" in inside.split('data-testid="active-members"')[1]
    assert 'data-testid="active-members"' not in outside
    assert "Monica Moderatrice" not in outside


def test_a_member_below_the_leaders_who_posts_since_the_roll_up_is_ranked_exactly(
    closed_group, make_user, django_assert_num_queries
):
    """60 rolled-up members (more than the 50 leaders the query reads), the last of whom
    answers a lot after the roll-up: the ranking still equals the live one."""
    members = [make_user(f"m{i}@example.com", f"Membro {i:02d}") for i in range(60)]
    for member in members:
        closed_group.add_member(member)
    question = Post.ask(closed_group, members[0], title="Domanda comune?", body="…")
    for i, member in enumerate(members[1:], start=1):
        for _ in range(1 + i % 3):  # 1 to 3 answers each
            question.answer(member, body=f"Risposta di {i}.")
    GroupActivity.rebuild()
    last = members[57]  # 57 % 3 == 0: 1 answer, far below the 3-answer leaders
    for _ in range(5):
        question.answer(last, body="Ancora una.")

    with django_assert_num_queries(1):
        rolled = ranking(most_active_members(closed_group))

    assert rolled == ranking(closed_group.most_active_members())
    assert rolled[0] == (last.pk, 6 * ANSWER_POINTS, 6)


def test_the_group_page_keeps_the_leaders_a_minute_without_the_rows_secrets(
    activity, closed_group, django_assert_num_queries
):
    from django.core.cache import cache

    from groups.models import cached_most_active_members

    first = cached_most_active_members(closed_group)
    with django_assert_num_queries(0):
        again = cached_most_active_members(closed_group)
    assert ranking(again) == ranking(first) == ranking(most_active_members(closed_group))
    assert [user.name for user in again] == [user.name for user in first]
    assert again[0].get_absolute_url() == first[0].get_absolute_url()
    cached = cache.get(f"group-leaders:{closed_group.pk}:5")
    assert "pbkdf2" not in repr(cached) and "md5" not in repr(cached)
