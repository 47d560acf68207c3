"""The domain rules of joining, deciding, leaving and moderating, on the models."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from groups.models import Ban, Group, GroupActionError, JoinRequest, Membership, ModerationLog
from profiles.models import Notification


def real_counts(group: Group) -> tuple[int, int]:
    return (
        Membership.objects.filter(group=group).count(),
        JoinRequest.objects.filter(group=group, status="pending").count(),
    )


def stored_counts(group: Group) -> tuple[int, int]:
    group.refresh_from_db()
    return group.member_count, group.pending_count


def test_counters_never_drift_through_a_sequence_of_actions(
    closed_group, open_group, alice, bob, carol, dave, moderator, make_user
):
    erin = make_user("erin@example.com", "Erica Marino")
    frank = make_user("frank@example.com", "Franco Neri")
    carol_request = closed_group.join_requests.get(user=carol)

    closed_group.request_to_join(dave, answer="Newsletter")
    closed_group.request_to_join(dave, answer="Newsletter")  # double click
    closed_group.request_to_join(erin, answer="Blog")
    closed_group.request_to_join(frank, answer="Libri")
    carol_request.approve(by=alice)
    carol_request.approve(by=moderator)  # second moderator, too late
    closed_group.join_requests.get(user=dave).reject(by=moderator, reason="No")
    closed_group.join_requests.get(user=erin).withdraw()
    closed_group.ban(frank, by=alice, reason="Spam")
    closed_group.leave(bob)
    closed_group.leave(bob)
    closed_group.remove_member(closed_group.memberships.get(user=carol), by=moderator)
    open_group.join(dave)
    open_group.join(dave)
    open_group.join(erin)
    open_group.leave(erin)
    with pytest.raises(GroupActionError):
        closed_group.leave(alice)

    assert stored_counts(closed_group) == real_counts(closed_group) == (2, 0)
    assert stored_counts(open_group) == real_counts(open_group) == (2, 0)
    recounted = Group.objects.annotate(n=Count("memberships")).get(pk=closed_group.pk)
    assert recounted.n == recounted.member_count


def test_database_refuses_a_second_pending_request(closed_group, carol):
    with pytest.raises(IntegrityError):
        JoinRequest.objects.create(group=closed_group, user=carol)


def test_database_refuses_a_second_seat(closed_group, bob, dave):
    with pytest.raises(IntegrityError):
        Membership.objects.create(group=closed_group, user=bob)


def test_database_refuses_two_owners(closed_group, dave):
    with pytest.raises(IntegrityError):
        Membership.objects.create(group=closed_group, user=dave, role="owner")


def test_double_request_is_a_friendly_no_op(closed_group, carol):
    first = closed_group.join_requests.get(user=carol)

    again = closed_group.request_to_join(carol, answer="Di nuovo")

    assert again.pk == first.pk
    assert closed_group.join_requests.filter(user=carol).count() == 1


def test_open_group_refuses_requests_and_closed_group_refuses_one_click(
    open_group, closed_group, dave
):
    with pytest.raises(GroupActionError):
        open_group.request_to_join(dave)
    with pytest.raises(GroupActionError):
        closed_group.join(dave)
    assert not closed_group.memberships.filter(user=dave).exists()


def test_required_answer_is_enforced_by_the_model_too(closed_group, dave):
    with pytest.raises(GroupActionError):
        closed_group.request_to_join(dave, answer="   ")
    assert not closed_group.join_requests.filter(user=dave).exists()


def test_cooldown_after_rejection(closed_group, carol, alice):
    closed_group.join_requests.get(user=carol).reject(by=alice)

    with pytest.raises(GroupActionError):
        closed_group.request_to_join(carol, answer="Riprovo")

    JoinRequest.objects.filter(user=carol).update(decided_at=timezone.now() - timedelta(days=8))
    assert closed_group.request_to_join(carol, answer="Riprovo").is_pending


@override_settings(GROUPS_REJOIN_COOLDOWN_DAYS=0)
def test_cooldown_follows_the_setting(closed_group, carol, alice):
    closed_group.join_requests.get(user=carol).reject(by=alice)

    assert closed_group.request_to_join(carol, answer="Subito").is_pending


def test_banned_user_cannot_request_or_join(closed_group, open_group, dave, alice):
    closed_group.ban(dave, by=alice)
    open_group.ban(dave, by=alice)

    with pytest.raises(GroupActionError):
        closed_group.request_to_join(dave, answer="x")
    with pytest.raises(GroupActionError):
        open_group.join(dave)
    assert not Membership.objects.filter(user=dave).exists()


def test_ban_closes_a_pending_request(closed_group, carol, alice):
    closed_group.ban(carol, by=alice, reason="Spam")

    assert closed_group.join_requests.get(user=carol).status == "rejected"
    assert stored_counts(closed_group) == real_counts(closed_group)


def test_a_decided_request_cannot_be_decided_again(closed_group, carol, alice, moderator):
    join_request = closed_group.join_requests.get(user=carol)

    assert join_request.reject(by=moderator, reason="No")
    assert not join_request.approve(by=alice)

    join_request.refresh_from_db()
    assert join_request.status == "rejected"
    assert not closed_group.memberships.filter(user=carol).exists()


def test_owner_must_hand_over_before_leaving(closed_group, alice, bob):
    with pytest.raises(GroupActionError):
        closed_group.leave(alice)

    closed_group.transfer_ownership(closed_group.memberships.get(user=bob), by=alice)
    assert closed_group.leave(alice)
    assert closed_group.memberships.get(user=bob).is_owner


def test_moderator_cannot_remove_another_moderator_or_the_owner(
    closed_group, alice, moderator, make_user
):
    second = make_user("second@example.com", "Secondo Moderatore")
    seat = closed_group.add_member(second)
    closed_group.set_role(seat, "moderator", by=alice)

    with pytest.raises(GroupActionError):
        closed_group.remove_member(seat, by=moderator)
    with pytest.raises(GroupActionError):
        closed_group.remove_member(closed_group.memberships.get(user=alice), by=moderator)
    assert closed_group.memberships.filter(user__in=[second, alice]).count() == 2


def test_every_moderation_action_is_logged(closed_group, alice, bob, carol, moderator, dave):
    closed_group.join_requests.get(user=carol).approve(by=moderator)
    closed_group.remove_member(closed_group.memberships.get(user=bob), by=moderator, reason="OT")
    closed_group.ban(dave, by=alice, reason="Spam")
    closed_group.unban(dave, by=alice)

    actions = list(
        ModerationLog.objects.filter(group=closed_group)
        .order_by("pk")
        .values_list("action", "actor__email", "target__email", "reason")
    )
    assert actions[-4:] == [
        ("approve", "moderator@example.com", "carol@example.com", ""),
        ("remove", "moderator@example.com", "bob@example.com", "OT"),
        ("ban", "alice@example.com", "dave@example.com", "Spam"),
        ("unban", "alice@example.com", "dave@example.com", ""),
    ]
    assert not Ban.objects.filter(user=dave).exists()


# Notifications --------------------------------------------------------------------------------


def test_requester_is_told_of_approval_in_app_and_by_email(
    closed_group, carol, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closed_group.join_requests.get(user=carol).approve(by=alice)

    notification = carol.notifications.get(kind="group-request-approved")
    assert "Copywriter Italia" in notification.text
    assert notification.url == closed_group.get_absolute_url()
    assert notification.scope == f"group:{closed_group.pk}"
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]


def test_requester_is_told_of_rejection_with_the_reason(
    closed_group, carol, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closed_group.join_requests.get(user=carol).reject(by=alice, reason="Fuori settore")

    notification = carol.notifications.get(kind="group-request-rejected")
    assert "Fuori settore" in notification.text
    assert len(mail.outbox) == 1


def test_moderators_are_told_of_a_new_request_once(
    closed_group, dave, alice, moderator, bob, django_capture_on_commit_callbacks
):
    from groups.tasks import notify_moderators_of_join_request

    with django_capture_on_commit_callbacks(execute=True):
        join_request = closed_group.request_to_join(dave, answer="Copy per banche")
    notify_moderators_of_join_request(join_request.pk)  # a retry sends nothing new

    told = Notification.objects.filter(
        kind="group-join-request", params__request_id=join_request.pk
    )
    assert sorted(told.values_list("recipient__email", flat=True)) == [
        "alice@example.com",
        "moderator@example.com",
    ]
    assert told.first().url == reverse("groups:queue", args=[closed_group.slug])
    assert not bob.notifications.exists()


def about(group, recipient, text):
    scope = group.notification_scope
    return Notification.send(recipient, "t", text, scope=scope, email=False)


def test_notifications_about_a_closed_group_go_when_the_member_leaves(
    closed_group, open_group, bob
):
    about_closed = about(closed_group, bob, "x")
    about_open = about(open_group, bob, "y")
    unrelated = Notification.send(bob, "t", "z", email=False)
    assert set(bob.notifications.all()) == {about_closed, about_open, unrelated}

    closed_group.leave(bob)

    assert set(bob.notifications.all()) == {about_open, unrelated}
    assert bob.notifications.unread().count() == 2


def test_notifications_about_a_closed_group_go_when_the_member_is_banned_or_removed(
    closed_group, bob, carol, alice
):
    about(closed_group, bob, "x")
    about(closed_group, alice, "kept: alice stays")
    closed_group.ban(bob, by=alice)
    assert not bob.notifications.exists()
    assert alice.notifications.count() == 1


def test_notifications_go_when_an_admin_deletes_the_membership(closed_group, bob):
    about(closed_group, bob, "x")
    closed_group.memberships.get(user=bob).delete()  # what the admin does
    assert not bob.notifications.exists()


def test_notifications_about_a_deleted_group_go(open_group, bob):
    about(open_group, bob, "x")
    open_group.delete()
    assert not bob.notifications.exists()


def test_closing_a_group_withdraws_what_non_members_were_told(open_group, bob, dave):
    open_group.add_member(bob)
    about(open_group, bob, "member keeps it")
    about(open_group, dave, "outsider loses it")
    open_group.visibility = open_group.Visibility.CLOSED
    open_group.save()
    assert bob.notifications.count() == 1
    assert not dave.notifications.exists()


def test_hidden_notification_cannot_be_opened(closed_group, bob, bob_client):
    notification = about(closed_group, bob, "x")
    closed_group.leave(bob)

    response = bob_client.post(reverse("notification_open", args=[notification.pk]))

    assert response.status_code == 404
