"""Domain rules of the Q&A: asking, answering, votes, acceptance, edits, deletion, reports."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.models import (
    Comment,
    GroupActionError,
    Post,
    PostRevision,
    ThreadWatch,
    Vote,
)
from profiles.models import Report


def test_a_member_asks_and_watches_the_thread(question, closed_group, bob):
    assert question.kind == Post.Kind.QUESTION
    assert question.group == closed_group and question.author == bob
    assert "<strong>naming</strong>" in question.body_html
    assert ThreadWatch.objects.filter(question=question, user=bob).exists()


def test_an_outsider_cannot_ask(closed_group, dave):
    with pytest.raises(GroupActionError):
        Post.ask(closed_group, dave, title="Posso entrare?", body="Ciao")

    assert not Post.objects.exists()


def test_a_pending_requester_cannot_answer(question, carol):
    with pytest.raises(GroupActionError):
        question.answer(carol, body="Io lo so!")

    assert question.answers.count() == 0


def test_answering_counts_bumps_activity_and_tells_the_asker(question, answer, bob, alice):
    question.refresh_from_db()
    assert question.answer_count == 1
    assert question.last_activity_at == answer.created_at
    told = bob.notifications.get(kind="group-new-answer")
    assert told.params["answer_id"] == answer.pk
    assert "Alice Romano" in told.text
    assert told.scope == f"group:{question.group_id}"
    assert told.url.endswith(f"#post-{answer.pk}")
    assert not alice.notifications.filter(kind="group-new-answer").exists()


def test_answer_notifications_go_once_even_if_the_task_runs_twice(answer):
    assert answer.notify_watchers() == 0
    assert answer.question.author.notifications.filter(kind="group-new-answer").count() == 1


def test_a_watcher_who_left_the_closed_group_is_not_told(
    question, moderator, alice, closed_group, django_capture_on_commit_callbacks
):
    question.watch(moderator)
    closed_group.leave(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Risposta")

    assert not moderator.notifications.filter(kind="group-new-answer").exists()


def test_a_vote_can_be_changed_and_withdrawn(answer, bob):
    assert answer.vote(bob, 1) == 1
    assert answer.vote(bob, 1) == 1
    assert answer.vote(bob, -1) == -1
    assert Vote.objects.get(post=answer, user=bob).value == -1
    assert answer.vote(bob, 0) == 0
    assert not Vote.objects.filter(post=answer).exists()


def test_nobody_votes_on_their_own_post(answer, alice):
    with pytest.raises(GroupActionError):
        answer.vote(alice, 1)

    answer.refresh_from_db()
    assert answer.score == 0 and not answer.votes.exists()


def test_outsiders_cannot_vote(answer, dave):
    with pytest.raises(GroupActionError):
        answer.vote(dave, 1)

    assert not answer.votes.exists()


def test_score_is_the_sum_of_votes(question, alice, moderator, make_user, closed_group):
    voters = [alice, moderator]
    for index in range(3):
        person = make_user(f"voter{index}@example.com")
        closed_group.add_member(person)
        voters.append(person)
    for person, value in zip(voters, [1, 1, -1, 1, 0], strict=True):
        question.vote(person, value)

    question.refresh_from_db()
    assert question.score == 2 == sum(question.votes.values_list("value", flat=True))


def test_vote_values_and_uniqueness_are_database_constraints(answer, bob):
    Vote.objects.create(post=answer, user=bob, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(post=answer, user=bob, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.filter(post=answer, user=bob).update(value=5)


def test_the_asker_accepts_and_can_change_the_accepted_answer(
    question, answer, bob, moderator, alice
):
    other = question.answer(moderator, body="Io parto da 800 euro.")

    assert question.accept(answer, by=bob) is True
    assert question.accept(answer, by=bob) is False
    assert question.accept(other, by=bob) is True

    accepted = list(question.answers.filter(is_accepted=True))
    assert accepted == [other]
    assert alice.notifications.filter(kind="group-answer-accepted").count() == 1
    told = moderator.notifications.get(kind="group-answer-accepted")
    assert told.scope == f"group:{question.group_id}"
    assert question.unaccept(by=bob) is True
    assert not question.answers.filter(is_accepted=True).exists()


def test_only_the_asker_accepts(question, answer, alice, moderator):
    for person in (alice, moderator):
        with pytest.raises(GroupActionError):
            question.accept(answer, by=person)

    answer.refresh_from_db()
    assert not answer.is_accepted


def test_only_answers_of_the_question_can_be_accepted(question, answer, bob, closed_group, alice):
    elsewhere = Post.ask(closed_group, bob, title="Un'altra domanda?", body="…")
    stray = elsewhere.answer(alice, body="Risposta altrove")

    with pytest.raises(GroupActionError):
        question.accept(stray, by=bob)
    with pytest.raises(GroupActionError):
        question.accept(question, by=bob)

    assert not Post.objects.filter(is_accepted=True).exists()


def test_one_accepted_answer_per_question_is_a_database_constraint(question, answer, alice):
    second = question.answer(alice, body="Seconda risposta")
    Post.objects.filter(pk=answer.pk).update(is_accepted=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=second.pk).update(is_accepted=True)


def test_questions_need_a_title_in_the_database(closed_group, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(group=closed_group, author=bob, kind="question", title="", body="x")


def test_editing_keeps_the_history(question, bob):
    original = question.body

    assert question.edit(by=bob, title="Tariffe per un naming?", body="Nuovo testo") is True
    assert question.edit(by=bob, title="Tariffe per un naming?", body="Nuovo testo") is False

    question.refresh_from_db()
    assert question.title == "Tariffe per un naming?"
    assert question.body_html == "<p>Nuovo testo</p>\n"
    assert question.edited_at is not None and question.edited_by == bob
    revision = PostRevision.objects.get(post=question)
    assert revision.body == original
    assert revision.title == "Quanto chiedere per un naming?"


def test_soft_deletion_keeps_the_thread_and_fixes_the_counters(question, answer, bob, alice):
    question.accept(answer, by=bob)

    assert answer.soft_delete(by=alice) is True
    assert answer.soft_delete(by=alice) is False

    answer.refresh_from_db()
    question.refresh_from_db()
    assert answer.deleted_at is not None and answer.deleted_by == alice
    assert answer.body  # the source stays for the moderators
    assert not answer.is_accepted
    assert question.answer_count == 0
    assert Post.objects.filter(pk=answer.pk).exists()


def test_comments_are_for_members_and_mark_activity(question, answer, moderator, dave):
    before = question.last_activity_at
    comment = answer.comment(moderator, body="Con o senza ricerca di anteriorità?")

    question.refresh_from_db()
    assert comment.body_html.startswith("<p>")
    assert question.last_activity_at >= before
    with pytest.raises(GroupActionError):
        answer.comment(dave, body="Io non sono iscritto")
    assert Comment.objects.count() == 1


def test_reporting_twice_keeps_one_report(answer, bob):
    first = answer.report(bob, reason="promotion", note="Link al suo sito")
    again = answer.report(bob, reason="spam")

    assert first.pk == again.pk
    assert Report.objects.get().reason == "promotion"
    with pytest.raises(GroupActionError):
        answer.report(answer.author, reason="spam")


def test_newcomers_get_the_link_limit_and_veterans_do_not(closed_group, bob, alice, question):
    bob_seat = closed_group.seat_for(bob)
    assert closed_group.max_links_for(bob_seat) == 2
    assert closed_group.max_links_for(closed_group.seat_for(alice)) is None
    for index in range(3):
        question.answer(bob, body=f"Risposta {index}")

    assert closed_group.max_links_for(bob_seat) is None


def test_most_active_members_weigh_helpfulness(closed_group, bob, alice, moderator, question):
    helped = question.answer(alice, body="Risposta accettata")
    question.accept(helped, by=bob)
    question.answer(moderator, body="Risposta")
    question.answer(moderator, body="Altra risposta")
    old = Post.ask(closed_group, bob, title="Domanda vecchia?", body="…")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    ranking = [(u.name, u.activity_points) for u in closed_group.most_active_members()]

    # alice: accepted answer 10; the moderator: two answers 6; bob: one recent question 1.
    assert ranking == [("Alice Romano", 10), ("Monica Moderatrice", 6), ("Roberto Bianchi", 1)]


def test_most_active_members_leave_out_who_left(closed_group, question, moderator):
    question.answer(moderator, body="Risposta")
    closed_group.leave(moderator)

    assert "Monica Moderatrice" not in [u.name for u in closed_group.most_active_members()]


def test_thread_sorts(closed_group, bob, alice):
    first = Post.ask(closed_group, bob, title="Prima domanda?", body="…")
    second = Post.ask(closed_group, bob, title="Seconda domanda?", body="…")
    third = Post.ask(closed_group, bob, title="Terza domanda?", body="…")
    first.answer(alice, body="Risposta")
    second.vote(alice, 1)
    threads = Post.objects.questions()

    assert list(threads.sorted_by("newest")) == [third, second, first]
    assert list(threads.sorted_by("active"))[0] == first
    assert list(threads.sorted_by("top"))[0] == second
    assert set(threads.sorted_by("unanswered")) == {second, third}
