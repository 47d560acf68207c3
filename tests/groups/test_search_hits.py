"""Search across groups shares each scope's hits between its readers (groups.shared.search_ranks):
the open groups' hits, each closed group's. A closed group's hits never reach a non-member,
a withdrawal reaches every reader at once, a member finds what they just wrote or edited at
once, what others post within SHARED_PAGE_SECONDS, and with Redis down every search is live.

The requests carry HX-Request, which runs the view every time (no shared copy of the page):
these tests are about the hits under it."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from groups.models import Post
from groups.shared import search_ranks

HTMX = {"HX-Request": "true"}


@pytest.fixture
def corpus(closed_group, open_group, alice, bob, dave):
    open_group.add_member(dave)
    return {
        "secret": Post.ask(closed_group, bob, title="Naming riservato?", body="Tariffe interne"),
        "public": Post.ask(open_group, alice, title="Tariffe dei copy?", body="Quanto chiedete?"),
    }


def shown(client, query: str) -> set[str]:
    response = client.get(reverse("groups:search"), {"q": query}, headers=HTMX)
    assert response.status_code == 200
    return {post.title for post in response.context["page"]}


def ranks_for(user, query: str) -> list[int]:
    request = RequestFactory().get("/gruppi/cerca/", {"q": query})
    request.user = user
    return search_ranks(request, query)


def test_a_second_reader_of_the_same_scopes_reads_no_hits(corpus, django_assert_num_queries):
    assert ranks_for(AnonymousUser(), "tariffe") == [corpus["public"].pk]

    with django_assert_num_queries(0):
        assert ranks_for(AnonymousUser(), "tariffe") == [corpus["public"].pk]


def test_a_closed_groups_hits_never_reach_a_non_member(corpus, bob_client, dave_client, client):
    both = {"Naming riservato?", "Tariffe dei copy?"}
    assert shown(bob_client, "tariffe") == both  # the closed group's hits are kept now

    assert shown(dave_client, "tariffe") == {"Tariffe dei copy?"}
    assert shown(client, "tariffe") == {"Tariffe dei copy?"}
    assert shown(dave_client, "naming") == set()


def test_a_member_who_leaves_a_closed_group_stops_finding_its_threads(corpus, bob, bob_client):
    group = corpus["secret"].group
    assert "Naming riservato?" in shown(bob_client, "tariffe")

    bob_client.post(reverse("groups:leave", args=[group.slug]))

    assert not group.memberships.filter(user=bob).exists()
    assert shown(bob_client, "tariffe") == {"Tariffe dei copy?"}


def test_a_withdrawn_post_leaves_every_readers_hits_at_once(corpus, alice, dave):
    assert ranks_for(dave, "tariffe") == [corpus["public"].pk]

    corpus["public"].soft_delete(by=alice)

    assert ranks_for(dave, "tariffe") == []


def test_the_writer_finds_their_question_at_once_and_others_within_the_shared_time(
    corpus, open_group, alice_client, dave_client, settings
):
    settings.SHARED_PAGE_SECONDS = 1  # Redis expires keys by its own clock: a short wait
    assert shown(dave_client, "logo") == set()  # empty hits, kept for everyone
    ask = reverse("groups:ask", args=[open_group.slug])

    alice_client.post(ask, {"title": "Un logo per il mio studio?", "body": "Consigli?"})

    assert shown(alice_client, "logo") == {"Un logo per il mio studio?"}
    assert shown(dave_client, "logo") == set()
    time.sleep(1.1)
    assert shown(dave_client, "logo") == {"Un logo per il mio studio?"}


def test_the_writers_edit_that_no_longer_matches_leaves_their_results_at_once(
    corpus, alice_client, dave
):
    public = corpus["public"]
    assert ranks_for(dave, "tariffe") == [public.pk]  # kept with the old text
    edit = reverse("groups:post_edit", args=[public.group.slug, public.pk])

    response = alice_client.post(edit, {"title": "Prezzi dei copy?", "body": "Quanto chiedete?"})

    assert response.status_code == 302
    assert shown(alice_client, "tariffe") == {"Naming riservato?"}  # her closed group's
    assert "Prezzi dei copy?" in shown(alice_client, "prezzi")


def test_with_redis_down_every_search_is_live(corpus, unreachable_redis, bob_client, dave_client):
    assert shown(bob_client, "tariffe") == {"Naming riservato?", "Tariffe dei copy?"}
    assert shown(dave_client, "tariffe") == {"Tariffe dei copy?"}
    assert unreachable_redis()
