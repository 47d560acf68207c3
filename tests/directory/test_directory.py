"""The members directory at /persone/: filters, sorts, htmx, bad input, access."""

import pytest
from django.urls import reverse

from groups.models import Sector
from profiles.models import Profile, Skill


def test_directory_lists_other_active_members_newest_first(
    bob_client, town, make_user, directory_url, cards
):
    gone = make_user("gone@example.com", "Gianni Andato", is_active=False)
    response = bob_client.get(directory_url)
    assert response.status_code == 200
    listed = cards(response)
    assert town["bob"].pk not in listed  # never yourself
    assert gone.pk not in listed
    assert listed == [town["dave"].pk, town["carol"].pk, town["alice"].pk]
    assert b"<html" in response.content
    assert b'id="results"' in response.content


def test_near_me_sorts_by_distance_and_shows_kilometres(
    bob_client, town, directory_url, cards, distances
):
    response = bob_client.get(directory_url, {"ordine": "vicino", "raggio": "500"})
    assert cards(response) == [town["carol"].pk, town["alice"].pk, town["dave"].pk]
    carol_km, alice_km, dave_km = (int(text.split()[0]) for text in distances(response))
    assert 10 <= carol_km <= 20
    assert abs(alice_km - 126) / 126 < 0.02
    assert 470 <= dave_km <= 490
    assert "500 km" in response.content.decode()


def test_near_me_without_a_radius_looks_within_the_default_radius(
    bob_client, town, directory_url, cards
):
    response = bob_client.get(directory_url, {"ordine": "vicino"})
    assert cards(response) == [town["carol"].pk]  # Torino is 126 km away, Roma further
    assert "100 km" in response.content.decode()


def test_distance_is_shown_on_every_sort_when_the_viewer_has_a_city(
    bob_client, town, directory_url, distances
):
    response = bob_client.get(directory_url, {"ordine": "recenti"})
    assert len(distances(response)) == 3


def test_viewer_without_a_city_is_told_and_gets_newest(
    dave_client, town, directory_url, settle, cards, distances
):
    settle(town["dave"], None)
    response = dave_client.get(directory_url, {"ordine": "vicino"})
    assert response.status_code == 200
    assert b'data-testid="directory-note"' in response.content
    assert distances(response) == []
    assert cards(response) == [town["carol"].pk, town["bob"].pk, town["alice"].pk]


def test_radius_around_a_chosen_city(dave_client, town, directory_url, cards, distances):
    response = dave_client.get(
        directory_url, {"citta": "Torino", "raggio": "200", "ordine": "vicino"}
    )
    # Alice is in Torino itself, Bob in Milano, Carol in Monza; Dave (Roma) is the viewer.
    assert cards(response) == [town["alice"].pk, town["bob"].pk, town["carol"].pk]
    assert distances(response)[0] == "meno di 1 km"
    assert "Torino" in response.content.decode()


def test_a_city_without_a_radius_means_in_and_around_it(dave_client, town, directory_url, cards):
    response = dave_client.get(directory_url, {"citta": "milano"})
    assert sorted(cards(response)) == sorted([town["bob"].pk, town["carol"].pk])


def test_a_city_label_from_the_gazetteer_is_understood(dave_client, town, directory_url, cards):
    response = dave_client.get(directory_url, {"citta": "Monza (Lombardia)", "raggio": "5"})
    assert cards(response) == [town["carol"].pk]


def test_filter_by_sector_skill_open_to_and_text(
    bob_client, town, sector, directory_url, settle, cards
):
    seo = Skill.objects.create(name="SEO", is_approved=True)
    town["carol"].profile.skills.add(seo)
    other_sector = Sector.objects.exclude(pk=sector.pk).first()
    settle(town["dave"], "Roma", sector=other_sector)

    assert cards(bob_client.get(directory_url, {"settore": sector.slug})) == [town["alice"].pk]
    assert cards(bob_client.get(directory_url, {"competenza": "seo"})) == [town["carol"].pk]
    assert cards(bob_client.get(directory_url, {"aperto": "mentoring"})) == [town["alice"].pk]
    assert cards(bob_client.get(directory_url, {"q": "tradut"})) == [town["carol"].pk]
    assert cards(bob_client.get(directory_url, {"q": "Davide"})) == [town["dave"].pk]
    both = bob_client.get(directory_url, {"aperto": "clients", "competenza": "SEO", "raggio": "25"})
    assert cards(both) == [town["carol"].pk]


def test_text_search_never_matches_the_city(bob_client, town, directory_url, cards):
    # A city search would tell whether a region-only member lives there.
    assert cards(bob_client.get(directory_url, {"q": "Monza"})) == []


def test_another_members_unapproved_skill_is_not_a_filter(bob_client, town, directory_url, cards):
    secret = Skill.objects.create(name="Progetto segreto", created_by=town["alice"])
    town["alice"].profile.skills.add(secret)
    response = bob_client.get(directory_url, {"competenza": "Progetto segreto"})
    # Refused like an unknown skill: the filter is dropped and the member is told why.
    assert b'data-testid="filter-error"' in response.content
    assert "Progetto segreto" in response.content.decode()
    assert len(cards(response)) == 3


def test_htmx_request_gets_only_the_results_fragment(bob_client, town, directory_url, cards):
    response = bob_client.get(
        directory_url, {"ordine": "vicino", "raggio": "500"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"directory-filters" not in response.content
    assert response.content.lstrip().startswith(b'<section id="results"')
    assert cards(response) == [town["carol"].pk, town["alice"].pk, town["dave"].pk]


def test_pagination_keeps_the_filters(
    bob_client, bob, make_user, directory_url, sector, settle, cards
):
    settle(bob, "Milano")
    for i in range(45):
        settle(make_user(f"m{i:02d}@example.com", f"Membro {i:02d}"), "Bergamo", sector=sector)
    params = {"settore": sector.slug, "ordine": "vicino"}
    first = bob_client.get(directory_url, params)
    assert len(cards(first)) == 20
    assert f"settore={sector.slug}".encode() in first.content
    assert b"pagina=2" in first.content
    second = bob_client.get(directory_url, params | {"pagina": "2"})
    third = bob_client.get(directory_url, params | {"pagina": "3"})
    assert len(cards(third)) == 5
    seen = set(cards(first)) | set(cards(second)) | set(cards(third))
    assert len(seen) == 45


@pytest.mark.parametrize(
    "params",
    [
        {"raggio": "abc"},
        {"raggio": "-5"},
        {"raggio": "99999999999999999999999"},
        {"pagina": "abc"},
        {"pagina": "99999"},
        {"pagina": "-1"},
        {"pagina": "1\x00"},
        {"settore": "non-esiste"},
        {"competenza": "Nessuna competenza"},
        {"citta": "Nessunluogo"},
        {"aperto": "everything"},
        {"ordine": "random"},
        {"q": "x" * 5000},
        {"competenza": "S" * 5000},
        {"citta": "M" * 5000},
        {"q": "null\x00byte"},
        {"competenza": "seo\x00"},
        {"citta": "Mil\x00ano"},
        {"settore": "\x00"},
    ],
)
def test_bad_input_is_a_clear_message_never_a_500(bob_client, town, directory_url, params):
    for headers in ({}, {"HX-Request": "true"}):
        response = bob_client.get(directory_url, params, headers=headers)
        assert response.status_code == 200
        assert b'id="results"' in response.content
    name = next(iter(params))
    if name != "pagina":
        assert b'data-testid="filter-error"' in response.content


def test_distance_filter_without_any_city_is_explained(
    dave_client, town, directory_url, settle, cards
):
    settle(town["dave"], None)
    response = dave_client.get(directory_url, {"raggio": "50"})
    assert b'data-testid="directory-note"' in response.content
    assert len(cards(response)) == 3


def test_directory_refuses_post(bob_client, town, directory_url):
    assert bob_client.post(directory_url).status_code == 405


def test_anonymous_visitor_is_sent_to_log_in(client, town, directory_url):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(directory_url, headers=headers)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert b"Roberto" not in response.content


def test_nav_links_to_the_directory_for_members_only(bob_client, client, town, directory_url):
    assert f'href="{directory_url}"'.encode() in bob_client.get("/").content
    assert f'href="{directory_url}"'.encode() not in client.get("/").content


def test_results_are_unchanged_by_reading(bob_client, town, directory_url):
    before = list(Profile.objects.order_by("pk").values_list("pk", "updated_at"))
    bob_client.get(directory_url, {"ordine": "vicino"})
    assert list(Profile.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_directory_lists_only_verified_members_with_a_minimal_profile(
    bob_client, make_user, directory_url, sector
):
    make_user("listata@example.com", "Listata Davvero")
    make_user("nonverificata@example.com", "Mai Verificata", verified=False)
    make_user("vuota@example.com", "Profilo Vuoto", headline="")
    with_sector = make_user("settore@example.com", "Solo Settore", headline="")
    Profile.objects.filter(user=with_sector).update(sector=sector)

    page = bob_client.get(directory_url).content.decode()

    assert "Listata Davvero" in page
    assert "Solo Settore" in page
    assert "Mai Verificata" not in page
    assert "Profilo Vuoto" not in page
