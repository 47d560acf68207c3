"""Pinned query counts: the directory costs the same at 10 and at 120 members."""

import random
import sys

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from groups.models import Membership
from profiles import gazetteer
from profiles.models import Profile, Skill, User

CITIES = ["Milano", "Monza", "Bergamo", "Pavia", "Lodi", "Como", "Varese", "Novara"]


def crowd(size: int, sector, skills) -> list[User]:
    rng = random.Random(size)
    users = User.objects.bulk_create(
        User(
            email=f"crowd{i:04d}@example.com",
            display_name=f"Persona {i}",
            password=make_password(None),
        )
        for i in range(size)
    )
    profiles = []
    for user in users:
        profile = Profile(
            user=user,
            headline="Consulente",
            sector=sector,
            open_to="clients",
            location_visibility=rng.choice(["city", "region"]),
        )
        profile.set_location(gazetteer.find(rng.choice(CITIES)))
        profiles.append(profile)
    Profile.objects.bulk_create(profiles)
    # Listed members have a verified email (and the headline above).
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    Through = Profile.skills.through
    Through.objects.bulk_create(
        Through(profile=profile, skill=skill)
        for profile in Profile.objects.filter(user__in=users)
        for skill in rng.sample(skills, 3)
    )
    return users


@pytest.fixture
def skills(db):
    return Skill.objects.bulk_create(
        Skill(name=f"Competenza {i}", slug=f"competenza-{i}", is_approved=True) for i in range(8)
    )


@pytest.mark.parametrize("size", [10, 120])
@pytest.mark.parametrize(
    "params",
    [{}, {"ordine": "vicino"}, {"ordine": "vicino", "raggio": "200", "aperto": "clients"}],
)
def test_directory_queries(
    bob_client, bob, sector, skills, size, params, directory_url, django_assert_num_queries, settle
):
    settle(bob, "Milano")
    crowd(size, sector, skills)
    # user, bob's profile, sectors, count, page (with users and sectors),
    # skills of the page, bob's groups, unread badge
    with django_assert_num_queries(8):
        response = bob_client.get(directory_url, params)
    assert response.status_code == 200
    assert response.content.count(b'data-testid="member-card"') == min(size, 20)


@pytest.mark.parametrize("size", [10, 120])
def test_directory_queries_with_skill_and_city(
    bob_client, bob, sector, skills, size, directory_url, django_assert_num_queries, settle
):
    settle(bob, "Milano")
    crowd(size, sector, skills)
    # the above, plus the skill looked up by name
    with django_assert_num_queries(9):
        response = bob_client.get(
            directory_url, {"competenza": skills[0].name, "citta": "Bergamo", "raggio": "100"}
        )
    assert response.status_code == 200
    assert b'data-testid="filter-error"' not in response.content


@pytest.mark.parametrize("size", [10, 120])
@pytest.mark.parametrize("htmx", [False, True])
def test_group_directory_queries(
    bob_client,
    bob,
    closed_group,
    sector,
    skills,
    size,
    htmx,
    directory_url,
    django_assert_num_queries,
    settle,
):
    settle(bob, "Milano")
    Membership.objects.bulk_create(
        Membership(group=closed_group, user=user) for user in crowd(size, sector, skills)
    )
    headers = {"HX-Request": "true"} if htmx else {}
    # user, bob's profile, sectors, the group (readable by bob), count, page,
    # skills of the page; the full page adds bob's groups (the facet) and the unread badge
    with django_assert_num_queries(7 if htmx else 9):
        response = bob_client.get(
            directory_url, {"gruppo": closed_group.slug, "ordine": "vicino"}, headers=headers
        )
    assert response.status_code == 200
    # Alice and the moderator have no city, so "near me" leaves them out.
    assert response.content.count(b'data-testid="member-card"') == min(size, 20)


def test_the_count_stops_at_the_cap_and_says_so(
    bob_client, bob, sector, skills, directory_url, monkeypatch
):
    # groups.views re-exports the view under the module's name: patch the module itself.
    monkeypatch.setattr(sys.modules["groups.views.directory"], "COUNT_CAP", 25)
    crowd(30, sector, skills)

    response = bob_client.get(directory_url)
    last = bob_client.get(directory_url, {"pagina": "9"})

    assert response.context["page"].paginator.count == 25
    assert b'data-testid="directory-capped"' in response.content
    assert last.context["page"].number == 2  # 25 members: two pages of 20, no third
    assert last.content.count(b'data-testid="member-card"') == 5


def test_under_the_cap_the_count_is_exact(bob_client, bob, sector, skills, directory_url):
    crowd(12, sector, skills)

    response = bob_client.get(directory_url)

    assert response.context["page"].paginator.count == 12
    assert b'data-testid="directory-capped"' not in response.content
