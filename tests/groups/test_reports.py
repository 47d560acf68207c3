"""Reports that act: auto-hide with distinct, weighted reporters, the review queue across
groups, inline decisions, notifications and the reporters' anonymity."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from groups.models import Ban, Comment, ModerationLog, Post
from profiles.models import Notification, OutgoingEmail, Report

OLD = timezone.now() - timedelta(days=90)


@pytest.fixture
def veteran(make_user, closed_group, alice):
    """veteran(n): established members of alice's group who wrote something (full weight),
    in a thread of their own, so their names appear nowhere near the reported posts."""
    elsewhere = Post.objects.create(
        group=closed_group, author=alice, kind="question", title="Presentazioni", body="Ciao!"
    )

    def make(index: int, *, new: bool = False, silent: bool = False):
        user = make_user(
            f"reporter{index}@example.com",
            f"Segnalatore {index:02d}",
            date_joined=timezone.now() if new else OLD,
        )
        closed_group.add_member(user)
        if not silent:
            Comment.objects.create(post=elsewhere, author=user, body="Piacere")
        return user

    return make


@pytest.fixture
def spam(closed_group, bob, django_capture_on_commit_callbacks):
    question = Post.ask(closed_group, bob, title="Che CMS usate?", body="Per un blog aziendale.")
    with django_capture_on_commit_callbacks(execute=True):
        return question.answer(bob, body="Comprate i miei corsi su spam.example!")


def reload(post):
    post.refresh_from_db()
    return post


def report_as(users, item, reason="spam"):
    for user in users:
        item.report(user, reason=reason)


# Auto-hide ---------------------------------------------------------------------------------


def test_three_distinct_established_reporters_hide_the_answer(spam, veteran, settings):
    settings.REPORTS_HIDE_AFTER = 3
    reporters = [veteran(i) for i in range(3)]

    report_as(reporters[:2], spam)
    assert not reload(spam).is_hidden
    report_as(reporters[2:], spam)

    assert reload(spam).is_hidden
    assert Report.objects.filter(target_type="groups.post", target_id=spam.pk).count() == 3
    log = ModerationLog.objects.get(action=ModerationLog.Action.HIDE)
    assert log.automatic and log.actor is None and log.target == spam.author


def test_the_same_member_reporting_again_counts_once(spam, veteran):
    reporter = veteran(1)
    for _ in range(5):
        spam.report(reporter, reason="spam")

    assert Report.objects.count() == 1
    assert not reload(spam).is_hidden


def test_one_report_per_member_per_thing_is_a_database_constraint(spam, veteran):
    reporter = veteran(1)
    spam.report(reporter, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            reporter=reporter, target_type="groups.post", target_id=spam.pk, reason="abuse"
        )


def test_new_and_silent_reporters_count_half(spam, veteran, settings):
    settings.REPORTS_HIDE_AFTER = 3
    newcomers = [veteran(i, new=True) for i in range(3)]
    silent = [veteran(10 + i, silent=True) for i in range(2)]

    report_as(newcomers + silent, spam)  # 5 halves: 2.5 reporters
    assert not reload(spam).is_hidden
    assert {r.weight for r in Report.objects.all()} == {1}

    report_as([veteran(20, new=True)], spam)  # 6 halves: 3
    assert reload(spam).is_hidden


def test_removed_and_suspended_reporters_stop_counting(spam, veteran, closed_group, alice, staff):
    first, second, third, fourth = (veteran(i) for i in range(4))
    report_as([first, second], spam)
    closed_group.remove_member(closed_group.memberships.get(user=first), by=alice)
    second.suspend(by=staff, reason="Spam")

    report_as([third], spam)
    assert not reload(spam).is_hidden  # first and second no longer count: 1 of 3

    report_as([fourth], spam)
    assert not reload(spam).is_hidden  # 2 of 3
    report_as([veteran(5)], spam)
    assert reload(spam).is_hidden


def test_the_threshold_is_configurable(spam, veteran, settings):
    settings.REPORTS_HIDE_AFTER = 1
    report_as([veteran(1)], spam)
    assert reload(spam).is_hidden


def test_a_hidden_answer_is_hidden_from_members_but_not_from_moderators(
    spam, veteran, bob_client, moderator_client, dave_client, closed_group, dave
):
    report_as([veteran(i) for i in range(3)], spam)
    closed_group.add_member(dave)
    url = spam.question.get_absolute_url()

    for client in (dave_client,):
        page = client.get(url).content.decode()
        assert "spam.example" not in page
        assert 'data-testid="hidden"' in page
    page = moderator_client.get(url).content.decode()
    assert "spam.example" in page and 'data-testid="hidden-mark"' in page


def test_a_hidden_question_leaves_lists_and_search(closed_group, bob, veteran, dave, dave_client):
    question = Post.ask(closed_group, bob, title="Corsi miracolosi", body="Compra qui.")
    closed_group.add_member(dave)
    report_as([veteran(i) for i in range(3)], question)

    listing = dave_client.get(reverse("groups:threads", args=[closed_group.slug]))
    found = dave_client.get(reverse("groups:search"), {"q": "miracolosi"})

    assert b"Corsi miracolosi" not in listing.content
    assert b"Corsi miracolosi" not in found.content
    assert not Post.objects.visible_to(dave).filter(pk=question.pk).exists()


def test_comments_can_be_reported_and_hidden(spam, veteran, alice):
    comment = spam.comment(alice, body="Link sospetto: spam.example")
    for user in [veteran(i) for i in range(3)]:
        comment.report(user, reason="promotion")

    comment.refresh_from_db()
    assert comment.is_hidden
    assert Report.objects.filter(target_type="groups.comment", target_id=comment.pk).count() == 3


def test_nobody_reports_their_own_post_or_from_outside(spam, dave):
    from groups.models import GroupActionError

    with pytest.raises(GroupActionError):
        spam.report(spam.author, reason="spam")
    with pytest.raises(GroupActionError):
        spam.report(dave, reason="spam")  # not a member of the closed group
    assert not Report.objects.exists()


def test_other_needs_a_note(bob_client, alice, closed_group, question):
    answer = question.answer(alice, body="Risposta qualunque.")
    url = reverse("groups:report", args=[closed_group.slug, answer.pk])

    response = bob_client.post(url, {"reason": "other", "note": ""})

    assert response.status_code == 400
    assert 'data-testid="note-error"' in response.content.decode()
    assert not Report.objects.exists()
    assert (
        bob_client.post(url, {"reason": "other", "note": "Copia un altro post"}).status_code == 302
    )
    assert Report.objects.get().note == "Copia un altro post"


def test_the_report_page_works_without_javascript(bob_client, alice, closed_group, question):
    answer = question.answer(alice, body="Risposta qualunque.")
    url = reverse("groups:report", args=[closed_group.slug, answer.pk])

    page = bob_client.get(url)

    assert page.status_code == 200
    assert b'data-testid="report-form"' in page.content
    assert bob_client.put(url).status_code == 405


# Notifications and the queue --------------------------------------------------------------


def test_moderators_are_told_once_and_again_when_hidden(
    spam, veteran, alice, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_as([veteran(1)], spam)
        report_as([veteran(2)], spam)
    told = Notification.objects.filter(kind="report")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [alice.email, moderator.email]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_as([veteran(3)], spam)
    assert told.count() == 4
    with translation.override("en"):
        assert "hidden" in told.filter(recipient=moderator).first().text


def test_a_moderator_sees_reports_from_all_their_groups_in_one_queue(
    spam, veteran, moderator, moderator_client, open_group, make_user
):
    open_group.set_role(open_group.add_member(moderator), "moderator", by=open_group.creator)
    poster = make_user("poster@example.com", "Pietro Poster")
    open_group.add_member(poster)
    other = Post.ask(open_group, poster, title="Offerta imperdibile", body="Compra.")
    reporter = veteran(1)
    open_group.add_member(reporter)
    report_as([reporter], spam)
    report_as([reporter], other)

    page = moderator_client.get(reverse("groups:review")).content.decode()

    assert "spam.example" in page and "Offerta imperdibile" in page
    assert page.count('data-testid="review-card"') == 2


def test_outsiders_and_members_cannot_see_the_queue_of_a_group(
    bob_client, dave_client, closed_group
):
    url = reverse("groups:reports", args=[closed_group.slug])
    assert bob_client.get(url).status_code == 403
    assert dave_client.get(url).status_code == 404
    # The cross-group queue only lists what the member reviews: nothing.
    assert b'data-testid="no-reports"' in bob_client.get(reverse("groups:review")).content


def test_the_group_page_links_moderators_to_the_reports(
    spam, veteran, moderator_client, bob_client
):
    report_as([veteran(1)], spam)
    page = moderator_client.get(spam.group.get_absolute_url()).content.decode()
    assert 'data-testid="group-reports-link"' in page
    assert 'data-testid="reports-badge">1<' in page
    assert b"group-reports-link" not in bob_client.get(spam.group.get_absolute_url()).content


# Anonymity --------------------------------------------------------------------------------


def test_nobody_learns_who_reported(
    spam, veteran, moderator_client, bob_client, alice, django_capture_on_commit_callbacks
):
    reporters = [veteran(i) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        spam.report(reporters[0], reason="other", note="Vende corsi")
        report_as(reporters[1:], spam)
    names = [r.name for r in reporters] + [r.email for r in reporters]

    pages = [
        moderator_client.get(reverse("groups:review")),
        moderator_client.get(reverse("groups:review"), HTTP_HX_REQUEST="true"),
        moderator_client.get(reverse("groups:reports", args=[spam.group.slug])),
        moderator_client.get(spam.question.get_absolute_url()),
        moderator_client.get(reverse("notification_list")),
        # The reported member: their thread, their notifications.
        bob_client.get(spam.question.get_absolute_url()),
        bob_client.get(reverse("notification_list")),
    ]
    decided = moderator_client.post(
        reverse("groups:review_decide", args=["post", spam.pk]),
        {"decision": "keep"},
        HTTP_HX_REQUEST="true",
    )
    texts = [p.content.decode() for p in [*pages, decided]]
    texts += [n.text for n in Notification.objects.all()]
    texts += [e.subject + e.body_text + e.body_html for e in OutgoingEmail.objects.all()]
    assert OutgoingEmail.objects.exists()  # the "hidden" email went out
    assert "Vende corsi" in texts[0]  # the note is shown, its author is not
    for text in texts:
        for name in names:
            assert name not in text


# Decisions --------------------------------------------------------------------------------


def decide(client, item, decision, htmx=False):
    kind = "post" if isinstance(item, Post) else "commento"
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("groups:review_decide", args=[kind, item.pk]), {"decision": decision}, **extra
    )


def test_keep_shows_it_again_and_closes_the_reports(spam, veteran, moderator_client, moderator):
    report_as([veteran(i) for i in range(3)], spam)

    response = decide(moderator_client, spam, "keep", htmx=True)

    assert response.status_code == 200
    assert b'data-testid="decided"' in response.content and b"<html" not in response.content
    assert not reload(spam).is_hidden
    assert set(Report.objects.values_list("decision", flat=True)) == {"kept"}
    assert ModerationLog.objects.filter(action="keep", actor=moderator).count() == 1
    # Reports after a keep start a new count.
    report_as([veteran(10)], spam)
    assert not reload(spam).is_hidden


def test_remove_and_ban(spam, veteran, moderator_client, moderator, bob, closed_group):
    report_as([veteran(i) for i in range(3)], spam)

    response = decide(moderator_client, spam, "ban")

    assert response.status_code == 302
    assert reload(spam).is_deleted
    assert Ban.objects.filter(group=closed_group, user=bob).exists()
    assert not closed_group.memberships.filter(user=bob).exists()
    actions = set(ModerationLog.objects.filter(actor=moderator).values_list("action", flat=True))
    assert actions == {"delete", "ban"}
    assert set(Report.objects.values_list("decision", flat=True)) == {"banned"}


def test_a_second_decision_is_refused_clearly(spam, veteran, moderator_client, alice_client):
    report_as([veteran(1)], spam)
    decide(moderator_client, spam, "remove")

    response = decide(moderator_client, spam, "keep", htmx=True)

    assert response.status_code == 400
    assert "già deciso" in response.content.decode()
    assert reload(spam).is_deleted


def test_only_staff_suspend(spam, veteran, moderator_client, staff_client, bob):
    report_as([veteran(1)], spam)

    refused = decide(moderator_client, spam, "suspend", htmx=True)
    assert refused.status_code == 400
    bob.refresh_from_db()
    assert not bob.is_suspended and not reload(spam).is_deleted

    assert decide(staff_client, spam, "suspend").status_code == 302
    bob.refresh_from_db()
    assert bob.is_suspended and reload(spam).is_deleted


def test_members_cannot_decide(spam, veteran, bob_client, dave_client):
    report_as([veteran(1)], spam)
    assert decide(bob_client, spam, "remove").status_code == 403
    assert decide(dave_client, spam, "remove").status_code == 404
    assert decide(bob_client, spam, "remove").status_code == 403
    assert not reload(spam).is_deleted
    assert reload(spam) and Report.objects.open().count() == 1


def test_decide_refuses_get(moderator_client, spam):
    url = reverse("groups:review_decide", args=["post", spam.pk])
    assert moderator_client.get(url).status_code == 405


def test_a_moderator_cannot_ban_the_owner(closed_group, alice, veteran, moderator_client):
    question = Post.ask(closed_group, alice, title="Regole del gruppo", body="Leggete.")
    report_as([veteran(1)], question)

    response = decide(moderator_client, question, "ban", htmx=True)

    assert response.status_code == 400
    assert not reload(question).is_deleted
    assert Report.objects.open().count() == 1


# Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 8])
def test_review_queue_query_count_is_constant(
    size, spam, closed_group, veteran, moderator_client, django_assert_num_queries
):
    reporters = [veteran(i) for i in range(2)]
    for index in range(size):
        question = Post.ask(closed_group, spam.author, title=f"Domanda {index}", body="Testo")
        report_as(reporters, question)
        comment = question.comment(reporters[0], body=f"Commento {index}")
        comment.report(reporters[1], reason="abuse")

    # user, moderated groups, count of reported things, the page of them, posts,
    # comments, reasons, the navigation badges
    with django_assert_num_queries(8):
        response = moderator_client.get(reverse("groups:review"))
    assert response.content.decode().count('data-testid="review-card"') == 2 * size
