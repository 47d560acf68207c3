"""Pinned query counts on the Q&A pages: the same at 5 and at 200 posts."""

import pytest
from django.urls import reverse

from groups.models import Comment, Post, Vote

pytestmark = pytest.mark.usefixtures("rendered_pages")


def many_answers(question, people):
    answers = Post.objects.bulk_create(
        Post(
            group=question.group,
            question=question,
            kind="answer",
            author=person,
            body=f"Risposta **{index}**",
            body_html=f"<p>Risposta <strong>{index}</strong></p>",
            score=index % 3,
        )
        for index, person in enumerate(people)
    )
    Post.objects.filter(pk=question.pk).update(answer_count=len(answers))
    Comment.objects.bulk_create(
        Comment(post=answer, author=answer.author, body="Grazie", body_html="<p>Grazie</p>")
        for answer in answers
    )
    return answers


@pytest.mark.parametrize("size", [5, 200])
def test_thread_page_queries(
    bob_client, bob, question, password_hash, size, django_assert_num_queries, crowd
):
    people = crowd(size)
    for person in people:
        question.group.add_member(person)
    answers = many_answers(question, people)
    Vote.objects.bulk_create(Vote(post=a, user=bob, value=1) for a in answers)

    # user, group with bob's seat, question, answer count, page of answers with authors,
    # comments with authors, bob's blocks, bob's votes, bob's watch, badge
    with django_assert_num_queries(10):
        response = bob_client.get(reverse("groups:thread", args=[question.group.slug, question.pk]))

    assert response.status_code == 200
    assert response.content.count(b'data-testid="answer"') == min(size, 30)
    assert response.content.count(b'data-testid="comment"') == min(size, 30)


@pytest.mark.parametrize("size", [5, 200])
def test_thread_list_queries(bob_client, bob, alice, closed_group, size, django_assert_num_queries):
    questions = Post.objects.bulk_create(
        Post(group=closed_group, kind="question", author=bob, title=f"Domanda {i}?", body="…")
        for i in range(size)
    )
    for question in questions[:3]:
        question.answer(alice, body="Risposta")

    # user, group with bob's seat, count, page of threads with authors, badge
    with django_assert_num_queries(5):
        response = bob_client.get(reverse("groups:threads", args=[closed_group.slug]))

    assert response.status_code == 200
    assert response.content.count(b'data-testid="thread-row"') == min(size, 20)


@pytest.mark.parametrize("size", [5, 200])
def test_group_page_queries_with_threads(
    bob_client, bob, alice, closed_group, size, django_assert_num_queries
):
    questions = Post.objects.bulk_create(
        Post(group=closed_group, kind="question", author=bob, title=f"Domanda {i}?", body="…")
        for i in range(size)
    )
    questions[0].answer(alice, body="Risposta")

    # user, group with bob's seat, recent members, recent threads, unanswered count,
    # most active members, upcoming events, badge
    with django_assert_num_queries(8):
        response = bob_client.get(closed_group.get_absolute_url())

    assert response.status_code == 200
    assert response.content.count(b'data-testid="thread-row"') == 5
    assert f"{size - 1} domande aspettano".encode() in response.content


@pytest.mark.parametrize("size", [5, 200])
def test_search_page_queries(
    bob_client, bob, closed_group, open_group, size, django_assert_num_queries
):
    Post.objects.bulk_create(
        Post(group=group, kind="question", author=bob, title=f"Tariffe {i}?", body="…")
        for i in range(size)
        for group in (closed_group, open_group)
    )
    Post.objects.update_search_vectors()  # bulk_create skips save(); no-op on SQLite

    # user, count, page of threads with authors and groups, badge
    with django_assert_num_queries(4):
        response = bob_client.get(reverse("groups:search"), {"q": "Tariffe"})

    assert response.status_code == 200
    assert response.content.count(b'data-testid="thread-row"') == min(2 * size, 20)
