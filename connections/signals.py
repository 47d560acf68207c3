"""Receivers that keep suggestions fresh when something the ranking reads changes in a lower
layer (a seat in a group, a profile field, an account's active flag), and the one that
withdraws a suspended member's open connection requests. Connected by label in
ConnectionsConfig.ready, so the lower layers never import this one."""

from django.db.models.signals import post_save
from django.utils import timezone

from config.page_cache import forget_everyone
from connections import suggestion_graph
from connections.models import (
    ConnectionRequest,
    Suggestion,
    connected_ids,
    mark_candidate_changed,
    mark_stale,
)
from groups.models import Membership, Rsvp
from profiles.models import User

# What the ranking reads from a profile (suggestion_graph.load_side_data). A new signal adds
# its receiver here and its field to the side data, as meetup attendance did.
RANKED_PROFILE_FIELDS = ("geoname_id", "location_visibility", "sector_id", "needs", "offers")
RANKED_USER_FIELDS = ("is_active",)


def membership_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Joining or leaving a group changes the member's shared groups and co-members, for
    the member and for the group's members. A role change (post_save without created)
    changes nothing the engine reads."""
    if raw or (kwargs.get("signal") is post_save and not kwargs.get("created")):
        return
    origin = kwargs.get("origin")
    if isinstance(origin, User) and origin.pk == instance.user_id:
        # The seat goes with a deleted account: user_deleted marked whom that concerns, and a
        # mark for the account itself would point at a row that is about to go (the commit
        # would then fail on the foreign key).
        return
    mark_candidate_changed(instance.user_id, instance.group_id)
    # Crossing the size above which co-members stop being candidates (either way) changes
    # every member's candidates. Counted here, after the change, so the change that crosses
    # sees it (a rare event: one mark per member).
    members = Membership.objects.filter(group_id=instance.group_id)
    if members.count() in (suggestion_graph.BIG_GROUP, suggestion_graph.BIG_GROUP + 1):
        mark_stale(*members.values_list("user_id", flat=True))


def _mark_attendees(event_id: int, *also: int) -> None:
    present = Rsvp.objects.filter(event_id=event_id, attended_at__isnull=False)
    mark_stale(*also, *present.values_list("user_id", flat=True))


def attendance_changed(sender, event, user_ids, **kwargs) -> None:
    """Marking members present at a meetup (or absent) changes their shared meetups with
    everyone else marked present there, and nobody else's: those lists are refreshed."""
    _mark_attendees(event.pk, *user_ids)


def event_deleted(sender, instance, **kwargs) -> None:
    """pre_delete: a deleted meetup (or its group) takes its attendance with it."""
    _mark_attendees(instance.pk)


def remember_event_start_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """pre_save: the start orders meetups, and the most recent shared one is the one named
    (a title edit needs nothing: the title is read when shown)."""
    if not raw:
        instance._suggestions_changed = _ranked_fields_changed(
            instance, ("starts_at",), update_fields
        )


def event_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw and getattr(instance, "_suggestions_changed", False):
        instance._suggestions_changed = False
        _mark_attendees(instance.pk)


def _ranked_fields_changed(instance, fields, update_fields) -> bool:
    if instance._state.adding or instance.pk is None:
        return False
    names = set(fields) | {f.removesuffix("_id") for f in fields}
    if update_fields is not None and not (set(update_fields) & names):
        return False
    before = type(instance)._base_manager.filter(pk=instance.pk).values(*fields).first()
    return before is not None and any(before[f] != getattr(instance, f) for f in fields)


def remember_ranked_profile_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """pre_save: one query by primary key, and only when the save may touch a ranked field
    (a login's last_login update does not)."""
    if not raw:
        instance._suggestions_changed = _ranked_fields_changed(
            instance, RANKED_PROFILE_FIELDS, update_fields
        )


def remember_ranked_user_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        instance._suggestions_changed = _ranked_fields_changed(
            instance, RANKED_USER_FIELDS, update_fields
        )


# What others may see of a member: a change reaches every kept page at once (others' homes
# and networks name them, with their place; config/page_cache.py).
PRIVACY_FIELDS = ("location_visibility", "connections_visibility")


def remember_privacy_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        instance._privacy_changed = _ranked_fields_changed(instance, PRIVACY_FIELDS, update_fields)


def privacy_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw and getattr(instance, "_privacy_changed", False):
        instance._privacy_changed = False
        forget_everyone()


def profile_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw and getattr(instance, "_suggestions_changed", False):
        instance._suggestions_changed = False
        mark_candidate_changed(instance.user_id)


def user_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw and getattr(instance, "_suggestions_changed", False):
        instance._suggestions_changed = False
        mark_candidate_changed(instance.pk)


def user_deleted(sender, instance, **kwargs) -> None:
    """pre_delete: a deleted account takes its connections and rows with it by cascade, not
    through Connection.remove: its connections' lists lose mutual counts through it, and
    the lists holding it lose a row."""
    holders = Suggestion.objects.filter(candidate_id=instance.pk).values_list("user_id", flat=True)
    mark_stale(*(connected_ids(instance.pk) | set(holders)))


def withdraw_suspended_member(sender, member, **kwargs) -> None:
    ConnectionRequest.objects.pending().filter(sender=member).update(
        status=ConnectionRequest.Status.WITHDRAWN, decided_at=timezone.now()
    )
    mark_stale(member.pk)


def account_deleted(sender, instance, **kwargs) -> None:
    """A deleted account's messages lose their text; the other member reads "message
    deleted"."""
    from connections.conversations import forget_account

    forget_account(instance)
