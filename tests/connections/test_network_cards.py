"""My network caches each card (a connection, a request either way, a suggestion) under what
it shows (connections.views.network, groups.fragments.prefetch_keyed): read back on the next
view, never stale after the member it shows edits their profile, and never another viewer's
card where the two would see it differently."""

import pytest

from connections.models import Suggestion
from profiles.models import Profile

NETWORK = "/rete/"


@pytest.fixture(autouse=True)
def rendered_network(settings):
    """The page itself is not kept (tests/connections/test_member_pages.py covers that): each
    view renders, from the cached cards."""
    settings.MEMBER_PAGE_SECONDS = 0


@pytest.fixture
def network_of_dave(dave, alice, bob, carol, erin, connect, request_from):
    """Dave: connected with Alice, a request from Bob, one sent to Carol, Erin suggested."""
    connect(dave, alice)
    request_from(bob, dave, "Ciao Davide!")
    request_from(dave, carol, "Ciao Carolina!")
    Suggestion.objects.create(user=dave, candidate=erin, rank=1, shared_groups=1)


def cards(response) -> list:
    return [
        *response.context["page"]().object_list,
        *response.context["incoming"](),
        *response.context["outgoing"](),
        *response.context["suggestions"](),
    ]


def test_the_second_view_reads_every_card_from_the_cache(
    dave_client, network_of_dave, without_tokens
):
    first = dave_client.get(NETWORK)
    second = dave_client.get(NETWORK)

    assert len(cards(first)) == 4
    assert all(card.cached_fragment is None for card in cards(first))  # rendered, then kept
    assert all(card.cached_fragment for card in cards(second))
    assert without_tokens(first) == without_tokens(second)


def test_the_csrf_token_of_a_cached_card_is_the_viewers_own(dave_client, network_of_dave):
    dave_client.get(NETWORK)
    second = dave_client.get(NETWORK)

    html = second.content.decode()
    assert 'data-testid="accept"' in html and 'data-testid="remove-connection"' in html
    assert "gildacsrf0placeholder" not in html
    assert html.count(f'value="{second.context["csrf_token"]}"') >= 4


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "erin"])
def test_an_edit_by_the_member_a_card_shows_is_seen_at_once(
    request, dave_client, network_of_dave, who
):
    member = request.getfixturevalue(who)
    dave_client.get(NETWORK)

    Profile.objects.filter(user=member).update(headline=f"Nuovo titolo di {who}")
    after = dave_client.get(NETWORK)

    assert f"Nuovo titolo di {who}" in after.content.decode()


def test_a_member_is_a_connection_card_to_one_viewer_and_a_suggestion_to_another(
    dave_client, erin_client, network_of_dave, dave, erin, alice, connect
):
    connect(erin, alice)
    Suggestion.objects.create(user=erin, candidate=dave, rank=1, mutual_count=1)
    dave_client.get(NETWORK)  # Dave's cards: Alice connected

    erin_page = erin_client.get(NETWORK).content.decode()
    connections = erin_page.split('data-testid="connection-list"')[1].split("</ul>")[0]
    suggestions = erin_page.split('data-testid="suggestions"')[1].split("</section>")[0]

    assert alice.name in connections and 'data-testid="remove-connection"' in connections
    assert dave.name in suggestions and 'data-testid="connect"' in suggestions
    assert 'data-testid="remove-connection"' not in suggestions
