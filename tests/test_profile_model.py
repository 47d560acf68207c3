import pytest
from django.db import IntegrityError

from profiles.models import Profile


def test_every_new_member_gets_an_empty_profile(make_user):
    user = make_user("new@example.com", "Nuova Persona")
    assert Profile.objects.filter(user=user, city="", needs="").count() == 1


def test_region_only_members_show_their_region_not_their_city(alice):
    alice.profile.city, alice.profile.region = "Lodi", "Lombardia"
    assert alice.profile.public_place == "Lodi"
    alice.profile.location_visibility = Profile.LocationVisibility.REGION
    assert alice.profile.public_place == "Lombardia"


def test_database_refuses_coordinates_off_the_globe(alice):
    Profile.objects.filter(pk=alice.profile.pk).update(latitude=45.46, longitude=9.19)
    with pytest.raises(IntegrityError):
        Profile.objects.filter(pk=alice.profile.pk).update(latitude=123.0, longitude=9.19)


def test_profile_page_is_for_logged_in_members_only(client, bob_client, alice):
    alice.profile.headline = "Social media manager"
    alice.profile.save()
    assert client.get(alice.get_absolute_url()).status_code == 302
    response = bob_client.get(alice.get_absolute_url())
    assert response.status_code == 200
    assert b"Social media manager" in response.content
