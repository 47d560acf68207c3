"""Search starts from the full-text index and stops at SEARCH_CAP threads (issue 12)."""

import pytest
from django.db import connection
from django.urls import reverse

from groups.models import Post


@pytest.fixture
def many(open_group, closed_group, alice, bob, dave):
    open_group.add_member(dave)
    public = [
        Post.ask(open_group, alice, title=f"Preventivo numero {i}?", body="Un preventivo")
        for i in range(5)
    ]
    secret = Post.ask(closed_group, bob, title="Preventivo riservato?", body="Solo membri")
    return public, secret


def test_thread_ranks_lists_each_thread_once_and_answers_lead_to_their_thread(
    open_group, alice, dave
):
    open_group.add_member(dave)
    question = Post.ask(open_group, alice, title="Come iniziare?", body="Sono nuova")
    question.answer(dave, body="Con un preventivo chiaro.")
    question.answer(dave, body="E un altro preventivo.")

    assert open_group.posts.thread_ranks("preventivo") == [question.pk]


def test_thread_ranks_leave_out_answers_of_deleted_questions(open_group, alice, dave):
    open_group.add_member(dave)
    question = Post.ask(open_group, alice, title="Come iniziare?", body="Sono nuova")
    question.answer(dave, body="Con un preventivo chiaro.")
    question.soft_delete(by=alice)

    assert open_group.posts.thread_ranks("preventivo") == []


def test_global_search_says_when_it_stops_at_the_cap(many, dave_client, monkeypatch):
    monkeypatch.setattr("groups.models.qa.SEARCH_CAP", 3)
    monkeypatch.setattr("groups.views.qa.SEARCH_CAP", 3)

    response = dave_client.get(reverse("groups:search"), {"q": "preventivo"})

    assert response.status_code == 200
    assert len(response.context["page"]) == 3
    assert response.context["capped"] is True
    assert b'data-testid="search-capped"' in response.content
    assert b"riservato" not in response.content


def test_a_search_under_the_cap_says_nothing_about_it(many, bob_client):
    response = bob_client.get(reverse("groups:search"), {"q": "preventivo"})

    shown = {post.title for post in response.context["page"]}
    assert "Preventivo riservato?" in shown and len(shown) == 6
    assert b'data-testid="search-capped"' not in response.content


def test_thread_list_search_in_another_order_keeps_to_the_matches(
    many, open_group, dave, dave_client
):
    Post.ask(open_group, dave, title="Altro tema?", body="Niente")
    url = reverse("groups:threads", args=[open_group.slug])

    response = dave_client.get(url, {"q": "preventivo", "ordine": "newest"})

    titles = [post.title for post in response.context["page"]]
    assert titles == [f"Preventivo numero {i}?" for i in reversed(range(5))]


@pytest.mark.parametrize("extra", [0, 30])
def test_search_query_count_is_flat(
    many, open_group, alice, dave_client, extra, django_assert_num_queries, rendered_pages
):
    for i in range(extra):
        Post.ask(open_group, alice, title=f"Altro preventivo {i}?", body="…")
    # user, the ranked ids, the page's threads, the badges
    with django_assert_num_queries(4):
        response = dave_client.get(reverse("groups:search"), {"q": "preventivo"})
    assert response.status_code == 200


@pytest.mark.postgres
def test_postgresql_search_plan_starts_from_the_gin_index(many, open_group):
    # The match itself: a tiny table would be read whole, so forbid the plain scans.
    hits = Post.objects.search("preventivo").values_list("pk", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = hits.explain()
    assert "post_search_gin" in plan


@pytest.mark.postgres
def test_postgresql_most_active_plan_uses_the_recent_posts_index(many, open_group):
    from django.utils import timezone

    from groups.models import most_active_members

    recent = Post.objects.filter(
        group=open_group, deleted_at__isnull=True, created_at__gte=timezone.now()
    )
    with connection.cursor() as cursor:
        # With statistics the planner sees the date bound is selective; without them, any
        # index on the group ties with this one on the tiny test table.
        cursor.execute("ANALYZE groups_post")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = recent.explain()
    assert "post_group_recent_idx" in plan
    assert most_active_members(open_group)
