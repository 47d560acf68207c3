import pytest
from django.core.management import CommandError, call_command

from profiles.models import User


@pytest.fixture
def in_dev(settings):
    """The environment `make seed` runs in; the suite itself runs in GILDA_ENV=test."""
    settings.GILDA_ENV = "dev"


@pytest.mark.parametrize("env", ["test", "prod"])
def test_seed_demo_refuses_to_run_outside_dev(db, settings, env):
    settings.GILDA_ENV = env

    with pytest.raises(CommandError, match=f"runs in GILDA_ENV=dev, not '{env}'"):
        call_command("seed_demo", members=3)

    assert not User.objects.exists()


def test_seed_demo_outside_dev_with_the_flag_creates_no_staff_account(db, settings):
    settings.GILDA_ENV = "prod"

    call_command("seed_demo", members=3, allow_non_dev=True, verbosity=0)

    assert User.objects.filter(email="alice@gilda.demo").exists()
    assert User.objects.count() == 8  # five personas, three extra members
    assert not User.objects.filter(is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(email="admin@gilda.demo").exists()


def test_seed_demo_flag_is_spelled_for_the_command_line(db, settings):
    settings.GILDA_ENV = "test"

    call_command("seed_demo", "--members", "0", "--allow-non-dev", verbosity=0)

    assert User.objects.count() == 5
    assert not User.objects.filter(is_staff=True).exists()


def test_seed_demo_is_reproducible_and_safe_to_rerun(db, in_dev):
    call_command("seed_demo", seed=7, members=10)
    first = sorted(User.objects.values_list("email", "display_name"))

    call_command("seed_demo", seed=7, members=10)

    assert sorted(User.objects.values_list("email", "display_name")) == first
    assert len(first) == 16  # admin, five personas, ten extra members


def test_demo_personas_can_log_in(client, db, in_dev):
    call_command("seed_demo", members=0)

    response = client.post(
        "/accounts/login/", {"login": "alice@gilda.demo", "password": "gilda-demo-2026"}
    )

    assert response.status_code == 302
    assert client.get("/").context["user"].email == "alice@gilda.demo"


def test_demo_admin_is_staff(db, in_dev):
    call_command("seed_demo", members=0)

    admin = User.objects.get(email="admin@gilda.demo")
    assert admin.is_staff and admin.is_superuser


def _profile_snapshot():
    from profiles.models import Profile

    return sorted(
        (
            p.user.email,
            p.headline,
            p.city,
            p.sector_id,
            tuple(sorted(p.skills.values_list("name", flat=True))),
            tuple(p.experiences.values_list("role", "start_year", "end_year")),
            tuple(sorted(p.languages.values_list("code", flat=True))),
        )
        for p in Profile.objects.filter(user__email__endswith="@gilda.demo", user__is_staff=False)
    )


def test_demo_profiles_are_varied_real_places_reproducible_and_not_duplicated(db, in_dev):
    from profiles import gazetteer
    from profiles.models import Experience, Profile, Skill

    call_command("seed_demo", seed=11, members=20)
    first = _profile_snapshot()
    experiences, skills = Experience.objects.count(), Skill.objects.count()
    call_command("seed_demo", seed=11, members=20)

    assert _profile_snapshot() == first
    assert (Experience.objects.count(), Skill.objects.count()) == (experiences, skills)
    profiles = Profile.objects.filter(user__is_staff=False)
    assert all(p.headline and p.needs and p.offers and p.open_to for p in profiles)
    assert len({p.city for p in profiles}) >= 5
    assert len({p.sector_id for p in profiles}) >= 3
    for profile in profiles:
        place = gazetteer.get(profile.geoname_id)
        assert (place.name, place.latitude, place.country) == (
            profile.city,
            profile.latitude,
            "IT",
        )
        assert profile.public_latitude is not None


def test_demo_dave_and_erin_share_exactly_two_connections_and_erin_is_suggested(db, in_dev):
    from connections.models import Suggestion, are_connected, mutual_connection_ids

    call_command("seed_demo", seed=5, members=30)
    call_command("seed_demo", seed=5, members=30)  # rerunnable

    dave = User.objects.get(email="dave@gilda.demo")
    erin = User.objects.get(email="erin@gilda.demo")
    assert not are_connected(dave.pk, erin.pk)
    mutual = mutual_connection_ids(dave.pk, erin.pk)
    assert {User.objects.get(pk=pk).email for pk in mutual} == {
        "alice@gilda.demo",
        "bob@gilda.demo",
    }
    suggestion = Suggestion.objects.get(user=dave, candidate=erin)
    assert suggestion.mutual_count == 2


def test_demo_connections_are_reproducible(db, in_dev):
    from connections.models import Connection

    def edges():
        return sorted(
            (Connection.objects.filter(pk=c.pk).values_list("user_low__email", "user_high__email"))[
                0
            ]
            for c in Connection.objects.all()
        )

    call_command("seed_demo", seed=9, members=15)
    first = edges()
    call_command("seed_demo", seed=9, members=15)

    assert edges() == first
    assert len(first) > 15
