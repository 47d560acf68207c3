"""Every role against every Q&A view and fragment, on an open and on a closed group.

Builds on the groups matrix (the world in tests/groups/conftest.py): same ten roles, same
two groups; here the member asked a question, the moderator answered it and the member
commented. Each cell asserts the status code and what the database holds afterwards.
"""

import copy

import pytest
from django.urls import reverse

from groups.models import Comment, Post, PostRevision, ThreadWatch, Vote
from profiles.models import Report


@pytest.fixture(scope="module")
def qa_built(world_built, django_db_blocker):
    """The member's question, the moderator's answer and the member's comment, built once per
    visibility inside the world's transaction."""
    users = world_built["users"]
    with django_db_blocker.unblock():
        question = Post.ask(
            world_built["group"],
            users["member"],
            title="Come fissare le tariffe?",
            body="Domanda segreta",
        )
        answer = question.answer(users["moderator"], body="Risposta riservata")
        comment = question.comment(users["member"], body="Commento interno")
        return {
            "question": question,
            "answer": answer,
            "comment": comment,
            "qa_before": qa_snapshot(),
        }


@pytest.fixture
def qa(world, qa_built):
    for name, value in copy.deepcopy(qa_built).items():
        setattr(world, name, value)
    return world


def qa_snapshot():
    return (
        sorted(Post.objects.values_list("pk", "title", "body", "score", "is_accepted")),
        sorted(Post.objects.values_list("pk", "deleted_at")),
        sorted(Vote.objects.values_list("post_id", "user_id", "value")),
        sorted(Comment.objects.values_list("pk", "body", "deleted_at")),
        sorted(ThreadWatch.objects.values_list("question_id", "user_id")),
        Report.objects.count(),
        PostRevision.objects.count(),
    )


def qa_unchanged(cell):
    assert qa_snapshot() == cell.qa_before
    cell.unchanged()


def url(name, cell, *args):
    return reverse(f"groups:{name}", args=[cell.group.slug, *args])


# Reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_thread_list(qa, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = qa.client.get(url("threads", qa), {"ordine": "unanswered"}, headers=headers)
    response_all = qa.client.get(url("threads", qa), {"q": "tariffe"}, headers=headers)

    if qa.reads_inside():
        assert response.status_code == response_all.status_code == 200
        assert b"Come fissare le tariffe?" in response_all.content
        assert b"Come fissare le tariffe?" not in response.content  # it has an answer
        assert (b"<html" in response_all.content) is not htmx
    else:
        assert response.status_code == response_all.status_code == 404
        assert b"Come fissare" not in response_all.content
    qa_unchanged(qa)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_thread_page(qa, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = qa.client.get(url("thread", qa, qa.question.pk), headers=headers)

    content = response.content.decode()
    if qa.reads_inside():
        assert response.status_code == 200
        assert "Risposta riservata" in content
        assert ("<html" in content) is not htmx
        if not htmx:
            assert ('id="answer-form"' in content) == (qa.role in qa.SEATED)
            assert "Domanda segreta" in content and "Commento interno" in content
    else:
        # Logged out, a full page gets the group's card (403); otherwise a plain 404.
        card = qa.role == "anonymous" and not htmx
        assert response.status_code == (403 if card else 404)
        assert "Risposta riservata" not in content and "Domanda segreta" not in content
    qa_unchanged(qa)


def test_group_page_threads_and_nudge(qa):
    Post.ask(qa.group, qa.users["owner"], title="Domanda senza risposta?", body="…")
    qa.qa_before = qa_snapshot()

    response = qa.client.get(qa.group.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert ("Come fissare le tariffe?" in content) == qa.reads_inside()
    assert ('data-testid="unanswered-nudge"' in content) == qa.reads_inside()
    assert ('data-testid="active-members"' in content) == qa.reads_inside()
    qa_unchanged(qa)


def test_history(qa):
    qa.answer.edit(by=qa.users["moderator"], body="Risposta corretta")
    qa.qa_before = qa_snapshot()

    response = qa.client.get(url("post_history", qa, qa.answer.pk))

    if qa.reads_inside():
        assert response.status_code == 200
        assert b"Risposta riservata" in response.content
    else:
        assert response.status_code == 404
        assert b"Risposta riservata" not in response.content
    qa_unchanged(qa)


def test_global_search_shows_only_readable_groups(qa):
    response = qa.client.get(reverse("groups:search"), {"q": "tariffe"})

    assert response.status_code == 200
    assert (b"Come fissare le tariffe?" in response.content) == qa.reads_inside()
    qa_unchanged(qa)


def test_reports_page(qa):
    response = qa.client.get(url("reports", qa))

    if qa.role in qa.MODERATORS:
        assert response.status_code == 200
    else:
        qa.assert_refused(response)
    qa_unchanged(qa)


# Writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True], ids=["publish", "preview"])
def test_ask(qa, preview):
    data = {"title": "Nuova domanda di prova?", "body": "Testo"}
    if preview:
        data["preview"] = "1"

    response = qa.client.post(url("ask", qa), data, headers={"HX-Request": "true"})

    created = Post.objects.filter(title="Nuova domanda di prova?")
    if qa.role in qa.SEATED:
        assert response.status_code == (200 if preview else 302)
        assert created.exists() is not preview
        if preview:
            assert b'id="preview"' in response.content and b"<html" not in response.content
    else:
        qa.assert_refused(response)
        assert not created.exists()


def test_ask_page(qa):
    response = qa.client.get(url("ask", qa))

    if qa.role in qa.SEATED:
        assert response.status_code == 200
    else:
        qa.assert_refused(response)
    qa_unchanged(qa)


def test_answer(qa):
    response = qa.client.post(url("answer", qa, qa.question.pk), {"body": "Nuova risposta"})

    created = Post.objects.filter(body="Nuova risposta")
    if qa.role in qa.SEATED:
        assert response.status_code == 302
        assert created.get().author == qa.user
        qa.question.refresh_from_db()
        assert qa.question.answer_count == 2
    else:
        qa.assert_refused(response)
        assert not created.exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_vote_on_the_moderators_answer(qa, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = qa.client.post(url("vote", qa, qa.answer.pk), {"value": "1"}, headers=headers)

    qa.answer.refresh_from_db()
    if qa.role in qa.SEATED - {"moderator"}:
        assert response.status_code == (200 if htmx else 302)
        assert Vote.objects.get(post=qa.answer).user == qa.user
        assert qa.answer.score == 1
    else:
        if qa.role == "moderator":  # the author
            assert response.status_code == 403
        else:
            qa.assert_refused(response)
        assert not Vote.objects.exists()
        assert qa.answer.score == 0


def test_accept(qa):
    response = qa.client.post(url("accept", qa, qa.answer.pk))

    qa.answer.refresh_from_db()
    if qa.role == "member":  # the asker
        assert response.status_code == 302
        assert qa.answer.is_accepted
    else:
        qa.assert_refused(response)
        assert not qa.answer.is_accepted


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_comment(qa, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = qa.client.post(
        url("comment", qa, qa.answer.pk), {"body": "Nuovo commento"}, headers=headers
    )

    created = Comment.objects.filter(body="Nuovo commento")
    if qa.role in qa.SEATED:
        assert response.status_code == (200 if htmx else 302)
        assert created.get().author == qa.user
        if htmx:
            assert b"Nuovo commento" in response.content and b"<html" not in response.content
    else:
        qa.assert_refused(response)
        assert not created.exists()


@pytest.mark.parametrize("which", ["question", "answer"])
def test_edit(qa, which):
    post = getattr(qa, which)
    author = "member" if which == "question" else "moderator"
    data = {"title": "Titolo cambiato?", "body": "Testo cambiato"}

    page = qa.client.get(url("post_edit", qa, post.pk))
    response = qa.client.post(url("post_edit", qa, post.pk), data)

    post.refresh_from_db()
    if qa.role in {author} | qa.MODERATORS:
        assert page.status_code == 200
        assert response.status_code == 302
        assert post.body == "Testo cambiato"
        assert post.revisions.count() == 1
    else:
        qa.assert_refused(page)
        qa.assert_refused(response)
        assert post.body != "Testo cambiato"
        assert not PostRevision.objects.exists()


@pytest.mark.parametrize("which", ["question", "answer"])
def test_delete(qa, which):
    post = getattr(qa, which)
    author = "member" if which == "question" else "moderator"

    response = qa.client.post(url("post_delete", qa, post.pk))

    post.refresh_from_db()
    if qa.role in {author} | qa.MODERATORS:
        assert response.status_code == 302
        assert post.deleted_at is not None and post.deleted_by == qa.user
    else:
        qa.assert_refused(response)
        assert post.deleted_at is None


def test_delete_a_comment(qa):
    response = qa.client.post(url("comment_delete", qa, qa.comment.pk))

    qa.comment.refresh_from_db()
    if qa.role in {"member"} | qa.MODERATORS:
        assert response.status_code == 302
        assert qa.comment.deleted_at is not None
    else:
        qa.assert_refused(response)
        assert qa.comment.deleted_at is None


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_watch(qa, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = qa.client.post(url("watch", qa, qa.question.pk), {"watch": "1"}, headers=headers)

    watching = set(ThreadWatch.objects.values_list("user_id", flat=True))
    expected = {qa.users["member"].pk, qa.users["moderator"].pk}
    if qa.role in qa.SEATED:
        assert response.status_code == (200 if htmx else 302)
        assert watching == expected | {qa.user.pk}
    else:
        qa.assert_refused(response)
        assert watching == expected


def test_report(qa):
    response = qa.client.post(url("report", qa, qa.answer.pk), {"reason": "promotion"})

    if qa.role in qa.SEATED - {"moderator"}:
        assert response.status_code == 302
        assert Report.objects.get().reporter == qa.user
    else:
        if qa.role == "moderator":
            assert response.status_code == 403
        else:
            qa.assert_refused(response)
        assert not Report.objects.exists()


def test_resolve_a_report(qa):
    report = qa.answer.report(qa.users["member"], reason="spam")

    response = qa.client.post(
        reverse("groups:review_decide", args=["post", qa.answer.pk]), {"decision": "keep"}
    )

    report.refresh_from_db()
    if qa.role in qa.MODERATORS and qa.user != qa.answer.author:
        assert response.status_code == 302
        assert report.decision == "kept"
        assert report.resolved_by == qa.user
    elif qa.role in qa.MODERATORS:
        # The answer is the moderator's own: reports about you are for the other moderators.
        assert response.status_code == 302  # back to the queue, with the refusal as a message
        assert report.resolved_at is None
    else:
        qa.assert_refused(response)
        assert report.resolved_at is None
