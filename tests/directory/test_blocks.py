"""A block hides two members from each other everywhere people are listed: the directory,
the profile page and the suggestions, whichever of the two blocked."""

import pytest
from django.urls import reverse

from connections.models import Suggestion
from profiles.models import Block


@pytest.fixture(params=["alice blocks dave", "dave blocks alice"])
def blocked_pair(request, alice, dave):
    blocker, blocked = (alice, dave) if request.param.startswith("alice") else (dave, alice)
    # The identity layer's row alone, as an admin edit makes it: the reads must not depend on
    # what the connections action also cleans up.
    Block.objects.create(blocker=blocker, blocked=blocked)
    return blocker, blocked


def names_listed(client) -> str:
    return client.get(reverse("directory")).content.decode()


def test_the_directory_lists_neither_to_the_other(blocked_pair, alice_client, dave_client, bob):
    assert "Davide Ricci" not in names_listed(alice_client)
    assert "Alice Romano" not in names_listed(dave_client)
    # Others are still listed: the filter is the block, not an empty page.
    assert "Roberto Bianchi" in names_listed(alice_client)


def test_the_directory_lists_both_without_a_block(alice, dave, alice_client, dave_client):
    assert "Davide Ricci" in names_listed(alice_client)
    assert "Alice Romano" in names_listed(dave_client)


def test_each_profile_is_404_to_the_other(blocked_pair, alice, dave, alice_client, dave_client):
    assert alice_client.get(reverse("profile_detail", args=[dave.pk])).status_code == 404
    assert dave_client.get(reverse("profile_detail", args=[alice.pk])).status_code == 404


def test_a_stored_suggestion_across_a_block_is_not_shown(
    blocked_pair, alice, dave, alice_client, dave_client
):
    Suggestion.objects.create(user=alice, candidate=dave, rank=1, mutual_count=3)
    Suggestion.objects.create(user=dave, candidate=alice, rank=1, mutual_count=3)

    def suggested(client) -> str:
        response = client.get(
            reverse("connections:network"), {"part": "suggestions"}, headers={"HX-Request": "true"}
        )
        return response.content.decode()

    assert "Davide Ricci" not in suggested(alice_client)
    assert "Alice Romano" not in suggested(dave_client)


def test_a_stored_suggestion_without_a_block_is_shown(alice, dave, alice_client):
    Suggestion.objects.create(user=alice, candidate=dave, rank=1, mutual_count=3)
    response = alice_client.get(
        reverse("connections:network"), {"part": "suggestions"}, headers={"HX-Request": "true"}
    )
    assert "Davide Ricci" in response.content.decode()


# Group member lists and search (issue 19, item 7) ------------------------------------------


@pytest.fixture
def shared_group(open_group, bob, dave):
    open_group.add_member(bob)
    open_group.add_member(dave)
    return open_group


def members_page(client, group) -> str:
    return client.get(reverse("groups:members", args=[group.slug])).content.decode()


def test_a_group_member_list_hides_a_blocked_member_both_ways(
    shared_group, bob, dave, bob_client, dave_client, alice_client
):
    Block.objects.create(blocker=bob, blocked=dave)

    assert "Davide Ricci" not in members_page(bob_client, shared_group)
    assert "Roberto Bianchi" not in members_page(dave_client, shared_group)
    # Others still see both; the owner, who moderates, sees everyone.
    assert "Davide Ricci" in members_page(alice_client, shared_group)
    assert "Roberto Bianchi" in members_page(alice_client, shared_group)


def test_a_group_member_list_shows_both_without_a_block(shared_group, bob_client):
    assert "Davide Ricci" in members_page(bob_client, shared_group)


def search_page(client, text: str) -> str:
    return client.get(reverse("groups:search"), {"q": text}).content.decode()


def test_search_leaves_out_questions_by_a_blocked_member(shared_group, bob, dave, bob_client):
    from groups.models import Post

    Post.ask(shared_group, dave, title="Fatturazione elettronica per freelance?", body="Come?")
    assert "Fatturazione elettronica" in search_page(bob_client, "Fatturazione")

    Block.objects.create(blocker=dave, blocked=bob)

    assert "Fatturazione elettronica" not in search_page(bob_client, "Fatturazione")
