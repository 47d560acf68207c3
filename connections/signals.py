"""Receivers: suggestions go stale when group membership changes; a suspension withdraws the
member's open connection requests."""

from django.db.models.signals import post_save
from django.utils import timezone

from connections.models import ConnectionRequest, mark_stale


def membership_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Joining or leaving a group changes the member's shared groups and co-members.
    A role change (post_save without created) changes nothing the engine reads."""
    if raw or (kwargs.get("signal") is post_save and not kwargs.get("created")):
        return
    mark_stale(instance.user_id)


def withdraw_suspended_member(sender, member, **kwargs) -> None:
    ConnectionRequest.objects.pending().filter(sender=member).update(
        status=ConnectionRequest.Status.WITHDRAWN, decided_at=timezone.now()
    )
    mark_stale(member.pk)
