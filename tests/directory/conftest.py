import pytest

from profiles import gazetteer
from profiles.models import Profile


def settle(user, city: str | None, *, region_only: bool = False, **fields) -> Profile:
    """Give a member a city from the gazetteer (or none), optionally shown as region only."""
    profile = user.profile
    profile.set_location(gazetteer.find(city) if city else None)
    if region_only:
        profile.location_visibility = Profile.LocationVisibility.REGION
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


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
