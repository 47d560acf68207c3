"""The whole stored list of every member against a brute force written here, from the raw
rows: after a full recompute, after a partial refresh, and after a random run of the actions
members take (accepts, removals, blocks, unblocks, requests, declines, withdrawals,
dismissals, profile edits, joins, leaves, deactivations, meetup attendance marked, unmarked
and checked in, meetups deleted) has gone through the outbox.

The brute force shares no code with the engine: plain sets and dicts, its own tokeniser,
and the rules as the README states them, written out again below.
"""

import itertools
import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connections import suggestion_graph, suggestions
from connections.models import (
    Block,
    Connection,
    ConnectionActionError,
    ConnectionRequest,
    Dismissal,
    StaleSuggestions,
    Suggestion,
)
from groups.models import Event, Group, Rsvp, Sector
from profiles.models import OutboxTask, Profile, User

_serial = itertools.count()
# Groups above this many members don't make co-members candidates, nor meetups above this
# many attendees co-attendees (the engine's BIG_GROUP, made small so random worlds have both
# kinds).
SMALL_GROUP_MAX = 3
VOCABULARY = ["fotografia", "legale", "marketing", "della", "web", "sito", "traduzioni", "anche"]
# The engine's stopwords that occur in VOCABULARY; "web" and "sito" are under 4 letters.
STOP = {"della", "anche"}


ONLINE = {"format": "online", "online_url": "https://meet.example.com/oracolo"}


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zàèéìòù]+", text.lower()) if len(w) >= 4} - STOP


def brute_force(k: int) -> dict[int, list[tuple]]:
    """Every member's expected list: (candidate, rank, mutual, shared groups, same city,
    same sector, complementary, shared meetups, latest shared meetup or 0), from the raw
    tables."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, is_active FROM profiles_user")
        active = {pk: bool(a) for pk, a in cursor.fetchall()}
        cursor.execute(
            "SELECT user_id, geoname_id, location_visibility, sector_id, needs, offers "
            "FROM profiles_profile"
        )
        profile = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT user_low_id, user_high_id FROM connections_connection")
        friends = {pk: set() for pk in active}
        for a, b in cursor.fetchall():
            friends[a].add(b)
            friends[b].add(a)
        cursor.execute(
            "SELECT sender_id, recipient_id FROM connections_connectionrequest "
            "WHERE status IN ('pending', 'ignored') UNION ALL "
            "SELECT blocker_id, blocked_id FROM connections_block"
        )
        apart = {frozenset(pair) for pair in cursor.fetchall()}
        cursor.execute("SELECT user_id, candidate_id FROM connections_dismissal")
        dismissed = set(cursor.fetchall())
        cursor.execute("SELECT user_id, group_id FROM groups_membership")
        seats = {pk: set() for pk in active}
        size: dict[int, int] = {}
        for user_id, group_id in cursor.fetchall():
            seats[user_id].add(group_id)
            size[group_id] = size.get(group_id, 0) + 1
        cursor.execute("SELECT user_id, event_id FROM groups_rsvp WHERE attended_at IS NOT NULL")
        present_at = {pk: set() for pk in active}
        attendees: dict[int, int] = {}
        for user_id, event_id in cursor.fetchall():
            present_at[user_id].add(event_id)
            attendees[event_id] = attendees.get(event_id, 0) + 1
    # Most recent: the latest start, then the highest id.
    recency = {pk: (start, pk) for pk, start in Event.objects.values_list("pk", "starts_at")}
    expected = {}
    for me in active:
        my_city, _vis, my_sector, my_needs, my_offers = profile[me]
        ranked = []
        for other in active:
            if other == me or not active[other] or other in friends[me]:
                continue
            if frozenset((me, other)) in apart or (me, other) in dismissed:
                continue
            mutual = len(friends[me] & friends[other])
            shared = seats[me] & seats[other]
            met = present_at[me] & present_at[other]
            if (
                not mutual
                and not any(size[g] <= SMALL_GROUP_MAX for g in shared)
                and not any(attendees[e] <= SMALL_GROUP_MAX for e in met)
            ):
                continue
            latest = max(met, key=recency.__getitem__) if met else 0
            city, visibility, sector, needs, offers = profile[other]
            # Your own city, against the city the other shows.
            same_city = bool(my_city) and visibility == "city" and city == my_city
            same_sector = bool(my_sector) and sector == my_sector
            complementary = bool(words(my_needs) & words(offers) or words(my_offers) & words(needs))
            tie_break = 8 * len(shared) + 2 * (same_city + same_sector) + complementary
            # Any shared meetup outranks any number of shared groups.
            ranked.append(
                (-mutual, -len(met), -tie_break, other, mutual, len(shared), same_city,
                 same_sector, complementary, len(met), latest)
            )  # fmt: skip
        ranked.sort()
        expected[me] = [(row[3], rank, *row[4:]) for rank, row in enumerate(ranked[:k], start=1)]
    return expected


def stored() -> dict[int, list[tuple]]:
    result = {pk: [] for pk in User.objects.values_list("pk", flat=True)}
    for row in Suggestion.objects.order_by("user_id", "rank").values_list(
        "user_id", "candidate_id", "rank", "mutual_count", "shared_groups", "same_city",
        "same_sector", "complementary", "shared_events", "latest_shared_event_pk",
    ):  # fmt: skip
        result[row[0]].append(row[1:])
    return result


def assert_matches(k: int, when: str) -> None:
    expected, actual = brute_force(k), stored()
    wrong = {pk: (actual[pk], expected[pk]) for pk in expected if actual[pk] != expected[pk]}
    assert not wrong, f"{when}: {len(wrong)} lists differ (stored, expected): {wrong}"


@pytest.fixture
def small_groups(monkeypatch):
    monkeypatch.setattr(suggestion_graph, "BIG_GROUP", SMALL_GROUP_MAX)


@pytest.fixture
def stored_per_member(settings):
    def set_k(k: int) -> None:
        settings.CONNECTIONS_SUGGESTIONS_PER_USER = k

    return set_k


def fill_profile(rng: random.Random, profile: Profile, sectors: list) -> None:
    profile.geoname_id = rng.choice([None, 1, 2, 3])
    profile.location_visibility = rng.choice(["city", "region"])
    profile.sector = rng.choice([None, *sectors])
    profile.needs = " ".join(rng.sample(VOCABULARY, rng.randint(0, 2)))
    profile.offers = " ".join(rng.sample(VOCABULARY, rng.randint(0, 2)))


def build_world(rng: random.Random, n: int, density: float) -> tuple[list, list, list]:
    for model in (Suggestion, StaleSuggestions, OutboxTask, Group, User):
        model.objects.all().delete()
    sectors = [
        Sector.objects.get_or_create(slug=f"oracolo-{i}", defaults={"name": f"Settore {i}"})[0]
        for i in range(2)
    ]
    users = [
        User.objects.create(email=f"o{next(_serial)}@example.com", display_name=f"O {i}")
        for i in range(n)
    ]
    for user in users:
        fill_profile(rng, user.profile, sectors)
        user.profile.save()
        if rng.random() < 0.1:
            User.objects.filter(pk=user.pk).update(is_active=False)
    pairs = [(a, b) for i, a in enumerate(users) for b in users[i + 1 :]]
    rng.shuffle(pairs)
    for a, b in pairs:
        roll = rng.random()
        if roll < density:
            Connection.objects.create(user_low_id=min(a.pk, b.pk), user_high_id=max(a.pk, b.pk))
        elif roll < density + 0.04:
            Block.objects.create(blocker=a, blocked=b)
        elif roll < density + 0.1:
            ConnectionRequest.objects.create(
                sender=a, recipient=b, status=rng.choice(["pending", "ignored", "declined"])
            )
        elif roll < density + 0.14:
            Dismissal.objects.create(user=a, candidate=b)
    groups = []
    for g in range(rng.randint(0, 3)):
        owner = rng.choice(users)
        group = Group.create_with_owner(
            owner, name=f"Gruppo {g}", slug=f"oracolo-{next(_serial)}", sector=sectors[0],
            visibility=Group.Visibility.OPEN,
        )  # fmt: skip
        for user in rng.sample(users, rng.randint(0, min(n, 6))):
            group.add_member(user)
        groups.append(group)
    events = []
    for group in groups:
        for _ in range(rng.randint(0, 2)):
            # Started within the last few hours: check-in is still open.
            starts = timezone.now() - timedelta(minutes=rng.choice([0, 30, 30, 90, 200]))
            event = Event.objects.create(
                group=group, organiser=group.creator, title=f"Incontro {next(_serial)}",
                starts_at=starts, ends_at=starts + timedelta(hours=1), **ONLINE,
            )  # fmt: skip
            for user in rng.sample(users, rng.randint(0, min(n, 5))):
                present = timezone.now() if rng.random() < 0.8 else None
                Rsvp.objects.create(event=event, user=user, answer="going", attended_at=present)
            events.append(event)
    # The marks and intents of building the world: the full recompute covers them.
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    return users, groups, events


def act(rng: random.Random, users: list, groups: list, events: list) -> str:
    """One random action through the models, as the views take it."""
    a, b = rng.sample(users, 2)
    a.refresh_from_db()
    kind = rng.choice(
        ["accept", "remove", "block", "unblock", "request", "decline", "withdraw", "dismiss",
         "profile", "join", "leave", "deactivate", "present", "absent", "check in",
         "drop meetup"]
    )  # fmt: skip
    try:
        if kind == "accept":
            request = ConnectionRequest.send(a, b)
            if isinstance(request, ConnectionRequest) and request.is_open:
                request.accept()
        elif kind == "remove":
            pair = Connection.objects.order_by("?").first()
            if pair is not None:
                Connection.remove(pair.user_low, pair.user_high)
        elif kind == "block":
            Block.block(a, b)
        elif kind == "unblock":
            block = Block.objects.order_by("?").first()
            if block is not None:
                Block.unblock(block.blocker, block.blocked)
        elif kind == "request":
            ConnectionRequest.send(a, b)
        elif kind in ("decline", "withdraw"):
            request = ConnectionRequest.objects.pending().order_by("?").first()
            if request is not None:
                request.decline() if kind == "decline" else request.withdraw()
        elif kind == "dismiss":
            row = Suggestion.objects.filter(user=a).order_by("?").first()
            suggestions.dismiss(a, row.candidate_id if row else b.pk)
        elif kind == "profile":
            fill_profile(rng, a.profile, list(Sector.objects.filter(slug__startswith="oracolo")))
            a.profile.save()
        elif kind == "join" and groups:
            rng.choice(groups).add_member(a)
        elif kind == "leave" and groups:
            group = rng.choice(groups)
            if group.memberships.filter(user=a, role="member").exists():
                group.leave(a)
        elif kind == "deactivate":
            a.is_active = not a.is_active
            a.save()
        elif kind in ("present", "absent", "check in") and events:
            event = rng.choice(events)
            Rsvp.objects.get_or_create(event=event, user=a, defaults={"answer": "going"})
            if kind == "check in":
                event.check_in(a, event.checkin_code)
            else:
                event.mark_attended([a.pk], present=kind == "present")
        elif kind == "drop meetup" and events:
            events.pop(rng.randrange(len(events))).delete()
    except ConnectionActionError:
        pass  # a refused action (a block in the way) changes nothing
    return kind


@settings(
    max_examples=25,
    deadline=None,
    # Shrinking a world re-runs the engine hundreds of times: the seed reproduces it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(min_value=3, max_value=14),
    density=st.floats(min_value=0.05, max_value=0.5),
    seed=st.integers(min_value=0, max_value=100_000),
    k=st.integers(min_value=1, max_value=6),
    actions=st.integers(min_value=1, max_value=8),
)
@pytest.mark.django_db
def test_every_stored_list_matches_the_brute_force_before_and_after_actions(
    n, density, seed, k, actions, small_groups, stored_per_member,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    rng = random.Random(seed)
    stored_per_member(k)
    users, groups, events = build_world(rng, n, density)
    suggestions.recompute_all(range_size=5)
    assert_matches(k, "after the full recompute")
    suggestions.refresh_for([u.pk for u in users[: n // 2 + 1]])
    assert_matches(k, "after refreshing some members")
    done = []
    for _ in range(actions):
        with django_capture_on_commit_callbacks(execute=True):
            done.append(act(rng, users, groups, events))
    assert not StaleSuggestions.objects.exists()
    assert_matches(k, f"after {done}")


def test_the_brute_force_sees_each_signal(db, small_groups, stored_per_member, open_group):
    """The oracle itself, on a world small enough to check by hand: dave's one candidate
    reaches him through each signal in turn."""
    stored_per_member(5)
    dave = User.objects.create(email="dave-o@example.com")
    erin = User.objects.create(email="erin-o@example.com")
    assert brute_force(5)[dave.pk] == []
    open_group.add_member(dave)
    open_group.add_member(erin)
    # alice owns the group: three members, a small group; erin and alice are candidates.
    expected = brute_force(5)[dave.pk]
    assert [row[0] for row in expected] == [open_group.creator_id, erin.pk]
    assert expected[0][3] == 1  # one shared group
    Profile.objects.filter(user=dave).update(geoname_id=7, needs="fotografia")
    Profile.objects.filter(user=erin).update(geoname_id=7, offers="Fotografia")
    assert brute_force(5)[dave.pk][0] == (erin.pk, 1, 0, 1, True, False, True, 0, 0)
    Profile.objects.filter(user=erin).update(location_visibility="region")
    assert brute_force(5)[dave.pk][0][0] == erin.pk  # still complementary
    assert brute_force(5)[dave.pk][0][4] is False


def test_the_brute_force_ranks_a_shared_meetup_above_shared_groups(
    db, small_groups, stored_per_member
):
    """By hand again: frank shares two groups with dave, erin one meetup and no group; erin
    comes first, named by the later of two meetups once she was at both."""
    stored_per_member(5)
    dave, erin, frank, gina = (
        User.objects.create(email=f"{name}-m@example.com")
        for name in ("dave", "erin", "frank", "gina")
    )
    sector = Sector.objects.get_or_create(slug="oracolo-0", defaults={"name": "Settore 0"})[0]
    for slug in ("uno", "due"):
        group = Group.create_with_owner(
            dave, name=slug, slug=f"m-{slug}-{next(_serial)}", sector=sector
        )
        group.add_member(frank)
    starts = timezone.now()
    first, second = (
        Event.objects.create(group=group, organiser=dave, title=title, starts_at=at,
                             ends_at=at + timedelta(hours=1), **ONLINE)
        for title, at in (("Dopo", starts), ("Prima", starts - timedelta(days=1)))
    )  # fmt: skip
    for event in (first, second):
        for user in (dave, erin):
            Rsvp.objects.create(event=event, user=user, answer="going")
    first.mark_attended([dave.pk, erin.pk])
    assert [row[0] for row in brute_force(5)[dave.pk]] == [erin.pk, frank.pk]
    assert brute_force(5)[dave.pk][0][7:] == (1, first.pk)
    second.mark_attended([dave.pk, erin.pk])
    assert brute_force(5)[dave.pk][0][7:] == (2, first.pk)
    # A meetup above the size limit ranks, but doesn't nominate on its own.
    for user in (frank, gina):
        Rsvp.objects.create(event=second, user=user, answer="going")
    second.mark_attended([frank.pk, gina.pk])
    assert gina.pk not in [row[0] for row in brute_force(5)[dave.pk]]
    assert brute_force(5)[dave.pk][1][:2] == (frank.pk, 2)
    assert brute_force(5)[dave.pk][1][7:] == (1, second.pk)


@given(st.text(alphabet=st.sampled_from("aàbcdeéfgilmnoprstuvzAÈ 1_,.'"), max_size=80))
def test_the_kept_words_of_a_text_are_its_words_every_time(text):
    once, again = suggestion_graph.words_of(text), suggestion_graph.words_of(text)
    expected = {word.lower() for word in re.findall(r"[^\W\d_]{4,}", text)}
    assert set(once) == set(again) == expected - suggestion_graph.STOPWORDS
    assert len(once) == len(set(once))
