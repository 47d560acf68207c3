"""Q&A search: within a group and across groups, never leaking closed groups.

Runs on both backends; the stemming, accent and ranking cells need PostgreSQL."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from groups.models import Group, Post


@pytest.fixture
def corpus(closed_group, open_group, alice, bob, dave):
    open_group.add_member(dave)
    return {
        "secret": Post.ask(
            closed_group, bob, title="Tariffe per il naming di una startup?", body="Riservato"
        ),
        "public": Post.ask(
            open_group, alice, title="Tariffe dei social media manager?", body="Quanto chiedete?"
        ),
        "by_answer": Post.ask(open_group, dave, title="Come iniziare?", body="Sono nuovo"),
    }


def titles(queryset):
    return {post.title for post in queryset}


def test_group_search_matches_titles_bodies_and_answers(corpus, alice):
    corpus["by_answer"].answer(alice, body="Parti dal portfolio e dalle tariffe orarie.")
    group = corpus["public"].group

    found = titles(group.posts.alive().questions().threads_matching("tariffe"))

    assert found == {"Tariffe dei social media manager?", "Come iniziare?"}


def test_deleted_posts_are_not_found(corpus, alice):
    corpus["public"].soft_delete(by=alice)

    found = Post.objects.visible_to(alice).questions().threads_matching("tariffe")

    assert titles(found) == {"Tariffe per il naming di una startup?"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("dave", {"Tariffe dei social media manager?"}),
        ("bob", {"Tariffe dei social media manager?", "Tariffe per il naming di una startup?"}),
        ("anonymous", {"Tariffe dei social media manager?"}),
    ],
)
def test_global_search_never_shows_closed_groups_to_outsiders(corpus, request, who, expected):
    client = request.getfixturevalue(f"{who}_client") if who != "anonymous" else None
    client = client or request.getfixturevalue("client")

    response = client.get(reverse("groups:search"), {"q": "tariffe"})

    assert response.status_code == 200
    shown = {post.title for post in response.context["page"]}
    assert shown == expected
    if who != "bob":
        assert b"naming" not in response.content


def test_global_search_fragment(corpus, dave_client):
    response = dave_client.get(
        reverse("groups:search"), {"q": "tariffe"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b'id="search-results"' in response.content and b"<html" not in response.content
    assert b"Copywriter Italia" not in response.content


def test_thread_search_in_a_closed_group_is_404_for_outsiders(corpus, dave_client):
    group = corpus["secret"].group

    response = dave_client.get(reverse("groups:threads", args=[group.slug]), {"q": "tariffe"})

    assert response.status_code == 404


def test_search_survives_odd_queries(corpus, bob_client):
    for query in ["", "   ", "'", '"tariffe', "!!&|", "a" * 500, "tariffe -naming", "\\"]:
        response = bob_client.get(reverse("groups:search"), {"q": query})
        assert response.status_code == 200, query


@pytest.mark.postgres
def test_postgresql_stems_and_ignores_accents(closed_group, bob, bob_client):
    Post.ask(closed_group, bob, title="Lavorare in città?", body="Cerco clienti")
    Post.ask(closed_group, bob, title="La tariffa giusta?", body="Per un articolo")

    assert titles(Post.objects.questions().threads_matching("citta")) == {"Lavorare in città?"}
    assert titles(Post.objects.questions().threads_matching("tariffe")) == {"La tariffa giusta?"}


@pytest.mark.postgres
def test_postgresql_ranks_title_matches_first(closed_group, bob, bob_client):
    Post.ask(closed_group, bob, title="Domanda generica?", body="Parlo di fatturazione elettronica")
    Post.ask(closed_group, bob, title="Fatturazione elettronica: quale software?", body="…")

    response = bob_client.get(reverse("groups:threads", args=[closed_group.slug]), {"q": "fattura"})

    assert [p.title for p in response.context["page"]] == [
        "Fatturazione elettronica: quale software?",
        "Domanda generica?",
    ]


@pytest.mark.postgres
def test_postgresql_has_the_gin_index_and_the_italian_unaccent_configuration(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'post_search_gin'")
        assert "gin (search_vector)" in cursor.fetchone()[0]
        cursor.execute("SELECT to_tsvector('gilda_italian', 'Perché più città')::text")
        assert cursor.fetchone()[0] == "'citt':3 'perc':1 'piu':2"


def test_anonymous_and_visible_to_agree_on_open_groups(corpus):
    visible = Post.objects.visible_to(AnonymousUser())

    assert {p.group_id for p in visible} == set(
        Group.objects.filter(visibility="open").values_list("pk", flat=True)
    )
