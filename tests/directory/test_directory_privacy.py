"""Hidden data stays out of the directory, for every viewer role, in pages and fragments.

Carol lives in Sondrio but shows only "Lombardia": her city must not appear, and her distance
is measured from the region's centre, never from Sondrio.
"""

import pytest

from groups.views.directory import city_suggestions
from profiles import gazetteer

HIDDEN_CITY = "Sondrio"
VIEWERS = ["alice", "bob", "dave", "moderator", "staff"]
PARAMS = [
    {},
    {"ordine": "vicino"},
    {"ordine": "vicino", "raggio": "500"},
    {"ordine": "attivi"},
    {"citta": "Milano", "raggio": "200"},
    {"citta": "Bergamo"},
    {"q": "Traduttrice"},
    {"gruppo": "copywriter-italia"},
    {"gruppo": "copywriter-italia", "ordine": "vicino", "raggio": "500"},
    {"pagina": "1", "raggio": "abc"},
]


@pytest.fixture
def region_only_carol(closed_group, alice, bob, carol, dave, moderator, staff, settle):
    settle(carol, HIDDEN_CITY, region_only=True, headline="Traduttrice tecnica")
    for user, city in [
        (alice, "Torino"),
        (bob, "Milano"),
        (dave, "Bergamo"),
        (moderator, "Brescia"),
        (staff, "Pavia"),
    ]:
        settle(user, city)
    closed_group.add_member(carol)
    return carol


def test_the_hidden_city_is_not_a_suggestion_either():
    assert HIDDEN_CITY not in city_suggestions()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_region_only_city_never_reaches_the_directory(
    request, region_only_carol, viewer, directory_url, cards
):
    client = request.getfixturevalue(f"{viewer}_client")
    shown = 0
    for params in PARAMS:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(directory_url, params, headers=headers)
            if response.status_code == 404:
                assert viewer == "dave" and "gruppo" in params
                continue
            assert response.status_code == 200
            html = response.content.decode()
            assert HIDDEN_CITY not in html
            assert "sondrio" not in html.lower()
            if region_only_carol.pk in cards(response):
                shown += 1
                assert "Lombardia" in html
    assert shown >= 8  # she was listed, just without her city


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_region_only_distance_is_from_the_region_centre(
    request, region_only_carol, viewer, directory_url, cards, distances
):
    client = request.getfixturevalue(f"{viewer}_client")
    me = request.getfixturevalue(viewer).profile
    response = client.get(directory_url, {"ordine": "vicino", "raggio": "500"})
    listed = cards(response)
    shown = distances(response)[listed.index(region_only_carol.pk)]
    centre = gazetteer.region_centroid("IT", "Lombardia")
    sondrio = gazetteer.find(HIDDEN_CITY)
    from_centre = gazetteer.distance_km(me.latitude, me.longitude, *centre)
    from_city = gazetteer.distance_km(
        me.latitude, me.longitude, sondrio.latitude, sondrio.longitude
    )
    assert shown.startswith("≈")
    assert int(shown.split()[1]) == round(from_centre)
    assert abs(from_city - from_centre) > 2  # the test would notice the city being used


def test_a_small_radius_around_the_hidden_city_does_not_find_her(
    bob_client, region_only_carol, directory_url, cards
):
    response = bob_client.get(directory_url, {"citta": HIDDEN_CITY, "raggio": "10"})
    assert region_only_carol.pk not in cards(response)
    around_centre = bob_client.get(directory_url, {"citta": "Monza", "raggio": "25"})
    assert region_only_carol.pk in cards(around_centre)


def test_members_without_a_place_show_no_place_and_no_distance(
    bob_client, region_only_carol, dave, directory_url, settle, cards, distances
):
    settle(dave, None)
    response = bob_client.get(directory_url)
    listed = cards(response)
    assert dave.pk in listed
    assert len(distances(response)) == len(listed) - 1


def test_closed_group_names_are_absent_for_outsiders_on_every_variant(
    dave_client, region_only_carol, closed_group, directory_url
):
    for params in PARAMS:
        if "gruppo" in params:
            continue
        html = dave_client.get(directory_url, params).content.decode()
        assert closed_group.name not in html
        assert closed_group.slug not in html
