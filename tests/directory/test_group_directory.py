"""The directory filtered to one group (?gruppo=<slug>): closed groups only for their members."""

import pytest

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settled(closed_group, open_group, alice, bob, carol, dave, moderator, staff, settle):
    for user, city in [
        (alice, "Torino"),
        (bob, "Milano"),
        (carol, "Monza"),
        (dave, "Roma"),
        (moderator, "Bergamo"),
        (staff, "Napoli"),
    ]:
        settle(user, city)
    open_group.add_member(dave)
    return closed_group


@pytest.mark.parametrize("viewer", ["bob", "moderator", "alice", "staff"])
def test_members_and_staff_see_a_closed_groups_directory(
    request, settled, viewer, directory_url, cards
):
    client = request.getfixturevalue(f"{viewer}_client")
    me = request.getfixturevalue(viewer)
    for headers in ({}, HTMX):
        response = client.get(directory_url, {"gruppo": settled.slug}, headers=headers)
        assert response.status_code == 200
        listed = set(cards(response))
        members = {m.user_id for m in settled.memberships.all()} - {me.pk}
        assert listed == members
    page = client.get(directory_url, {"gruppo": settled.slug})
    assert settled.name in page.content.decode()


@pytest.mark.parametrize("viewer", ["carol", "dave"])
def test_non_members_get_404_on_a_closed_groups_directory(request, settled, viewer, directory_url):
    """Carol's request is pending, Dave is an outsider: neither may learn who is inside."""
    client = request.getfixturevalue(f"{viewer}_client")
    for params in (
        {"gruppo": settled.slug},
        {"gruppo": settled.slug, "ordine": "vicino", "raggio": "500"},
        {"gruppo": settled.slug, "pagina": "2"},
    ):
        for headers in ({}, HTMX):
            response = client.get(directory_url, params, headers=headers)
            assert response.status_code == 404
            assert b"Roberto" not in response.content
            assert b"Monica" not in response.content


def test_anonymous_visitor_is_sent_to_log_in_from_a_group_directory(client, settled, directory_url):
    response = client.get(directory_url, {"gruppo": settled.slug}, headers=HTMX)
    assert response.status_code == 302


def test_a_banned_former_member_gets_404(alice, bob, bob_client, settled, directory_url):
    settled.ban(bob, by=alice)
    assert bob_client.get(directory_url, {"gruppo": settled.slug}).status_code == 404


def test_unknown_or_malformed_group_is_404(bob_client, settled, directory_url):
    for slug in ("non-esiste", "not a slug", "x" * 500, "copy\x00writer"):
        assert bob_client.get(directory_url, {"gruppo": slug}).status_code == 404


def test_any_member_sees_an_open_groups_directory(
    dave, carol_client, settled, open_group, directory_url, cards
):
    response = carol_client.get(directory_url, {"gruppo": open_group.slug})
    assert response.status_code == 200
    assert set(cards(response)) == {open_group.creator_id, dave.pk}


def test_group_directory_keeps_the_other_filters(
    bob_client, bob, moderator, settled, directory_url, cards
):
    response = bob_client.get(
        directory_url, {"gruppo": settled.slug, "ordine": "vicino", "raggio": "50"}
    )
    # Within 50 km of Milano: the moderator (Bergamo) only; Carol (Monza) is not a member yet.
    assert cards(response) == [moderator.pk]


def test_group_facet_offers_only_the_viewers_own_groups(
    bob_client, dave_client, settled, open_group, directory_url
):
    bobs = bob_client.get(directory_url).content.decode()
    assert f'value="{settled.slug}"' in bobs
    daves = dave_client.get(directory_url).content.decode()
    assert f'value="{open_group.slug}"' in daves
    # Dave is not in the closed group: its name and address are nowhere on his page.
    assert settled.slug not in daves
    assert settled.name not in daves


def test_group_facet_shows_an_open_group_the_viewer_came_from(
    carol_client, settled, open_group, directory_url
):
    page = carol_client.get(directory_url, {"gruppo": open_group.slug}).content.decode()
    assert f'<option value="{open_group.slug}" selected>' in page
    assert settled.slug not in page  # Carol's request is still pending


def test_group_members_page_links_to_its_directory(bob_client, settled, directory_url):
    from django.urls import reverse

    page = bob_client.get(reverse("groups:members", args=[settled.slug])).content.decode()
    assert f"{directory_url}?gruppo={settled.slug}" in page
