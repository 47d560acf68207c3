"""The staff admin: moderation log across groups, reports with filters, and the bulk actions
(suspend, hide or remove a member's content, mark a domain as free-mail)."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from groups.models import Comment, JoinRequest, ModerationLog, Post
from groups.models.reports import report_member
from profiles.models import FreeMailDomain, Report, User


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def busy(closed_group, open_group, make_user, alice):
    """busy(n): n members, each with a question, a report on it and log entries, in two groups."""

    def grow(n: int, start: int = 0):
        for index in range(start, start + n):
            member = make_user(f"busy{index}@example.com", f"Membro {index}")
            group = closed_group if index % 2 else open_group
            group.add_member(member)
            question = Post.ask(group, member, title=f"Domanda {index}", body="Testo")
            Report.objects.create(
                reporter=alice,
                target_type="groups.post",
                target_id=question.pk,
                target_owner=member,
                scope=group.notification_scope,
                reason="spam",
            )
            group.log(alice, ModerationLog.Action.REMOVE, member, "prova")

    return grow


@pytest.mark.parametrize(
    "url", ["admin:groups_moderationlog_changelist", "admin:profiles_report_changelist"]
)
def test_admin_lists_cost_the_same_at_two_sizes(staff_client, busy, url):
    busy(3)
    small, _ = count_queries(staff_client, reverse(url))
    busy(12, start=3)
    large, response = count_queries(staff_client, reverse(url))

    assert small == large
    assert response.context["cl"].result_count >= 15


def test_admin_list_query_counts_are_pinned(staff_client, busy, django_assert_num_queries):
    busy(4)
    # user, the sector filter's choices, the count and the full count, the page
    # (group, actor and target joined), the date hierarchy's range and its days
    with django_assert_num_queries(7):
        staff_client.get(reverse("admin:groups_moderationlog_changelist"))
    # user, the count and the full count, the page (reporter and reported member
    # joined), the target-type filter's choices, the date hierarchy's range and its days
    with django_assert_num_queries(7):
        staff_client.get(reverse("admin:profiles_report_changelist"))


def test_reports_filter_by_status_reviewer_and_reason(staff_client, busy, bob, dave):
    busy(2)
    report_member(bob, dave, reason="fake")
    Report.objects.filter(target_type="groups.post").update(resolved_at=timezone.now())
    url = reverse("admin:profiles_report_changelist")

    assert staff_client.get(url, {"status": "open"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"reviewer": "staff"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"reviewer": "groups"}).context["cl"].result_count == 2
    assert staff_client.get(url, {"reason": "fake"}).context["cl"].result_count == 1
    assert bob.display_name in staff_client.get(url).content.decode()  # staff see reporters


def test_staff_suspend_from_the_admin_with_a_reason_and_an_end(staff_client, carol, closed_group):
    url = reverse("admin:profiles_user_changelist")
    data = {"action": "suspend_selected", ACTION_CHECKBOX_NAME: [carol.pk]}

    form_page = staff_client.post(url, data)
    assert form_page.status_code == 200 and b'name="reason"' in form_page.content
    until = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    done = staff_client.post(url, {**data, "apply": "1", "reason": "Profilo falso", "until": until})

    assert done.status_code == 302
    carol.refresh_from_db()
    assert carol.is_suspended and carol.suspension_reason == "Profilo falso"
    assert carol.suspended_until is not None
    assert JoinRequest.objects.get(user=carol).status == "withdrawn"


def test_a_suspension_needs_a_reason_and_a_future_end(staff_client, carol):
    url = reverse("admin:profiles_user_changelist")
    data = {"action": "suspend_selected", ACTION_CHECKBOX_NAME: [carol.pk], "apply": "1"}

    no_reason = staff_client.post(url, {**data, "reason": ""})
    past = staff_client.post(url, {**data, "reason": "x", "until": "2020-01-01 10:00"})

    assert no_reason.status_code == past.status_code == 200
    carol.refresh_from_db()
    assert not carol.is_suspended


def test_hide_then_remove_a_spammers_content_across_groups(
    staff_client, bob, closed_group, open_group, alice
):
    open_group.add_member(bob)
    posts = [
        Post.ask(closed_group, bob, title="Promo uno", body="Compra"),
        Post.ask(open_group, bob, title="Promo due", body="Compra"),
    ]
    answer = posts[0].answer(bob, body="Compra ancora")
    comment = posts[1].comment(bob, body="Link")
    kept = Post.ask(open_group, alice, title="Domanda vera", body="?")
    url = reverse("admin:profiles_user_changelist")

    staff_client.post(url, {"action": "hide_all_content", ACTION_CHECKBOX_NAME: [bob.pk]})
    assert Post.objects.filter(author=bob, hidden_at__isnull=False).count() == 3
    assert Comment.objects.get(pk=comment.pk).hidden_at is not None

    staff_client.post(url, {"action": "remove_all_content", ACTION_CHECKBOX_NAME: [bob.pk]})
    assert not Post.objects.filter(author=bob, deleted_at__isnull=True).exists()
    assert Comment.objects.get(pk=comment.pk).deleted_at is not None
    posts[0].refresh_from_db()
    assert posts[0].answer_count == 0 and answer.pk
    kept.refresh_from_db()
    assert kept.deleted_at is None and kept.hidden_at is None


def test_mark_a_members_domain_as_free_mail(staff_client, bob):
    User.objects.filter(pk=bob.pk).update(verified_domain="fintostudio.it")

    staff_client.post(
        reverse("admin:profiles_user_changelist"),
        {"action": "mark_domain_free_mail", ACTION_CHECKBOX_NAME: [bob.pk]},
    )

    assert FreeMailDomain.objects.filter(domain="fintostudio.it").exists()
    bob.refresh_from_db()
    assert bob.verified_domain != "fintostudio.it"


def test_suspend_the_reported_members_from_the_reports_list(staff_client, bob, dave):
    report = report_member(bob, dave, reason="fake")
    url = reverse("admin:profiles_report_changelist")
    data = {"action": "suspend_reported_members", ACTION_CHECKBOX_NAME: [report.pk]}

    assert b'name="reason"' in staff_client.post(url, data).content
    staff_client.post(url, {**data, "apply": "1", "reason": "Profilo falso"})

    dave.refresh_from_db()
    assert dave.is_suspended
