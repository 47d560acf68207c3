"""config.compiled: a query compiled once gives, for any ids, what the queryset built for
those ids gives; a per-request value that would be frozen into it is refused."""

import pytest
from django.db.models import F
from django.utils import timezone

from config.compiled import CompiledQuery, model_columns, model_from_row
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


def _by_email_after(email: str, user_id: int):
    return User.objects.filter(email=email, pk__gt=user_id).values("pk", "email")


def test_a_text_argument_varies_like_an_id(alice, bob):
    by_email = CompiledQuery(_by_email_after, "email", "user", text=("email",))
    assert by_email.fetchone(bob.email, 0) == {"pk": bob.pk, "email": bob.email}
    assert by_email.fetchone(alice.email, 0)["pk"] == alice.pk
    assert by_email.fetchone(alice.email, alice.pk) is None
    assert by_email.fetchone("nobody@example.com", 0) is None


def test_a_text_argument_the_orm_rewrites_is_refused(alice):
    def email_like(email: str):
        return User.objects.filter(email__icontains=email).values("pk")

    with pytest.raises(TypeError):
        CompiledQuery(email_like, "email", text=("email",)).fetchone("alice")


def test_text_must_name_an_argument():
    with pytest.raises(ValueError):
        CompiledQuery(_by_email_after, "email", "user", text=("slug",))


def _user_and_profile(user_id: int):
    return User.objects.filter(pk=user_id).values(
        *model_columns(User), *model_columns(Profile, "profile__")
    )


def test_models_read_from_a_row_are_those_the_orm_loads(alice, django_assert_num_queries):
    Profile.objects.filter(user=alice).update(headline="Copywriter")
    row = CompiledQuery(_user_and_profile, "user").fetchone(alice.pk)

    user, profile = model_from_row(User, row), model_from_row(Profile, row, "profile__")

    loaded = User.objects.select_related("profile").get(pk=alice.pk)
    assert user == loaded and profile == loaded.profile
    assert user.__dict__.keys() >= {field.attname for field in User._meta.concrete_fields}
    with django_assert_num_queries(0):
        assert (user.email, user.date_joined) == (loaded.email, loaded.date_joined)
        assert (profile.headline, profile.user_id) == ("Copywriter", alice.pk)
    assert model_from_row(Profile, dict.fromkeys(model_columns(Profile, "p__")), "p__") is None


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
