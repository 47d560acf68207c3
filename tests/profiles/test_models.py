import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from profiles import gazetteer
from profiles.models import Experience, Profile, Skill, SpokenLanguage


def test_milano_torino_is_about_126_km():
    milano, torino = gazetteer.find("Milano"), gazetteer.find("Torino")
    km = gazetteer.distance_km(milano.latitude, milano.longitude, torino.latitude, torino.longitude)
    assert abs(km - 126) / 126 < 0.02


def test_gazetteer_finds_italian_names_and_exonyms():
    assert gazetteer.search("Milan")[0].name == "Milano"
    assert gazetteer.search("forli")[0].name == "Forlì"
    rho = gazetteer.find("Rho")
    assert (rho.region, rho.country) == ("Lombardia", "IT")
    assert gazetteer.find("Nessunluogo") is None
    assert gazetteer.search("m") == []


def test_set_location_stores_city_region_country_and_coordinates(alice):
    profile = alice.profile
    profile.set_location(gazetteer.find("Bergamo"))
    profile.save()
    profile.refresh_from_db()
    assert (profile.city, profile.region, profile.country.code) == ("Bergamo", "Lombardia", "IT")
    assert profile.geoname_id == gazetteer.find("Bergamo").geoname_id
    assert (profile.public_latitude, profile.public_longitude) == (
        profile.latitude,
        profile.longitude,
    )


def test_region_only_members_get_the_regions_centre_as_public_coordinates(alice):
    profile = alice.profile
    profile.set_location(gazetteer.find("Bergamo"))
    profile.location_visibility = Profile.LocationVisibility.REGION
    profile.save()
    profile.refresh_from_db()
    centre = gazetteer.region_centroid("IT", "Lombardia")
    assert (profile.public_latitude, profile.public_longitude) == centre
    assert (profile.public_latitude, profile.public_longitude) != (
        profile.latitude,
        profile.longitude,
    )
    # Two region-only members of different Lombard cities are indistinguishable by distance.
    other = Profile(location_visibility=Profile.LocationVisibility.REGION)
    other.set_location(gazetteer.find("Pavia"))
    assert (other.public_latitude, other.public_longitude) == centre


def test_switching_back_to_city_restores_city_coordinates_with_update_fields(alice):
    profile = alice.profile
    profile.set_location(gazetteer.find("Lecce"))
    profile.location_visibility = Profile.LocationVisibility.REGION
    profile.save()
    profile.location_visibility = Profile.LocationVisibility.CITY
    profile.save(update_fields=["location_visibility"])
    profile.refresh_from_db()
    assert profile.public_latitude == profile.latitude


def test_clearing_the_location_clears_public_coordinates(alice):
    profile = alice.profile
    profile.set_location(gazetteer.find("Bari"))
    profile.save()
    profile.set_location(None)
    profile.save()
    profile.refresh_from_db()
    assert profile.city == "" and profile.public_latitude is None and profile.latitude is None


def test_bio_is_stored_as_sanitised_html(alice):
    profile = alice.profile
    profile.bio = "Scrivo **schede prodotto**.<script>alert(1)</script>"
    profile.save()
    profile.refresh_from_db()
    assert "<strong>schede prodotto</strong>" in profile.bio_html
    assert "<script" not in profile.bio_html


def test_skill_names_are_unique_whatever_the_case(alice):
    Skill.objects.create(name="Copywriting")
    with pytest.raises(IntegrityError), transaction.atomic():
        Skill.objects.create(name="copywriting", slug="copywriting-2")


def test_proposing_an_existing_skill_reuses_it(alice, bob):
    seo = Skill.objects.create(name="SEO", is_approved=True)
    assert Skill.propose("  seo ", by=alice) == seo
    new = Skill.propose("Content  design", by=bob)
    assert (new.name, new.is_approved, new.created_by, new.slug) == (
        "Content design",
        False,
        bob,
        "content-design",
    )


def test_unapproved_skills_are_usable_only_by_their_proposer(alice, bob):
    mine = Skill.propose("Naming", by=alice)
    approved = Skill.objects.create(name="SEO", is_approved=True)
    assert set(Skill.objects.usable_by(alice)) == {mine, approved}
    assert set(Skill.objects.usable_by(bob)) == {approved}


def test_merging_skills_moves_links_without_duplicates(alice, bob, carol):
    keep = Skill.objects.create(name="Copywriting", is_approved=True)
    dup = Skill.objects.create(name="Copy writing")
    alice.profile.skills.add(keep, dup)
    bob.profile.skills.add(dup)
    moved = keep.merge([dup])
    assert moved == 1
    assert not Skill.objects.filter(pk=dup.pk).exists()
    assert list(alice.profile.skills.all()) == [keep]
    assert list(bob.profile.skills.all()) == [keep]
    assert keep.profiles.count() == 2


def test_experience_years_are_checked_by_the_database(alice):
    Experience.objects.create(profile=alice.profile, role="Copywriter", start_year=2015)
    with pytest.raises(IntegrityError), transaction.atomic():
        Experience.objects.create(
            profile=alice.profile, role="Editor", start_year=2020, end_year=2019
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Experience.objects.create(profile=alice.profile, role="Editor", start_year=1850)


def test_languages_are_queryable_and_unique_per_member(alice, bob):
    SpokenLanguage.objects.create(profile=alice.profile, code="en")
    SpokenLanguage.objects.create(profile=bob.profile, code="fr")
    assert list(Profile.objects.filter(languages__code="en")) == [alice.profile]
    with pytest.raises(IntegrityError), transaction.atomic():
        SpokenLanguage.objects.create(profile=alice.profile, code="en")


@pytest.mark.parametrize(
    "url",
    ["https://www.linkedin.com/in/alice-romano", "https://linkedin.com/in/alice/"],
)
def test_linkedin_accepts_profile_addresses(alice, url):
    alice.profile.linkedin_url = url
    alice.profile.full_clean()


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/company/gilda",
        "https://evil.example/in/alice",
        "https://linkedin.com.evil.example/in/alice",
        "javascript:alert(1)",
    ],
)
def test_linkedin_refuses_anything_else(alice, url):
    alice.profile.linkedin_url = url
    with pytest.raises(ValidationError) as error:
        alice.profile.full_clean()
    assert "linkedin_url" in error.value.error_dict
