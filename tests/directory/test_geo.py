"""Distances computed by the database: haversine in SQL and the bounding-box prefilter."""

import random

import pytest
from django.contrib.auth.hashers import make_password

from profiles import gazetteer
from profiles.models import Profile, User


def test_milano_torino_in_sql_is_about_126_km(alice, settle):
    settle(alice, "Torino")
    milano = gazetteer.find("Milano")
    km = Profile.objects.with_distance_from(milano.latitude, milano.longitude).get(user=alice)
    assert abs(km.distance_km - 126) / 126 < 0.02


@pytest.mark.parametrize(
    "a, b, reference_km",
    [("Milano", "Roma", 477), ("Napoli", "Palermo", 312)],
)
def test_other_known_distances_within_two_percent(alice, a, b, reference_km, settle):
    settle(alice, b)
    start = gazetteer.find(a)
    profile = Profile.objects.with_distance_from(start.latitude, start.longitude).get(user=alice)
    assert abs(profile.distance_km - reference_km) / reference_km < 0.02


def scatter(points) -> list[Profile]:
    users = User.objects.bulk_create(
        User(email=f"geo{i}@example.com", password=make_password(None)) for i in range(len(points))
    )
    profiles = [
        Profile(user=user, latitude=lat, longitude=lon, public_latitude=lat, public_longitude=lon)
        for user, (lat, lon) in zip(users, points, strict=True)
    ]
    return Profile.objects.bulk_create(profiles)


def test_sql_and_python_haversine_agree(db):
    rng = random.Random(7)
    points = [(rng.uniform(-89, 89), rng.uniform(-180, 180)) for _ in range(200)]
    scatter(points)
    for lat, lon in [(45.46, 9.19), (-33.9, 151.2), (0, 179.9), (89.5, 0)]:
        for profile in Profile.objects.with_distance_from(lat, lon):
            expected = gazetteer.distance_km(lat, lon, profile.latitude, profile.longitude)
            assert profile.distance_km == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "centre",
    [(45.46, 9.19), (37.5, 15.1), (0.0, 179.5), (0.0, -179.5), (-60.0, 170.0), (88.0, 40.0)],
)
@pytest.mark.parametrize("km", [1, 25, 100, 500, 3000])
def test_the_bounding_box_keeps_exactly_the_members_in_reach(db, centre, km):
    """Random points, dense around the centre and across the date line and poles: the
    box-prefiltered query returns exactly the points the exact distance keeps."""
    rng = random.Random(hash((centre, km)))
    lat0, lon0 = centre
    spread = km / 111 * 1.5
    points = [
        (
            max(-90.0, min(90.0, lat0 + rng.uniform(-spread, spread))),
            (lon0 + rng.uniform(-spread * 3, spread * 3) + 180) % 360 - 180,
        )
        for _ in range(150)
    ] + [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(50)]
    scatter(points)
    expected = {
        profile.pk
        for profile in Profile.objects.all()
        if gazetteer.distance_km(lat0, lon0, profile.latitude, profile.longitude) <= km
    }
    found = set(Profile.objects.within_km(lat0, lon0, km).values_list("pk", flat=True))
    assert found == expected
    assert 0 < len(expected) < 200 or km == 3000


def test_members_without_coordinates_are_never_within_reach(alice, bob, settle):
    settle(alice, None)
    settle(bob, "Milano")
    milano = gazetteer.find("Milano")
    found = Profile.objects.within_km(milano.latitude, milano.longitude, 20000)
    assert list(found.values_list("user", flat=True)) == [bob.pk]


def test_a_member_without_coordinates_has_no_distance(alice, settle):
    # PostgreSQL's LEAST() skips NULLs; a naive clamp would place her on the far side of Earth.
    settle(alice, None)
    assert Profile.objects.with_distance_from(45.0, 9.0).get(user=alice).distance_km is None
