"""The profile page and its inline editing, one section at a time."""

import pytest

from profiles import gazetteer
from profiles.models import Experience, Profile, Skill

HX = {"HTTP_HX_REQUEST": "true"}


def url(user) -> str:
    return user.get_absolute_url()


def test_anonymous_visitors_are_sent_to_log_in(client, alice):
    response = client.get(url(alice))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_inactive_or_unknown_members_are_404(bob_client, alice):
    alice.is_active = False
    alice.save()
    assert bob_client.get(url(alice)).status_code == 404
    assert bob_client.get("/persone/999999/").status_code == 404


def test_wrong_method_is_405(alice_client, alice):
    assert alice_client.put(url(alice)).status_code == 405
    assert alice_client.delete(url(alice)).status_code == 405


def test_members_see_the_whole_profile(bob_client, alice):
    profile = alice.profile
    profile.headline = "Copywriter per e-commerce"
    profile.bio = "Scrivo **schede prodotto**."
    profile.needs = "Un fotografo a Milano"
    profile.offers = "Revisione di testi"
    profile.open_to = Profile.OpenTo.MENTORING
    profile.website = "https://www.alice.example/"
    profile.linkedin_url = "https://www.linkedin.com/in/alice-romano"
    profile.set_location(gazetteer.find("Bergamo"))
    profile.save()
    profile.skills.add(Skill.objects.create(name="Naming", is_approved=True))
    profile.languages.create(code="en")
    Experience.objects.create(
        profile=profile, role="Copywriter", organisation="Acme", start_year=2018
    )

    html = bob_client.get(url(alice)).content.decode()

    for text in [
        "Alice Romano",
        "Copywriter per e-commerce",
        "<strong>schede prodotto</strong>",
        "Un fotografo a Milano",
        "Revisione di testi",
        "Mentoring",
        "Bergamo",
        "Naming",
        "Inglese",
        "Acme",
        'href="https://www.alice.example/" rel="nofollow noopener ugc"',
        "alice.example",
        'href="https://www.linkedin.com/in/alice-romano" rel="nofollow noopener ugc"',
    ]:
        assert text in html, text
    assert 'data-testid="edit-' not in html
    assert 'data-testid="completeness"' not in html
    assert 'data-testid="avatar-initials"' in html and ">AR<" in html


def test_owner_sees_edit_links_and_completeness_hints(alice_client, alice):
    html = alice_client.get(url(alice)).content.decode()
    for section in [
        "avatar",
        "about",
        "skills",
        "experience",
        "location",
        "needs",
        "links",
        "privacy",
    ]:
        assert f'data-testid="edit-{section}"' in html
    assert 'data-testid="completeness"' in html
    assert "0%" in html
    assert html.count('data-testid="hint"') == 3


@pytest.mark.parametrize(
    "section", ["avatar", "about", "skills", "experience", "location", "needs", "links", "privacy"]
)
def test_each_section_opens_its_form_in_place(alice_client, alice, section):
    page = alice_client.get(f"{url(alice)}?edit={section}")
    assert page.status_code == 200
    assert f'name="section" value="{section}"' in page.content.decode()
    fragment = alice_client.get(f"{url(alice)}?edit={section}", **HX)
    html = fragment.content.decode()
    assert "<html" not in html
    assert f'name="section" value="{section}"' in html


def test_other_members_get_no_form_even_if_they_ask(bob_client, alice):
    html = bob_client.get(f"{url(alice)}?edit=about", **HX).content.decode()
    assert 'name="section"' not in html


def test_other_members_cannot_post_to_a_profile(bob_client, alice):
    response = bob_client.post(url(alice), {"section": "needs", "needs": "spam"})
    assert response.status_code == 403
    alice.profile.refresh_from_db()
    assert alice.profile.needs == ""


def test_unknown_section_is_a_clear_400(alice_client, alice):
    response = alice_client.post(url(alice), {"section": "user", "is_staff": "on"})
    assert response.status_code == 400


def test_about_saves_name_headline_bio_sector_and_languages(alice_client, alice, sector):
    response = alice_client.post(
        url(alice),
        {
            "section": "about",
            "display_name": "  Alice   R. ",
            "headline": "Copywriter",
            "sector": sector.pk,
            "bio": "Ciao <script>alert(1)</script> **mondo**",
            "languages": ["it", "en"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url(alice)}#about"
    alice.refresh_from_db()
    profile = alice.profile
    assert alice.display_name == "Alice R."
    assert (profile.headline, profile.sector) == ("Copywriter", sector)
    assert "<script" not in profile.bio_html and "<strong>mondo</strong>" in profile.bio_html
    assert sorted(profile.languages.values_list("code", flat=True)) == ["en", "it"]


def test_htmx_save_returns_the_section_and_refreshes_header_and_meter(alice_client, alice):
    response = alice_client.post(
        url(alice),
        {"section": "needs", "needs": "Un grafico", "offers": "Testi", "open_to": "clients"},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="needs"' in html and "Un grafico" in html
    assert 'id="profile-header" class="profile-header" hx-swap-oob="true"' in html
    assert 'id="completeness"' in html and 'hx-swap-oob="true"' in html
    alice.profile.refresh_from_db()
    assert (alice.profile.needs, alice.profile.open_to) == ("Un grafico", "clients")


def test_errors_show_next_to_the_field_and_nothing_is_saved(alice_client, alice):
    response = alice_client.post(
        url(alice),
        {"section": "about", "display_name": "   ", "headline": "x" * 200},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-display_name"' in html
    assert 'data-testid="error-headline"' in html
    assert 'name="section" value="about"' in html
    alice.refresh_from_db()
    assert (alice.display_name, alice.profile.headline) == ("Alice Romano", "")


def test_without_htmx_an_invalid_form_renders_the_whole_page_with_errors(alice_client, alice):
    response = alice_client.post(
        url(alice), {"section": "links", "linkedin_url": "https://example.com/in/alice"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'data-testid="error-linkedin_url"' in html
    assert "linkedin.com/in/" in html


def test_links_are_saved(alice_client, alice):
    alice_client.post(
        url(alice),
        {
            "section": "links",
            "website": "alice.example",
            "linkedin_url": "https://www.linkedin.com/in/alice",
        },
    )
    alice.profile.refresh_from_db()
    assert alice.profile.website == "https://alice.example"
    assert alice.profile.linkedin_url == "https://www.linkedin.com/in/alice"


# Location ---------------------------------------------------------------------------------


def test_typing_a_known_city_stores_it_with_coordinates(alice_client, alice):
    alice_client.post(url(alice), {"section": "location", "place_query": "Bergamo"})
    profile = Profile.objects.get(user=alice)
    bergamo = gazetteer.find("Bergamo")
    assert (profile.city, profile.region, profile.country.code) == ("Bergamo", "Lombardia", "IT")
    assert (profile.latitude, profile.longitude) == (bergamo.latitude, bergamo.longitude)


def test_live_search_lists_matching_cities_as_choices(alice_client, alice):
    response = alice_client.get(
        f"{url(alice)}?edit=location&part=place-results&place_query=Berg", **HX
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="place-results"' in html
    assert f'value="{gazetteer.find("Bergamo").geoname_id}"' in html
    assert "Bergamo (Lombardia)" in html


def test_an_ambiguous_name_asks_which_one_then_stores_the_pick(alice_client, alice):
    response = alice_client.post(url(alice), {"section": "location", "place_query": "Berg"})
    html = response.content.decode()
    assert 'data-testid="error-geoname_id"' in html and "Bergamo (Lombardia)" in html
    assert Profile.objects.get(user=alice).city == ""

    bergamo = gazetteer.find("Bergamo")
    alice_client.post(
        url(alice),
        {"section": "location", "place_query": "Berg", "geoname_id": bergamo.geoname_id},
    )
    assert Profile.objects.get(user=alice).geoname_id == bergamo.geoname_id


def test_an_unknown_city_gets_a_clear_error(alice_client, alice):
    response = alice_client.post(url(alice), {"section": "location", "place_query": "Xyzzyville"})
    assert 'data-testid="error-place_query"' in response.content.decode()


def test_a_tampered_place_id_is_refused(alice_client, alice):
    response = alice_client.post(
        url(alice), {"section": "location", "place_query": "", "geoname_id": "123"}
    )
    assert 'data-testid="error-geoname_id"' in response.content.decode()
    assert Profile.objects.get(user=alice).geoname_id is None


def test_saving_an_empty_city_removes_the_location(alice_client, alice):
    alice.profile.set_location(gazetteer.find("Bari"))
    alice.profile.save()
    alice_client.post(url(alice), {"section": "location", "place_query": ""})
    profile = Profile.objects.get(user=alice)
    assert (profile.city, profile.latitude, profile.public_latitude) == ("", None, None)


# Skills -----------------------------------------------------------------------------------


def test_typed_skills_reuse_existing_ones_and_propose_new_ones(alice_client, alice):
    seo = Skill.objects.create(name="SEO", is_approved=True)
    alice_client.post(url(alice), {"section": "skills", "new_skills": "seo, Naming creativo, seo"})
    skills = {skill.name: skill for skill in alice.profile.skills.all()}
    assert set(skills) == {"SEO", "Naming creativo"}
    assert skills["SEO"] == seo
    assert (skills["Naming creativo"].is_approved, skills["Naming creativo"].created_by) == (
        False,
        alice,
    )


def test_unticking_a_skill_removes_it(alice_client, alice):
    keep, drop = (
        Skill.objects.create(name="SEO", is_approved=True),
        Skill.objects.create(name="Ads", is_approved=True),
    )
    alice.profile.skills.add(keep, drop)
    alice_client.post(url(alice), {"section": "skills", "skills": [keep.pk]})
    assert list(alice.profile.skills.all()) == [keep]


def test_suggestions_while_typing_offer_approved_and_own_skills_only(alice_client, alice, bob):
    Skill.objects.create(name="Copywriting", is_approved=True)
    Skill.propose("Copy per il vino", by=bob)
    mine = Skill.propose("Copy tecnico", by=alice)
    alice.profile.skills.clear()
    html = alice_client.get(
        f"{url(alice)}?edit=skills&part=skill-results&new_skills=copy", **HX
    ).content.decode()
    assert "<html" not in html
    assert "Copywriting" in html and "Copy tecnico" in html
    assert "Copy per il vino" not in html
    assert f'name="add_skill" value="{mine.pk}"' in html
    assert 'data-testid="propose-skill"' in html


def test_clicking_a_suggestion_adds_it_and_keeps_editing(alice_client, alice):
    seo = Skill.objects.create(name="SEO", is_approved=True)
    response = alice_client.post(
        url(alice), {"section": "skills", "new_skills": "se", "add_skill": seo.pk}, **HX
    )
    html = response.content.decode()
    assert list(alice.profile.skills.all()) == [seo]
    assert 'name="section" value="skills"' in html
    assert f'value="{seo.pk}" checked' in html
    assert not Skill.objects.filter(name="se").exists()


def test_another_members_unapproved_skill_cannot_be_added(alice_client, alice, bob):
    theirs = Skill.propose("Segreto", by=bob)
    response = alice_client.post(url(alice), {"section": "skills", "skills": [theirs.pk]})
    assert 'data-testid="error-skills"' in response.content.decode()
    assert alice.profile.skills.count() == 0


def test_at_most_thirty_skills(alice_client, alice):
    names = ", ".join(f"Skill {n}" for n in range(31))
    response = alice_client.post(url(alice), {"section": "skills", "new_skills": names})
    assert "30" in response.content.decode()
    assert alice.profile.skills.count() == 0
    assert not Skill.objects.exists()


# Experience -------------------------------------------------------------------------------


def _experience_data(rows, initial=0):
    data = {
        "section": "experience",
        "experience-TOTAL_FORMS": str(len(rows)),
        "experience-INITIAL_FORMS": str(initial),
        "experience-MIN_NUM_FORMS": "0",
        "experience-MAX_NUM_FORMS": "12",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"experience-{index}-{key}"] = value
    return data


def test_experience_entries_are_added_edited_and_removed(alice_client, alice):
    alice_client.post(
        url(alice),
        _experience_data([{"role": "Copywriter", "organisation": "Acme", "start_year": "2019"}]),
    )
    entry = alice.profile.experiences.get()
    assert (entry.role, entry.end_year) == ("Copywriter", None)

    alice_client.post(
        url(alice),
        _experience_data(
            [
                {
                    "id": entry.pk,
                    "role": "Senior copywriter",
                    "start_year": "2019",
                    "end_year": "2023",
                },
                {"role": "Head of content", "organisation": "Beta", "start_year": "2023"},
            ],
            initial=1,
        ),
    )
    assert sorted(alice.profile.experiences.values_list("role", "end_year")) == [
        ("Head of content", None),
        ("Senior copywriter", 2023),
    ]

    alice_client.post(
        url(alice),
        _experience_data(
            [{"id": entry.pk, "role": "Senior copywriter", "start_year": "2019", "DELETE": "on"}],
            initial=1,
        ),
    )
    assert list(alice.profile.experiences.values_list("role", flat=True)) == ["Head of content"]


def test_experience_years_are_checked_next_to_the_field(alice_client, alice):
    response = alice_client.post(
        url(alice),
        _experience_data([{"role": "Editor", "start_year": "2020", "end_year": "2018"}]),
        **HX,
    )
    html = response.content.decode()
    assert 'data-testid="error-experience-0-end_year"' in html
    assert alice.profile.experiences.count() == 0
    response = alice_client.post(
        url(alice), _experience_data([{"role": "Editor", "start_year": "3020"}]), **HX
    )
    assert 'data-testid="error-experience-0-start_year"' in response.content.decode()


# Privacy settings ---------------------------------------------------------------------------


def test_privacy_switch_to_region_only_moves_public_coordinates(alice_client, alice):
    alice.profile.set_location(gazetteer.find("Lodi"))
    alice.profile.save()
    alice_client.post(
        url(alice),
        {"section": "privacy", "location_visibility": "region", "connections_visibility": "nobody"},
    )
    profile = Profile.objects.get(user=alice)
    assert profile.connections_visibility == "nobody"
    assert (profile.public_latitude, profile.public_longitude) == gazetteer.region_centroid(
        "IT", "Lombardia"
    )
    html = alice_client.get(url(alice)).content.decode()
    assert 'data-testid="region-only-note"' in html


def test_completeness_rises_as_sections_are_filled(alice_client, alice, sector):
    alice_client.post(
        url(alice),
        {"section": "about", "display_name": "Alice", "headline": "Copy", "sector": sector.pk},
    )
    profile = Profile.objects.get(user=alice)
    assert profile.completeness.percent == 17
    assert ("about", profile.COMPLETENESS_CHECKS[1][2]) not in profile.completeness.missing
