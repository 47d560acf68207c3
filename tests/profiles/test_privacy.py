"""What each viewer may see on a profile, in full pages and in every htmx fragment."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.views.profiles import PARTS
from profiles.models import Profile

HX = {"HTTP_HX_REQUEST": "true"}
FRAGMENT_URLS = [f"?part={part}" for part in PARTS] + [
    "?edit=location",
    "?edit=location&part=place-results&place_query=Lod",
    "?edit=about",
    "?edit=avatar&part=header",
]


@pytest.fixture
def viewers(region_only_alice, bob_client, dave_client, staff_client, alice_client, closed_group):
    # bob shares alice's closed group; dave is a member of nothing; staff see everything.
    return {"owner": alice_client, "bob": bob_client, "dave": dave_client, "staff": staff_client}


def pages_for(client, user):
    base = user.get_absolute_url()
    yield "page", client.get(base).content.decode()
    for suffix in FRAGMENT_URLS:
        response = client.get(base + suffix, **HX)
        assert response.status_code == 200, suffix
        yield suffix, response.content.decode()


@pytest.mark.parametrize("viewer", ["bob", "dave", "staff"])
def test_region_only_city_is_absent_for_every_other_viewer(viewers, region_only_alice, viewer):
    seen = list(pages_for(viewers[viewer], region_only_alice))
    for where, html in seen:
        assert "Lodi" not in html, where
        assert "45.3" not in html and "9.50" not in html, where
    assert any("Lombardia" in html for _where, html in seen)


def test_the_owner_sees_their_own_city(viewers, region_only_alice):
    html = viewers["owner"].get(region_only_alice.get_absolute_url()).content.decode()
    assert "Lodi, Lombardia" in html
    assert 'data-testid="region-only-note"' in html


def test_a_city_member_shows_the_city_to_others(viewers, region_only_alice):
    region_only_alice.profile.location_visibility = Profile.LocationVisibility.CITY
    region_only_alice.profile.save()
    html = viewers["dave"].get(region_only_alice.get_absolute_url()).content.decode()
    assert "Lodi" in html


@pytest.mark.parametrize("viewer, sees_closed", [("bob", True), ("staff", True), ("dave", False)])
def test_closed_groups_show_only_to_their_members(
    viewers, region_only_alice, open_group, viewer, sees_closed
):
    for where, html in pages_for(viewers[viewer], region_only_alice):
        if where == "page":
            assert ("Copywriter Italia" in html) == sees_closed
        if not sees_closed:
            assert "Copywriter Italia" not in html and "copywriter-italia" not in html, where
    groups = viewers[viewer].get(region_only_alice.get_absolute_url() + "?part=groups", **HX)
    assert "Social media manager" in groups.content.decode()


def test_shared_groups_are_marked_for_members_who_share_them(viewers, region_only_alice):
    html = viewers["bob"].get(region_only_alice.get_absolute_url()).content.decode()
    assert 'data-testid="shared-group"' in html


def test_anonymous_visitors_get_nothing_from_pages_or_fragments(client, region_only_alice):
    base = region_only_alice.get_absolute_url()
    for suffix in ["", *FRAGMENT_URLS]:
        response = client.get(base + suffix, **HX)
        assert response.status_code == 302, suffix
        assert "Lombardia" not in response.content.decode()


def test_privacy_and_completeness_are_for_the_owner_only(viewers, region_only_alice):
    for viewer in ["bob", "dave", "staff"]:
        for where, html in pages_for(viewers[viewer], region_only_alice):
            assert 'data-testid="completeness"' not in html, (viewer, where)
            assert 'id="privacy"' not in html, (viewer, where)
            assert 'name="section"' not in html, (viewer, where)


# visible_to and is_visible_to agree --------------------------------------------------------


# Each example starts by deleting every user, so the function-scoped fixture is harmless.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    active=st.lists(st.booleans(), min_size=1, max_size=5),
    viewer_index=st.integers(0, 5),
    blocks=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=6),
)
def test_visible_to_agrees_with_is_visible_to(
    make_user, active, viewer_index, blocks, django_user_model
):
    from django.contrib.auth.models import AnonymousUser

    from profiles.models import Block

    django_user_model.objects.all().delete()
    users = [
        make_user(f"u{index}@example.com", is_active=flag) for index, flag in enumerate(active)
    ]
    pairs = {(a, b) for a, b in blocks if a != b and a < len(users) and b < len(users)}
    for a, b in pairs:
        Block.objects.create(blocker=users[a], blocked=users[b])
    viewer = users[viewer_index] if viewer_index < len(users) else AnonymousUser()

    # Independently: active members, minus anyone with a block either way with the viewer.
    expected = set()
    if viewer.is_authenticated:
        me = users.index(viewer)
        expected = {
            users[index].profile
            for index, flag in enumerate(active)
            if flag and (me, index) not in pairs and (index, me) not in pairs
        }
    listed = set(Profile.objects.visible_to(viewer))
    assert listed == expected
    assert {p for p in Profile.objects.all() if p.is_visible_to(viewer)} == expected
