"""The suggestions engine against a plain reference, and each exclusion."""

import itertools
import random

import numpy as np
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections import suggestions
from connections.models import (
    Block,
    Connection,
    ConnectionRequest,
    Dismissal,
    StaleSuggestions,
    Suggestion,
)
from profiles.models import User

_serial = itertools.count()


def make_people(n: int) -> list[int]:
    users = User.objects.bulk_create(
        [User(email=f"p{next(_serial)}@example.com") for _ in range(n)]
    )
    return [u.pk for u in users]


def connect_all(pairs) -> None:
    Connection.objects.bulk_create(
        [Connection(user_low_id=min(a, b), user_high_id=max(a, b)) for a, b in pairs],
        ignore_conflicts=True,
    )


def reference_top_counts(ids: list[int], pairs, k: int) -> dict[int, list[int]]:
    """Top-k mutual counts per member by brute force (A @ A, minus self and neighbours)."""
    index = {pk: i for i, pk in enumerate(ids)}
    n = len(ids)
    adjacency = np.zeros((n, n), dtype=np.int64)
    for a, b in pairs:
        adjacency[index[a], index[b]] = adjacency[index[b], index[a]] = 1
    two_hop = adjacency @ adjacency
    result = {}
    for i, pk in enumerate(ids):
        counts = [
            int(two_hop[i, j])
            for j in range(n)
            if j != i and not adjacency[i, j] and two_hop[i, j] > 0
        ]
        result[pk] = sorted(counts, reverse=True)[:k]
    return result


def stored_top_counts(ids) -> dict[int, list[int]]:
    result = {pk: [] for pk in ids}
    for user_id, mutual in (
        Suggestion.objects.filter(user_id__in=ids)
        .order_by("user_id", "rank")
        .values_list("user_id", "mutual_count")
    ):
        result[user_id].append(mutual)
    return result


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(min_value=2, max_value=40),
    density=st.floats(min_value=0.02, max_value=0.4),
    seed=st.integers(min_value=0, max_value=10_000),
    k=st.integers(min_value=1, max_value=6),
)
@pytest.mark.django_db
def test_stored_mutual_counts_match_a_brute_force_reference(n, density, seed, k, settings_k):
    Connection.objects.all().delete()
    Suggestion.objects.all().delete()
    rng = random.Random(seed)
    ids = make_people(n)
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if rng.random() < density]
    connect_all(pairs)
    settings_k(k)
    suggestions.recompute_all(range_size=7)
    assert stored_top_counts(ids) == reference_top_counts(ids, pairs, k)
    # A refresh of a few members writes the same rows as the full recompute did.
    before = set(Suggestion.objects.values_list("user_id", "candidate_id", "mutual_count"))
    some = ids[: max(1, n // 3)]
    suggestions.refresh_for(some)
    after = set(Suggestion.objects.values_list("user_id", "candidate_id", "mutual_count"))
    assert after == before


@pytest.fixture
def settings_k():
    from django.conf import settings as django_settings

    original = django_settings.CONNECTIONS_SUGGESTIONS_PER_USER

    def set_k(k):
        django_settings.CONNECTIONS_SUGGESTIONS_PER_USER = k

    yield set_k
    django_settings.CONNECTIONS_SUGGESTIONS_PER_USER = original


@pytest.fixture
def triangle_world(alice, bob, carol, dave, make_user):
    """dave knows bob and carol, alice knows bob and carol: alice and dave have 2 mutual."""
    erin = make_user("erin@example.com", "Erica Marino")
    connect_all([(dave.pk, bob.pk), (dave.pk, carol.pk), (alice.pk, bob.pk), (alice.pk, carol.pk)])
    connect_all([(erin.pk, bob.pk)])
    return erin


def suggested(user) -> list[int]:
    return list(user.suggestions.order_by("rank").values_list("candidate_id", flat=True))


def test_two_mutual_connections_rank_first_with_their_count(triangle_world, alice, dave):
    erin = triangle_world
    suggestions.refresh_for([dave.pk])
    assert suggested(dave) == [alice.pk, erin.pk]
    first = dave.suggestions.get(rank=1)
    assert first.mutual_count == 2


def test_yourself_and_existing_connections_are_never_suggested(triangle_world, bob, dave):
    suggestions.recompute_all()
    for user_id, candidate_id in Suggestion.objects.values_list("user_id", "candidate_id"):
        assert user_id != candidate_id
        assert not Connection.objects.between(user_id, candidate_id).exists()
    assert bob.pk not in suggested(dave)


@pytest.mark.parametrize("direction", ["outgoing", "incoming"])
def test_a_pending_request_either_way_excludes_the_pair(triangle_world, alice, dave, direction):
    sender, recipient = (dave, alice) if direction == "outgoing" else (alice, dave)
    ConnectionRequest.objects.create(sender=sender, recipient=recipient)
    suggestions.refresh_for([dave.pk, alice.pk])
    assert alice.pk not in suggested(dave)
    assert dave.pk not in suggested(alice)


def test_an_ignored_request_still_excludes_the_pair(triangle_world, alice, dave):
    ConnectionRequest.objects.create(
        sender=dave, recipient=alice, status=ConnectionRequest.Status.IGNORED
    )
    suggestions.refresh_for([dave.pk])
    assert alice.pk not in suggested(dave)


def test_a_dismissed_suggestion_stays_dismissed_for_that_member_only(triangle_world, alice, dave):
    suggestions.refresh_for([dave.pk, alice.pk])
    suggestions.dismiss(dave, alice.pk)
    assert alice.pk not in suggested(dave)
    suggestions.recompute_all()
    assert alice.pk not in suggested(dave)
    assert Dismissal.objects.filter(user=dave, candidate=alice).exists()
    assert dave.pk in suggested(alice)


@pytest.mark.parametrize("who_blocks", ["dave", "alice"])
def test_a_block_either_way_excludes_the_pair(triangle_world, alice, dave, who_blocks):
    blocker, blocked = (dave, alice) if who_blocks == "dave" else (alice, dave)
    suggestions.recompute_all()
    assert alice.pk in suggested(dave)
    Block.block(blocker, blocked)
    assert alice.pk not in suggested(dave)
    suggestions.recompute_all()
    assert alice.pk not in suggested(dave)
    assert dave.pk not in suggested(alice)


def test_inactive_members_are_not_suggested(triangle_world, alice, dave):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    suggestions.refresh_for([dave.pk])
    assert alice.pk not in suggested(dave)


def test_a_shared_group_breaks_a_tie_and_brings_co_members_in(
    open_group, alice, bob, carol, dave, make_user
):
    erin = make_user("erin@example.com", "Erica Marino")
    frank = make_user("frank@example.com", "Franco Neri")
    # erin and frank each share one mutual connection (bob) with dave.
    connect_all([(dave.pk, bob.pk), (erin.pk, bob.pk), (frank.pk, bob.pk)])
    open_group.add_member(dave)
    open_group.add_member(frank)
    open_group.add_member(carol)  # no mutual connection: a candidate through the group
    suggestions.refresh_for([dave.pk])
    rows = list(dave.suggestions.order_by("rank"))
    assert [r.candidate_id for r in rows][:2] == [frank.pk, erin.pk]
    assert rows[0].shared_groups == 1 and rows[1].shared_groups == 0
    assert {r.candidate_id for r in rows} >= {carol.pk, alice.pk}
    by_candidate = {r.candidate_id: r for r in rows}
    assert by_candidate[carol.pk].mutual_count == 0


def test_same_city_then_complementary_needs_break_remaining_ties(bob, dave, make_user):
    milano = make_user("mi@example.com", "Mila No")
    helper = make_user("help@example.com", "Elpe R")
    plain = make_user("plain@example.com", "Pla In")
    connect_all([(dave.pk, bob.pk), *((u.pk, bob.pk) for u in (milano, helper, plain))])
    for user, fields in (
        (dave, {"geoname_id": 3173435, "needs": "Cerco un fotografo per il catalogo"}),
        (milano, {"geoname_id": 3173435}),
        (helper, {"offers": "Fotografo di prodotto e still life"}),
    ):
        type(user.profile).objects.filter(user=user).update(**fields)
    suggestions.refresh_for([dave.pk])
    rows = list(dave.suggestions.order_by("rank"))
    assert [r.candidate_id for r in rows] == [milano.pk, helper.pk, plain.pk]
    assert rows[0].same_city and rows[1].complementary and not rows[2].complementary


def test_a_members_rows_are_replaced_not_appended(triangle_world, alice, dave):
    suggestions.refresh_for([dave.pk])
    suggestions.refresh_for([dave.pk])
    suggestions.recompute_all()
    assert dave.suggestions.count() == len(set(suggested(dave)))
    assert Suggestion.objects.filter(user=dave, candidate=alice).count() == 1


def test_accepting_marks_both_sides_and_their_connections_stale_and_refreshes(
    triangle_world, alice, bob, dave, django_capture_on_commit_callbacks
):
    erin = triangle_world
    suggestions.recompute_all()
    assert erin.pk in suggested(dave)
    with django_capture_on_commit_callbacks(execute=True):
        request = ConnectionRequest.send(dave, erin, "Ciao Erica")
        request.accept()
    # Eager Celery drained the table and refreshed everyone affected.
    assert not StaleSuggestions.objects.exists()
    assert erin.pk not in suggested(dave)
    assert dave.pk not in suggested(erin)


def test_joining_a_group_marks_the_member_stale(open_group, dave):
    StaleSuggestions.objects.all().delete()
    open_group.add_member(dave)
    assert StaleSuggestions.objects.filter(user=dave).exists()


def test_a_mark_arriving_during_a_refresh_survives_it(triangle_world, dave):
    from connections.models import mark_stale

    mark_stale(dave.pk)
    token, claimed = StaleSuggestions.claim(10)
    assert dave.pk in claimed
    mark_stale(dave.pk)  # a new change while the worker computes
    suggestions.refresh_for(claimed, finish_claim=token)
    row = StaleSuggestions.objects.get(user=dave)
    assert row.claimed_by == ""


def test_deleting_a_member_deletes_their_suggestions_both_ways(triangle_world, alice, dave):
    suggestions.recompute_all()
    assert Suggestion.objects.filter(candidate=alice).exists()
    assert Suggestion.objects.filter(user=alice).exists()
    alice.delete()
    assert not Suggestion.objects.filter(candidate_id=alice.pk).exists()
    assert not Suggestion.objects.filter(user_id=alice.pk).exists()


def test_a_large_refresh_reads_the_whole_graph_and_writes_the_same_rows(db, monkeypatch):
    rng = random.Random(3)
    ids = make_people(60)
    connect_all({tuple(sorted(rng.sample(ids, 2))) for _ in range(240)})
    suggestions.recompute_all()
    expected = set(Suggestion.objects.values_list("user_id", "candidate_id", "rank"))
    monkeypatch.setattr(suggestions, "FULL_GRAPH_ABOVE", 10)
    Suggestion.objects.all().delete()
    suggestions.refresh_for(ids)  # 60 > 10: the whole-graph path
    assert set(Suggestion.objects.values_list("user_id", "candidate_id", "rank")) == expected


def test_same_city_ignores_a_member_who_shows_only_the_region(bob, dave, make_user):
    hidden = make_user("hidden@example.com", "Nasco Sta")
    connect_all([(dave.pk, bob.pk), (hidden.pk, bob.pk)])
    type(dave.profile).objects.filter(user=dave).update(geoname_id=3173435)
    type(dave.profile).objects.filter(user=hidden).update(
        geoname_id=3173435, location_visibility="region"
    )
    suggestions.refresh_for([dave.pk])
    assert not dave.suggestions.get(candidate=hidden).same_city


def test_deleting_a_group_member_leaves_no_mark_for_the_account(closed_group, alice, bob):
    from connections.models import StaleSuggestions

    assert closed_group.memberships.filter(user=bob).exists()
    pk = bob.pk
    bob.delete()
    # What the commit would check: every foreign key points at a row (it failed on a mark
    # left for the deleted account by the seat's own deletion).
    connection.check_constraints()
    assert not StaleSuggestions.objects.filter(user_id=pk).exists()
    assert not closed_group.memberships.filter(user_id=pk).exists()


def test_a_list_computed_before_a_change_is_not_written_over_it(
    triangle_world, alice, bob, carol, dave, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker's batch is computed before its locks are taken. Here, while it computes dave's
    list, erin connects with carol: erin now has two connections in common with dave, and the
    rescore that follows merges her into dave's stored list and takes away the batch's claim on
    his mark. The batch must not write what it computed before the change: the final list is
    the one a full recompute gives, and nothing is left stale."""
    from connections.models import mark_stale
    from profiles.models import OutboxTask

    erin = triangle_world
    suggestions.recompute_all()
    mark_stale(dave.pk)
    token, claimed = StaleSuggestions.claim(10)
    # The claim is the wake-up's task at work: its intent is no longer pending.
    OutboxTask.objects.filter(key="suggestions-refresh").update(state=OutboxTask.State.DONE)
    compute = suggestions._compute_lists

    def compute_then_connect(ids):
        rows = compute(ids)
        # Once: the refreshes the connection wakes (eager Celery) compute as usual.
        monkeypatch.setattr(suggestions, "_compute_lists", compute)
        with django_capture_on_commit_callbacks(execute=True):
            Connection.connect(erin, carol)
        assert StaleSuggestions.objects.get(user=dave).claimed_by == ""  # the rescore's unclaim
        return rows

    monkeypatch.setattr(suggestions, "_compute_lists", compute_then_connect)
    with django_capture_on_commit_callbacks(execute=True):
        suggestions.refresh_for(claimed, finish_claim=token)

    def lists():
        rows = Suggestion.objects.order_by("user_id", "rank")
        return list(rows.values_list("user_id", "candidate_id", "mutual_count"))

    after_race = lists()
    assert (dave.pk, erin.pk, 2) in after_race
    suggestions.recompute_all()
    assert after_race == lists()
    assert not StaleSuggestions.objects.exists()
