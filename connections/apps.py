"""The connections app: listens to group membership, meetup attendance, profile and account
changes (by label, or through the groups layer's own signal)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

        from connections import signals
        from groups.models.events import attendance_changed

        # By label: the layers below are not imported to listen to them.
        for signal, receiver, sender, uid in (
            (post_save, signals.membership_changed, "groups.Membership", "conn-join"),
            (post_delete, signals.membership_changed, "groups.Membership", "conn-leave"),
            (pre_save, signals.remember_ranked_profile_change, "profiles.Profile", "conn-p0"),
            (post_save, signals.profile_saved, "profiles.Profile", "conn-p1"),
            (pre_save, signals.remember_ranked_user_change, "profiles.User", "conn-u0"),
            (post_save, signals.user_saved, "profiles.User", "conn-u1"),
            (pre_delete, signals.user_deleted, "profiles.User", "conn-u2"),
            (pre_delete, signals.account_deleted, "profiles.User", "talk-forget"),
            (pre_delete, signals.event_deleted, "groups.Event", "conn-e0"),
            (pre_save, signals.remember_event_start_change, "groups.Event", "conn-e1"),
            (post_save, signals.event_saved, "groups.Event", "conn-e2"),
        ):
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
        attendance_changed.connect(signals.attendance_changed, dispatch_uid="conn-attend")
        from connections.signals import withdraw_suspended_member
        from profiles.models import member_suspended

        member_suspended.connect(withdraw_suspended_member, dispatch_uid="conn-suspended")
