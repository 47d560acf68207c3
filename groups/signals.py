"""Receivers that push group facts down to the identity layer. Signals, because admin
deletions must do the same as the domain methods."""

from django.db.models import F
from django.utils import timezone

from groups.models import Comment, Group, JoinRequest, Membership, Post
from groups.models.qa_records import content_withdrawn


def forget_group_notifications(sender, instance: Membership, **kwargs) -> None:
    """A member who loses their seat in a closed group loses what they were told about its
    inside (an open group's notifications point at pages they can still read)."""
    group = Group.objects.filter(pk=instance.group_id).only("pk", "visibility").first()
    if group is not None and group.is_closed:
        group.notifications().filter(recipient_id=instance.user_id).delete()


def forget_deleted_group_notifications(sender, instance: Group, **kwargs) -> None:
    Group(pk=instance.pk).notifications().delete()


def withdraw_suspended_member(sender, member, by, hide_content: bool = False, **kwargs) -> None:
    """A suspended member's pending join requests are withdrawn; with hide_content, their
    live questions, answers and comments are hidden pending review, in every group."""
    for join_request in JoinRequest.objects.pending().filter(user=member).select_related("group"):
        join_request.withdraw()
    if hide_content:
        hide_all_content_of(member)


def hide_all_content_of(member) -> int:
    now = timezone.now()
    hidden = Post.objects.filter(
        author=member, deleted_at__isnull=True, hidden_at__isnull=True
    ).update(hidden_at=now)
    hidden += Comment.objects.filter(
        author=member, deleted_at__isnull=True, hidden_at__isnull=True
    ).update(hidden_at=now)
    if hidden:
        content_withdrawn.send(Post)
    return hidden


def remove_all_content_of(member, *, by) -> int:
    """A spammer's questions, answers and comments, removed across groups (soft deletion,
    answer counts kept right)."""
    removed = 0
    for post in Post.objects.filter(author=member, deleted_at__isnull=True).order_by(
        F("question_id").asc(nulls_last=True)
    ):
        removed += post.soft_delete(by=by)
    comments = Comment.objects.filter(author=member, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    if comments:
        content_withdrawn.send(Comment)
    return removed + comments


def accepted_answer_earns_trust(user) -> bool:
    return Post.objects.filter(author=user, is_accepted=True, deleted_at__isnull=True).exists()
