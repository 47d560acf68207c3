"""config.compiled: a query compiled once gives, for any ids, what the queryset built for
those ids gives; a per-request value that would be frozen into it is refused."""

import pytest
from django.db.models import F
from django.utils import timezone

from config.compiled import CompiledQuery
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db


def _pair(first_id: int, second_id: int):
    return (
        User.objects.filter(pk__in=[first_id, second_id])
        .values("pk", headline=F("profile__headline"))
        .order_by("-pk")[:1]
    )


def test_each_call_runs_the_compiled_sql_with_its_own_ids(alice, bob, carol):
    Profile.objects.filter(user=carol).update(headline="Avvocata")
    pair = CompiledQuery(_pair, "first", "second")
    for first, second in ((alice, bob), (bob, carol), (carol, alice)):
        assert pair.fetchone(first.pk, second.pk) == _pair(first.pk, second.pk).get()
    assert pair.fetchone(carol.pk, alice.pk)["headline"] == "Avvocata"
    assert pair.fetchone(-1, -2) is None


def _joined_after(user_id: int):
    return User.objects.filter(pk__gt=user_id).values("pk", "date_joined").order_by("pk")[:2]


def test_fetchall_gives_every_row_as_the_queryset_does(alice, bob, carol):
    after = CompiledQuery(_joined_after, "user")
    for member in (alice, bob, carol):
        assert after.fetchall(member.pk) == list(_joined_after(member.pk))
    assert [row["pk"] for row in after.fetchall(alice.pk)] == sorted([bob.pk, carol.pk])[:2]
    assert after.fetchall(10**9) == []


def test_a_value_that_would_be_frozen_is_refused(alice):
    def joined_before_now(user_id: int):
        return User.objects.filter(pk=user_id, date_joined__lte=timezone.now()).values("pk")

    with pytest.raises(TypeError):
        CompiledQuery(joined_before_now, "user").fetchone(alice.pk)


def test_a_builder_that_orders_its_ids_is_refused(alice, bob):
    def lowest_first(first_id: int, second_id: int):
        low, high = sorted((first_id, second_id))
        return User.objects.filter(pk__gte=low, pk__lte=high).values("pk")

    with pytest.raises(TypeError):
        CompiledQuery(lowest_first, "first", "second").fetchone(alice.pk, bob.pk)


def test_more_ids_than_sentinels_are_refused():
    with pytest.raises(ValueError):
        CompiledQuery(_pair, "a", "b", "c", "d")


@pytest.mark.postgres
def test_on_postgresql_it_is_a_prepared_statement_with_a_generic_plan(alice, bob):
    from django.db import connection

    from connections.context_processors import BADGE_COUNTS

    for member in (alice, bob, alice):
        BADGE_COUNTS.fetchone(member.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%profiles_notification%"],
        )
        plans = cursor.fetchall()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert generic >= 3 and custom == 0
