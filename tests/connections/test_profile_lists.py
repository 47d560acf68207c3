"""The profile page's lists of people, compiled once (connections.network): the member's
connections and those in common with the viewer, against the ORM queries they replace."""

import pytest
from django.db.models import Case, Count, Value, When, Window

from connections import network
from connections.models import Block
from profiles.models import Profile


def orm_connections(member, viewer, limit):
    return network.first_with_total(network.connections_of(member.pk, viewer.pk), limit)


def orm_mutual(viewer, member, limit):
    hides = Case(
        When(profile__connections_visibility=Profile.ConnectionsVisibility.NOBODY, then=True),
        default=Value(False),
    )
    rows = list(
        network.mutual_connections(viewer.pk, member.pk)
        .annotate(hides=hides, total=Window(Count("pk")))
        .order_by("hides", "display_name", "pk")[:limit]
    )
    return [row for row in rows if not row.hides], (rows[0].total if rows else 0)


def shown(people):
    return [
        (person.pk, person.name, person.profile.pk, person.profile.initials) for person in people
    ]


@pytest.fixture
def circle(make_user, connect, alice, bob, carol, dave):
    """dave and carol share alice, bob and four more; one of them hides their connections from
    everyone, one is no longer active and one blocked dave."""
    others = [make_user(f"p{n}@example.com", f"Persona {n}") for n in range(4)]
    for person in [alice, bob, *others]:
        connect(dave, person)
        connect(carol, person)
    hidden = others[0].profile
    hidden.connections_visibility = Profile.ConnectionsVisibility.NOBODY
    hidden.save()
    others[1].is_active = False
    others[1].save()
    Block.objects.create(blocker=others[2], blocked=dave)
    return others


@pytest.mark.parametrize("limit", [1, 3, 12])
def test_the_member_connections_are_the_orm_s(circle, carol, dave, limit):
    people, total = network.first_connections_with_total(carol.pk, dave.pk, limit)

    expected, expected_total = orm_connections(carol, dave, limit)
    assert shown(people) == shown(expected)
    assert total == expected_total == 4  # alice, bob, the hidden one, the last one
    assert all(person._state.adding is False for person in people)


@pytest.mark.parametrize("limit", [1, 3, 12])
def test_the_mutual_connections_are_the_orm_s(circle, carol, dave, limit):
    people, total = network.mutual_shown(dave, carol.profile, network.Relationship("none"), limit)

    expected, expected_total = orm_mutual(dave, carol, limit)
    assert shown(people) == shown(expected)
    assert total == expected_total == 4
    assert circle[0].pk not in [person.pk for person in people]  # hides their connections


def test_only_the_count_of_mutual_connections_when_the_list_is_hidden(circle, carol, dave):
    profile = carol.profile
    profile.connections_visibility = Profile.ConnectionsVisibility.CONNECTIONS
    profile.save()

    people, total = network.mutual_shown(dave, profile, network.Relationship("none"), 3)

    assert (people, total) == ([], 4)
    assert network.mutual_shown(dave, profile, network.Relationship("none"), 3) == ([], 4)


def test_no_connections_at_all(carol, dave):
    assert network.first_connections_with_total(carol.pk, dave.pk, 12) == ([], 0)
    assert network.mutual_shown(dave, carol.profile, network.Relationship("none"), 3) == ([], 0)


def test_the_page_reads_each_person_without_another_query(
    circle, carol, dave, django_assert_num_queries
):
    people, _ = network.first_connections_with_total(carol.pk, dave.pk, 12)

    with django_assert_num_queries(0):
        assert [person.profile.avatar_colour for person in people]
        assert [person.get_absolute_url() for person in people]


def test_a_person_without_a_profile_costs_no_query_either(
    circle, carol, dave, alice, django_assert_num_queries
):
    from profiles.models import Profile as ProfileModel

    ProfileModel.objects.filter(user=alice).delete()
    people, total = network.first_connections_with_total(carol.pk, dave.pk, 12)

    assert total == 4 and alice.pk in [person.pk for person in people]
    with django_assert_num_queries(0):
        without = next(person for person in people if person.pk == alice.pk)
        with pytest.raises(ProfileModel.DoesNotExist):
            without.profile  # noqa: B018
