"""The home's query count, pinned at two sizes, with every block filled and with none;
and each lazily loaded block on its own."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import ConnectionRequest, Suggestion
from groups.models import Event, Group, Membership, Post
from profiles.models import Skill

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

HOME = "/"


def without_request_tokens(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": |nonce=)"[^"]+"', "", html)


def fill(bob, alice, dave, moderator, sector, size: int) -> None:
    """bob: skills, questions to answer in `size` groups, answers and comments on his
    threads, groups he moderates with requests and reports, requests and suggestions."""
    skills = Skill.objects.bulk_create(
        Skill(name=f"Abilità {i}", slug=f"abilita-{i}", is_approved=True) for i in range(size)
    )
    bob.profile.skills.set(skills)
    for i in range(size):
        group = Group.create_with_owner(
            alice, name=f"Gruppo {i}", slug=f"gruppo-{i}", sector=sector, visibility="closed"
        )
        Membership.objects.create(group=group, user=bob, role="moderator")
        Membership.objects.create(group=group, user=dave)
        Post.ask(group, alice, title=f"Domanda su Abilità {i}", body="?")
        mine = Post.ask(group, bob, title=f"La domanda {i} di Bob", body="?")
        mine.answer(alice, body="Risposta").comment(dave, body="Commento")
        mine.report(dave, reason="spam")
        Group.objects.filter(pk=group.pk).update(pending_count=1)
        starts = timezone.now() + timedelta(days=i + 1)
        Event.objects.create(
            group=group, organiser=alice, title=f"Incontro {i}", format="online",
            online_url="https://meet.example.com/x", starts_at=starts,
            ends_at=starts + timedelta(hours=1),
        )  # fmt: skip
    ConnectionRequest.send(moderator, bob, "Ciao")
    Suggestion.objects.create(user=bob, candidate=dave, rank=1, mutual_count=0)


# user; blocks: questions (profile, skills, candidates, those answered since), activity (answers,
# comments), moderation (one), requests (one, with the total), people (suggestions; mutual
# names only when some are mutual), profile (profile, skills,
# experiences, languages), events (place, events), groups (mine, to discover, and the reports
# to review: the moderated groups, then the count, which a member moderating nothing skips);
# nav badges
FULL_HOME = 21
# Read again, every block comes from the cache: the user and the nav badges (which key the
# blocks) are left.
WARM_HOME = 2


@pytest.mark.parametrize("size", [2, 12])
def test_home_with_every_block(
    bob_client, bob, alice, dave, moderator, sector, size, django_assert_num_queries
):
    fill(bob, alice, dave, moderator, sector, size)
    with django_assert_num_queries(FULL_HOME):
        response = bob_client.get(HOME)
    text = response.content.decode()
    blocks = ("questions", "activity", "moderation", "requests", "people", "events", "profile")
    for block in (*blocks, "groups"):
        assert f'data-testid="home-{block}"' in text, block
    assert text.count('data-testid="home-question"') == min(size, 5)
    with django_assert_num_queries(WARM_HOME):
        again = bob_client.get(HOME).content.decode()
    assert without_request_tokens(again) == without_request_tokens(text)


@pytest.mark.parametrize("size", [2, 12])
def test_after_a_vote_only_the_blocks_showing_posts_are_read_again(
    bob_client, bob, alice, dave, moderator, sector, size, django_assert_num_queries
):
    fill(bob, alice, dave, moderator, sector, size)
    bob_client.get(HOME)
    post = Post.objects.filter(author=alice, kind="question").first()
    voted = bob_client.post(f"/gruppi/{post.group.slug}/post/{post.pk}/vota/", {"value": "1"})
    assert voted.status_code == 302
    # user, nav badges; questions (the kept picks, minus those answered since); activity
    # (answers, comments): the standing blocks (moderation, requests, people, events, profile,
    # groups) and the questions' picks are kept.
    with django_assert_num_queries(WARM_HOME + 1 + 2):
        response = bob_client.get(HOME)
    assert 'data-testid="home-people"' in response.content.decode()


def test_home_with_no_block_to_show_costs_the_same(bob_client, bob, django_assert_num_queries):
    # No moderated group: no reports count; no question to offer: none answered to check.
    with django_assert_num_queries(FULL_HOME - 2):
        response = bob_client.get(HOME)
    text = response.content.decode()
    for block in ("moderation", "requests", "people"):
        assert f'data-testid="home-{block}"' not in text, block


def test_lazy_home_runs_no_block_query(bob_client, bob, django_assert_num_queries):
    bob_client.cookies["gilda_js"] = "1"
    # user, nav badges
    with django_assert_num_queries(2):
        bob_client.get(HOME)


@pytest.mark.parametrize(
    "block, queries",
    [
        # each: user (the session is cached), then the block's own
        ("questions", 1 + 4),  # profile, skills, candidates, those answered since
        ("activity", 1 + 2),  # answers, comments
        ("moderation", 1 + 1),
        ("requests", 1 + 1),
        ("people", 1 + 1),  # suggestions (no mutual ones to name here)
        ("events", 1 + 2),  # the member's place, the events
        ("profile", 1 + 4),  # profile, skills, experiences, languages
        ("groups", 1 + 4),  # mine, to discover, moderated groups, reports to review
    ],
)
@pytest.mark.parametrize("size", [2, 12])
def test_each_block_fragment(
    bob_client, bob, alice, dave, moderator, sector, block, queries, size,
    django_assert_num_queries,
):  # fmt: skip
    fill(bob, alice, dave, moderator, sector, size)
    # The lazy page passes its badges along: the block need not read them again.
    asked = {"blocco": block, "badges": "0.1.0"}
    with django_assert_num_queries(queries):
        response = bob_client.get(HOME, asked, headers={"HX-Request": "true"})
    assert f'data-testid="home-{block}"'.encode() in response.content
    with django_assert_num_queries(1):  # the user: the block is kept for these badges
        again = bob_client.get(HOME, asked, headers={"HX-Request": "true"})
    assert without_request_tokens(again.content.decode()) == without_request_tokens(
        response.content.decode()
    )


@pytest.mark.parametrize("badges", ["", "1.2", "1.2.3.4", "x.1.2", "1" * 12 + ".0.0"])
def test_a_block_asked_without_valid_badges_reads_them(
    bob_client, badges, django_assert_num_queries
):
    asked = {"blocco": "requests", "badges": badges}
    # user, the badges, the block's own
    with django_assert_num_queries(3):
        response = bob_client.get(HOME, asked, headers={"HX-Request": "true"})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_after_a_connection_request_only_the_blocks_showing_the_circle_are_read_again(
    bob_client, bob, alice, dave, moderator, sector, size, django_assert_num_queries
):
    fill(bob, alice, dave, moderator, sector, size)
    bob_client.get(HOME)
    sent = bob_client.post(f"/rete/persone/{alice.pk}/connetti/", {"message": "Ciao Alice"})
    assert sent.status_code == 302
    # user, nav badges; questions (those answered since) and activity (answers, comments),
    # which follow bob's own generation; requests (one, with the total) and people
    # (suggestions): his circle's. Moderation, events, profile, groups and the questions'
    # picks are kept.
    with django_assert_num_queries(WARM_HOME + 1 + 2 + 1 + 1):
        response = bob_client.get(HOME)
    text = response.content.decode()
    assert 'data-testid="home-requests"' in text and 'data-testid="home-events"' in text


@pytest.mark.parametrize("size", [2, 12])
def test_after_joining_a_group_the_blocks_showing_the_circle_are_kept(
    bob_client, bob, alice, dave, moderator, sector, size, django_assert_num_queries
):
    fill(bob, alice, dave, moderator, sector, size)
    joined_group = Group.create_with_owner(alice, name="Aperto", slug="aperto", sector=sector)
    bob_client.get(HOME)
    joined = bob_client.post(f"/gruppi/{joined_group.slug}/unisciti/")
    assert joined.status_code == 302
    # Every block but requests (two) and people (one): his seats changed, not his circle; and
    # the picks read again are checked against his answers since (one).
    with django_assert_num_queries(FULL_HOME - 2 - 1 + 1):
        response = bob_client.get(HOME)
    text = response.content.decode()
    assert 'data-testid="home-requests"' in text and 'data-testid="home-people"' in text
    assert "Aperto" in text.split('data-testid="home-groups"')[1]
