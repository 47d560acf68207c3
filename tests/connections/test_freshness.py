"""Every input of the ranking keeps the stored lists fresh: profile edits, seats, requests,
dismissals; spare rows refill a list at once; the pair rescore merges exactly."""

import itertools

import pytest

from connections import suggestions
from connections.models import (
    Connection,
    ConnectionRequest,
    StaleSuggestions,
)
from connections.suggestions import merge_one
from profiles.models import OutboxTask, Profile, User

_serial = itertools.count()


def people(n: int) -> list[User]:
    return [User.objects.create(email=f"f{next(_serial)}@example.com") for _ in range(n)]


def connect(a, b) -> None:
    Connection.objects.create(user_low_id=min(a.pk, b.pk), user_high_id=max(a.pk, b.pk))


def listed(user) -> list[int]:
    return list(user.suggestions.order_by("rank").values_list("candidate_id", flat=True))


@pytest.fixture
def star(db):
    """hub knows everyone in leaves; each leaf is a candidate of every other (1 mutual)."""
    hub, *leaves = people(26)
    for leaf in leaves:
        connect(hub, leaf)
    suggestions.recompute_all()
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    return hub, leaves


def test_thirty_are_stored_and_twenty_shown(star, settings):
    assert settings.CONNECTIONS_SUGGESTIONS_PER_USER == 30
    _hub, leaves = star
    assert len(listed(leaves[0])) == 24  # every other leaf


def test_a_dismissal_closes_the_rank_gap_at_once_and_marks_the_list(star):
    _hub, leaves = star
    me = leaves[0]
    before = listed(me)
    suggestions.dismiss(me, before[3])
    ranks = list(me.suggestions.order_by("rank").values_list("rank", flat=True))
    assert ranks == list(range(1, len(before)))
    assert listed(me) == before[:3] + before[4:]
    assert StaleSuggestions.objects.filter(user=me).exists()


def test_a_new_request_takes_the_pair_out_of_both_lists_and_marks_both(star):
    _hub, leaves = star
    a, b = leaves[0], leaves[1]
    ConnectionRequest.send(a, b, "Ciao")
    assert b.pk not in listed(a) and a.pk not in listed(b)
    for user in (a, b):
        ranks = list(user.suggestions.order_by("rank").values_list("rank", flat=True))
        assert ranks == list(range(1, len(ranks) + 1))
    assert set(StaleSuggestions.objects.values_list("user_id", flat=True)) == {a.pk, b.pk}


def test_a_withdrawn_request_lets_the_pair_be_suggested_again(
    star, django_capture_on_commit_callbacks
):
    _hub, leaves = star
    a, b = leaves[0], leaves[1]
    with django_capture_on_commit_callbacks(execute=True):
        request = ConnectionRequest.send(a, b, "Ciao")
    assert b.pk not in listed(a)
    with django_capture_on_commit_callbacks(execute=True):
        request.withdraw()
    assert b.pk in listed(a) and a.pk in listed(b)


def test_editing_the_city_reorders_the_lists_that_hold_the_editor(
    star, django_capture_on_commit_callbacks
):
    _hub, leaves = star
    me, last = leaves[0], leaves[-1]
    Profile.objects.filter(user=me).update(geoname_id=3173435)
    suggestions.refresh_for([me.pk])
    assert listed(me)[-1] == last.pk  # all tie on one mutual: by id
    profile = last.profile
    profile.geoname_id = 3173435
    with django_capture_on_commit_callbacks(execute=True):
        profile.save()
    assert listed(me)[0] == last.pk
    assert me.suggestions.get(candidate=last).same_city


def test_a_save_that_touches_no_ranked_field_marks_nothing(star):
    _hub, leaves = star
    profile = leaves[0].profile
    profile.headline = "Fotografa di matrimoni"
    profile.save()
    leaves[0].save(update_fields=["last_login"])
    assert not StaleSuggestions.objects.exists()
    assert not OutboxTask.objects.exists()


def test_joining_a_big_group_marks_only_those_who_can_rank_the_joiner(
    star, open_group, monkeypatch
):
    from connections import suggestion_graph

    hub, leaves = star
    strangers = people(5)
    for member in [*leaves[:3], *strangers]:
        open_group.add_member(member)
    monkeypatch.setattr(suggestion_graph, "BIG_GROUP", 3)  # 9 members: a big group
    # Lists not full (24 of 30): every leaf could take another leaf, so the three are
    # marked; the strangers have no path to the joiner and a big group makes none.
    marked = suggestions.lists_a_candidate_change_can_move(leaves[5].pk, open_group.pk)
    assert set(marked.tolist()) == {leaf.pk for leaf in leaves[:3]}


def test_an_accept_rescores_the_pair_in_the_connections_lists(
    star, django_capture_on_commit_callbacks
):
    hub, leaves = star
    newcomer = people(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        request = ConnectionRequest.send(newcomer, hub, "Ciao")
        request.accept()
    # Every leaf now has the newcomer as a candidate through the hub, without a full
    # recompute of the leaves' lists.
    for leaf in leaves:
        assert newcomer.pk in listed(leaf)
    assert not StaleSuggestions.objects.exists()


# merge_one: a viewer's list of (candidate, mutual, shared, city, sector, complementary,
# shared meetups, latest shared meetup)


def row(candidate, mutual, shared=0, events=0):
    return (candidate, mutual, shared, False, False, False, events, 7 if events else 0)


FULL = [row(1, 5), row(2, 4), row(3, 3)]


def test_merge_inserts_a_candidate_that_beats_the_last_place_of_a_full_list():
    assert merge_one(FULL, 9, row(9, 4, 1)[1:], 3) == [row(1, 5), row(9, 4, 1), row(2, 4)]


def test_merge_keeps_a_full_list_when_an_outsider_stays_below_its_last_place():
    assert merge_one(FULL, 9, row(9, 2)[1:], 3) == FULL


def test_merge_cannot_know_a_full_list_whose_member_falls_past_the_last_place():
    assert merge_one(FULL, 2, row(2, 1)[1:], 3) is None
    assert merge_one(FULL, 2, None, 3) is None


def test_merge_of_a_list_that_is_not_full_is_exact():
    assert merge_one(FULL, 2, None, 4) == [row(1, 5), row(3, 3)]
    assert merge_one(FULL, 9, row(9, 1)[1:], 4) == [*FULL, row(9, 1)]


def test_merge_breaks_equal_scores_by_the_lower_id():
    assert merge_one(FULL, 0, row(0, 3)[1:], 4) == [row(1, 5), row(2, 4), row(0, 3), row(3, 3)]


def test_deleting_an_account_refreshes_the_lists_it_connected_and_held(
    star, django_capture_on_commit_callbacks
):
    hub, leaves = star
    assert listed(leaves[0])  # every other leaf, through the hub
    with django_capture_on_commit_callbacks(execute=True):
        hub.delete()
    for leaf in leaves:
        assert listed(leaf) == []
    assert not StaleSuggestions.objects.exists()


def test_a_removal_that_empties_a_list_leaves_it_empty(db, django_capture_on_commit_callbacks):
    x, a, c = people(3)
    connect(x, a)
    connect(a, c)
    suggestions.recompute_all()
    assert listed(x) == [c.pk]
    with django_capture_on_commit_callbacks(execute=True):
        Connection.remove(a, c)
    assert listed(x) == []
    assert not OutboxTask.objects.exclude(state="done").exists()
