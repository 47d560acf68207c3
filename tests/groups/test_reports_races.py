"""Reports racing on PostgreSQL: three members report the same answer at the same moment."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups.models import Comment, ModerationLog, Post
from profiles.models import Notification, Report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_simultaneous_reports_hide_the_answer_exactly_once(
    closed_group, bob, alice, make_user, all_at_once, logged_in, settings
):
    settings.REPORTS_HIDE_AFTER = 3
    question = Post.ask(closed_group, alice, title="Quale hosting?", body="Per WordPress.")
    answer = question.answer(bob, body="Il mio corso su spam.example risolve tutto!")
    reporters = []
    for index in range(3):
        person = make_user(
            f"racer{index}@example.com",
            f"Corridore {index}",
            date_joined=timezone.now() - timedelta(days=60),
        )
        closed_group.add_member(person)
        Comment.objects.create(post=question, author=person, body="Interessante")
        reporters.append(person)
    url = reverse("groups:report", args=[closed_group.slug, answer.pk])

    for _round in range(3):
        clients = [logged_in(person) for person in reporters]
        responses = all_at_once([lambda c=c: c.post(url, {"reason": "spam"}) for c in clients])
        assert [getattr(r, "status_code", r) for r in responses] == [302] * 3

    answer.refresh_from_db()
    assert answer.is_hidden
    assert Report.objects.filter(target_type="groups.post", target_id=answer.pk).count() == 3
    assert ModerationLog.objects.filter(action="hide").count() == 1
    hidden_told = Notification.objects.filter(kind="report", params__report__endswith=":hidden")
    assert hidden_told.count() <= 2  # alice and the moderator, at most once each
