"""Receivers that mark suggestions stale when group membership changes."""

from django.db.models.signals import post_save

from connections.models import mark_stale


def membership_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Joining or leaving a group changes the member's shared groups and co-members.
    A role change (post_save without created) changes nothing the engine reads."""
    if raw or (kwargs.get("signal") is post_save and not kwargs.get("created")):
        return
    mark_stale(instance.user_id)


def account_deleted(sender, instance, **kwargs) -> None:
    """A deleted account's messages lose their text; the other member reads "message
    deleted"."""
    from connections.conversations import forget_account

    forget_account(instance)
