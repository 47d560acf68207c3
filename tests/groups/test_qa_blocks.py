"""Blocks reach Q&A (issue 19, item 27): posts and comments by a member with a block either way
are folded behind a <details>, and neither member hears of the other's activity."""

import pytest
from django.urls import reverse

from groups.models import Post, ThreadWatch
from profiles.models import Block, Notification


def thread_url(question):
    return reverse("groups:thread", args=[question.group.slug, question.pk])


@pytest.fixture(params=["alice-blocked-bob", "bob-blocked-alice"])
def block(request, alice, bob):
    blocker, blocked = (alice, bob) if request.param == "alice-blocked-bob" else (bob, alice)
    return Block.objects.create(blocker=blocker, blocked=blocked)


def test_posts_and_comments_of_a_blocked_member_are_folded_either_way(
    block, alice_client, question, django_capture_on_commit_callbacks, moderator
):
    # bob asked; bob also comments under moderator's answer.
    with django_capture_on_commit_callbacks(execute=True):
        answer = question.answer(moderator, body="Risposta del moderatore, visibile.")
    answer.comment(question.author, body="Commento di Roberto sotto la risposta.")

    page = alice_client.get(thread_url(question)).content.decode()

    assert page.count('data-testid="blocked-post"') == 1  # bob's question, folded
    assert page.count('data-testid="blocked-comment"') == 1
    # Folded, not removed: it can be expanded.
    assert "Mi hanno chiesto un <strong>naming</strong>" in page
    assert "Risposta del moderatore" in page


def test_an_unrelated_reader_sees_the_posts_unfolded(block, moderator_client, question):
    page = moderator_client.get(thread_url(question)).content.decode()

    assert 'data-testid="blocked-post"' not in page


def test_watchers_with_a_block_are_not_told_of_new_answers(
    block, question, alice, bob, moderator, django_capture_on_commit_callbacks
):
    ThreadWatch.objects.get_or_create(question=question, user=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Dipende dal mercato.")

    told = set(
        Notification.objects.filter(kind="group-new-answer").values_list("recipient_id", flat=True)
    )
    assert bob.pk not in told
    assert moderator.pk in told


def test_accepting_a_blocked_members_answer_does_not_notify_them(
    block, question, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = question.answer(alice, body="Una risposta.")
    Notification.objects.all().delete()

    question.accept(answer, by=bob)

    assert Post.objects.get(pk=answer.pk).is_accepted
    assert not Notification.objects.filter(recipient=alice).exists()
