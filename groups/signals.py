"""Receivers that push group facts down to the identity layer. Signals, because admin
deletions must do the same as the domain methods."""

from groups.models import Group, Membership


def forget_group_notifications(sender, instance: Membership, **kwargs) -> None:
    """A member who loses their seat in a closed group loses what they were told about its
    inside (an open group's notifications point at pages they can still read)."""
    group = Group.objects.filter(pk=instance.group_id).only("pk", "visibility").first()
    if group is not None and group.is_closed:
        group.notifications().filter(recipient_id=instance.user_id).delete()


def forget_deleted_group_notifications(sender, instance: Group, **kwargs) -> None:
    Group(pk=instance.pk).notifications().delete()
