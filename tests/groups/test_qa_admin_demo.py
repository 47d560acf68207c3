"""Q&A in the admin and in the demo data."""

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from groups.models import Comment, Post, Vote


@pytest.mark.parametrize("model", ["question", "answer", "comment", "vote"])
def test_admin_changelists_search_and_filters(staff_client, answer, model):
    answer.comment(answer.question.author, body="Grazie mille")
    answer.report(answer.question.author, reason="spam")
    answer.vote(answer.question.author, 1)
    url = reverse(f"admin:groups_{model}_changelist")

    listing = staff_client.get(url)
    searched = staff_client.get(url, {"q": "verifiche"})

    assert listing.status_code == searched.status_code == 200
    assert listing.context["cl"].result_count == 1
    if model == "answer":
        assert searched.context["cl"].result_count == 1
    if model == "question":
        assert staff_client.get(url, {"deleted": "yes"}).context["cl"].result_count == 0


def test_admin_lists_questions_and_answers_apart(staff_client, answer):
    questions = staff_client.get(reverse("admin:groups_question_changelist"))
    answers = staff_client.get(reverse("admin:groups_answer_changelist"))

    assert [p.pk for p in questions.context["cl"].result_list] == [answer.question_id]
    assert [p.pk for p in answers.context["cl"].result_list] == [answer.pk]


def test_admin_soft_delete_action(staff_client, staff, answer):
    response = staff_client.post(
        reverse("admin:groups_answer_changelist"),
        {"action": "soft_delete_selected", "_selected_action": [answer.pk]},
    )

    answer.refresh_from_db()
    answer.question.refresh_from_db()
    assert response.status_code == 302
    assert answer.deleted_by == staff
    assert answer.question.answer_count == 0


def test_votes_cannot_be_edited_in_the_admin(staff_client, answer, bob):
    answer.vote(bob, 1)
    vote = Vote.objects.get()

    response = staff_client.post(
        reverse("admin:groups_vote_change", args=[vote.pk]), {"value": "-1"}
    )

    vote.refresh_from_db()
    assert response.status_code == 403
    assert vote.value == 1


def snapshot():
    return (
        sorted(Post.objects.values_list("group__slug", "kind", "title", "author__email")),
        sorted(Post.objects.values_list("body", "score", "is_accepted", "answer_count")),
        Vote.objects.count(),
        Comment.objects.count(),
    )


def test_seed_demo_threads_are_reproducible_rerunnable_and_consistent(db):
    call_command("seed_demo", seed=11, members=12, allow_non_dev=True, verbosity=0)
    first = snapshot()
    call_command("seed_demo", seed=11, members=12, allow_non_dev=True, verbosity=0)

    assert snapshot() == first
    questions = Post.objects.questions()
    assert questions.count() >= 10
    assert questions.unanswered().exists()
    assert Post.objects.filter(is_accepted=True).count() >= 5
    for post in Post.objects.all():
        assert post.score == (post.votes.aggregate(total=Sum("value"))["total"] or 0)
        if post.is_question:
            assert post.answer_count == post.answers.alive().count()
            assert post.answers.filter(is_accepted=True).count() <= 1
        assert post.body_html.startswith("<p>")
