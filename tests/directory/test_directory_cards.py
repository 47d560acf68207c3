"""The directory caches each member's card under what it shows (groups.views.directory
.card_signature): read back on the next view, never stale after the member edits their
profile, and never another viewer's distance or another sort's points."""

import re

import pytest

from profiles.models import Profile


def km_to(member, response) -> int:
    """The distance shown on the member's card."""
    card = response.content.decode().split(f'data-member="{member.pk}"')[1].split("</article>")[0]
    return int(re.search(r'data-testid="distance"[^>]*>(?:≈ )?(\d+)', card).group(1))


@pytest.fixture(autouse=True)
def rendered_directory(settings):
    """The page itself is not kept (tests/connections/test_member_pages.py covers that)."""
    settings.MEMBER_PAGE_SECONDS = 0


def test_the_second_view_reads_every_card_from_the_cache(
    bob_client, town, directory_url, without_tokens
):
    first = bob_client.get(directory_url)
    second = bob_client.get(directory_url)

    assert len(first.context["page"].object_list) == 3
    assert all(card.cached_fragment is None for card in first.context["page"].object_list)
    assert all(card.cached_fragment for card in second.context["page"].object_list)
    assert without_tokens(second) == without_tokens(first)


def test_an_edit_of_the_member_shows_at_once(bob_client, town, directory_url):
    bob_client.get(directory_url)
    Profile.objects.filter(user=town["carol"]).update(headline="Interprete di conferenza")
    town["carol"].profile.skills.create(name="Tedesco giuridico", slug="tedesco-giuridico")

    after = bob_client.get(directory_url).content.decode()

    assert "Interprete di conferenza" in after and "Tedesco giuridico" in after
    assert "Traduttrice tecnica" not in after


def test_each_viewer_sees_their_own_distance(bob_client, dave_client, town, directory_url):
    from_milano = bob_client.get(directory_url, {"ordine": "recenti"})
    from_roma = dave_client.get(directory_url, {"ordine": "recenti"})

    # Carol lives in Monza: about 15 km from Bob in Milano, about 480 km from Dave in Roma.
    assert 10 <= km_to(town["carol"], from_milano) <= 20
    assert 470 <= km_to(town["carol"], from_roma) <= 490


def test_points_show_only_on_the_list_by_activity(bob_client, town, directory_url):
    bob_client.get(directory_url, {"ordine": "recenti"})

    by_activity = bob_client.get(directory_url, {"ordine": "attivi"}).content.decode()
    newest = bob_client.get(directory_url, {"ordine": "recenti"}).content.decode()

    assert 'data-testid="activity"' in by_activity
    assert 'data-testid="activity"' not in newest
