"""Each hot query of issue 12 starts from its index on PostgreSQL. The test tables are tiny,
so plain scans and sorts are forbidden for the EXPLAIN: what is asserted is that an index
fitting the query exists and the planner can use it, by name."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.compiled import SENTINELS
from connections.context_processors import BADGE_COUNTS, NavCounts
from groups.models import GroupActivity, most_active_members

pytestmark = pytest.mark.postgres


def plan_of(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_navigation_badges_read_their_partial_indexes(dave):
    with CaptureQueriesContext(connection) as queries:
        assert NavCounts(dave).counts["unread"] == 0
    assert len(queries.captured_queries) == 1
    # A prepared statement (config.compiled): its SQL, explained with dave's id.
    sql, params, *_ = BADGE_COUNTS._sql(connection.vendor)
    plan = plan_of(sql, [dave.pk if param == SENTINELS[0] else param for param in params])
    assert "notification_unread_idx" in plan
    assert "connreq_incoming_idx" in plan


def test_directory_newest_first_walks_the_newest_index(bob_client):
    with CaptureQueriesContext(connection) as queries:
        assert bob_client.get(reverse("directory")).status_code == 200
    page_sql = next(
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "profiles_profile"' in q["sql"]
        and 'ORDER BY "profiles_profile"."created_at" DESC' in q["sql"]
    )
    assert "profile_newest_idx" in plan_of(page_sql)


def test_most_active_members_read_the_roll_up_leaders_from_its_index(closed_group):
    GroupActivity.rebuild()
    with CaptureQueriesContext(connection) as queries:
        most_active_members(closed_group)
    assert "groupactivity_top_idx" in plan_of(queries.captured_queries[0]["sql"])


def test_a_groups_search_walks_its_newest_posts(closed_group, bob):
    from groups.models import Post

    Post.ask(closed_group, bob, title="Un progetto?", body="Il progetto del cliente.")
    with CaptureQueriesContext(connection) as queries:
        closed_group.posts.all().thread_ranks("progetto")
    (query,) = queries.captured_queries
    assert "post_group_newest_idx" in plan_of(query["sql"])


def test_the_thread_lists_pager_counts_from_the_live_questions_index(closed_group, bob, bob_client):
    from groups.models import Post

    Post.ask(closed_group, bob, title="Un progetto?", body="Il progetto del cliente.")
    url = reverse("groups:threads", args=[closed_group.slug])
    with CaptureQueriesContext(connection) as queries:
        response = bob_client.get(url)
    assert response.status_code == 200
    assert "Un progetto?" in response.text
    (count_sql,) = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert "post_live_questions_idx" in plan_of(count_sql)


@pytest.mark.django_db
def test_queries_are_never_planned_in_parallel():
    """The site's queries share few cores: no parallel workers (settings, DB_PARALLEL_WORKERS)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


def test_a_thread_list_probes_each_rows_accepted_answer_by_its_index(
    closed_group, bob, alice, bob_client
):
    from groups.models import Post

    for number in range(3):
        question = Post.ask(closed_group, bob, title=f"Domanda {number}?", body="Chi sa?")
        answer = question.answer(alice, body="Io.")
    question.accept(answer, by=bob)
    with CaptureQueriesContext(connection) as queries:
        response = bob_client.get(reverse("groups:threads", args=[closed_group.slug]))
    assert response.status_code == 200
    assert response.content.count(b"stat-accepted") == 1
    rows_sql = next(
        q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]
    )
    plan = plan_of(rows_sql)
    # A subplan run per row shown, from an index on the question: never one hashed over every
    # accepted answer of the site, which PostgreSQL chose for an EXISTS on seed-large (these
    # tiny tables cannot show that choice; groups.models.qa.PostQuerySet.with_accepted_flag).
    assert "Index Cond: (question_id = groups_post.id)" in plan
    assert "hashed" not in plan.lower()
