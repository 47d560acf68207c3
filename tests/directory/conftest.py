import re

import pytest

from profiles.models import Profile


@pytest.fixture
def make_user(make_user):
    """The directory lists members with a verified email and a minimal profile (a headline or
    a sector): the personas here have a headline unless a test says otherwise."""

    def make(*args, headline: str = "Professionista", **kwargs):
        user = make_user(*args, **kwargs)
        Profile.objects.filter(user=user).update(headline=headline)
        user.profile.refresh_from_db()
        return user

    return make


@pytest.fixture
def directory_url():
    from django.urls import reverse

    return reverse("directory")


@pytest.fixture
def cards():
    """cards(response): the members listed, in order, by user id."""

    def cards(response) -> list[int]:
        return [int(pk) for pk in re.findall(rb'data-member="(\d+)"', response.content)]

    return cards


@pytest.fixture
def distances():
    """distances(response): the distance shown on each card that has one, as text."""

    def distances(response) -> list[str]:
        return [
            text.decode()
            for text in re.findall(rb'data-testid="distance"[^>]*>([^<]*)<', response.content)
        ]

    return distances


@pytest.fixture
def town(alice, bob, carol, dave, sector, settle):
    """Bob lives in Milano; Alice in Torino (126 km); Carol in Monza (15 km); Dave in Roma."""
    settle(bob, "Milano")
    settle(
        alice, "Torino", headline="Copywriter per e-commerce", sector=sector, open_to="mentoring"
    )
    settle(carol, "Monza", headline="Traduttrice tecnica", open_to="clients")
    settle(dave, "Roma", headline="Grafico")
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}
