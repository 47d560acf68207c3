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
def directory_url():
    from django.urls import reverse

    return reverse("directory")
