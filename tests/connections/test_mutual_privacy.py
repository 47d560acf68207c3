"""Connections in common honour "who sees my connections" (issue 19, item 5): on the profile,
the connect page and the suggestions' explanations, a member who shows their connections to
nobody has at most a count left; and someone who hides their own is never named."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from connections import network
from connections.models import Suggestion
from profiles.models import Profile

NAME = "Alice Romano"


def hide(user, visibility: str = "nobody") -> None:
    Profile.objects.filter(user=user).update(connections_visibility=visibility)


@pytest.fixture
def common(dave, erin, alice, connect):
    """Alice is connected to both Dave (the viewer) and Erin (the member he looks at)."""
    connect(dave, alice)
    connect(erin, alice)
    return alice


def profile_page(client, member) -> str:
    return client.get(reverse("profile_detail", args=[member.pk])).content.decode()


def connect_page(client, member) -> str:
    return client.get(reverse("connections:connect", args=[member.pk])).content.decode()


def mutual_line(html: str) -> str:
    match = re.search(r'<p[^>]*data-testid="mutual"[^>]*>.*?</p>', html, re.S)
    assert match, "no connections-in-common line"
    return match.group(0)


def explanation(viewer, candidate) -> str:
    Suggestion.objects.create(user=viewer, candidate=candidate, rank=1, mutual_count=1)
    [suggestion] = network.explained(viewer, network.suggestions_for(viewer))
    return suggestion.explanation


def test_a_member_who_shows_connections_to_all_shows_the_names_in_common(
    dave_client, dave, erin, common
):
    assert NAME in profile_page(dave_client, erin)
    assert NAME in connect_page(dave_client, erin)
    assert NAME in explanation(dave, erin)


def test_only_me_hides_the_names_in_common_on_the_profile_leaving_the_count(
    dave_client, erin, common
):
    hide(erin)

    html = profile_page(dave_client, erin)

    assert NAME not in html
    assert "1 connessione in comune" in html


def test_only_me_hides_the_names_in_common_on_the_connect_page(dave_client, erin, common):
    hide(erin)

    html = connect_page(dave_client, erin)

    assert NAME not in html
    assert "1 connessione in comune" in html


def test_only_me_hides_the_names_in_common_in_a_suggestion(dave, erin, common):
    hide(erin)

    text = explanation(dave, erin)

    assert NAME not in text
    assert text.startswith("1 ")


@pytest.mark.parametrize("visibility", ["connections", "nobody"])
def test_a_suggestion_never_names_the_connections_of_someone_not_yet_connected(
    dave, erin, common, visibility
):
    hide(erin, visibility)

    assert NAME not in explanation(dave, erin)


def test_someone_who_hides_their_own_connections_is_never_named_in_common(
    dave_client, dave, erin, common
):
    hide(common)

    # Erin's own list may still show Alice (Erin shows hers to all); "in common" does not.
    assert NAME not in mutual_line(profile_page(dave_client, erin))
    assert NAME not in mutual_line(connect_page(dave_client, erin))
    assert NAME not in explanation(dave, erin)


def test_the_setting_says_what_remains(erin):
    with translation.override("en"):
        help_text = str(Profile._meta.get_field("connections_visibility").help_text)

    assert "at most how many you have in common" in help_text
