"""The groups app: connects the receivers that push group facts down to profiles."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Sector groups")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from groups import shared, signals  # shared also registers the group pages' own parts
        from groups.models import Group
        from profiles.models import member_suspended
        from profiles.models.notifications import register_scope_check
        from profiles.ratelimits import register_trust_signal

        register_scope_check(
            "group",
            lambda user, ids: set(
                Group.objects.readable_by(user).filter(pk__in=ids).values_list("pk", flat=True)
            ),
        )

        post_delete.connect(
            signals.forget_group_notifications, sender="groups.Membership", dispatch_uid="seat"
        )
        # The shared pages of a group and an event (groups/shared.py).
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                shared.seat_changed, sender="groups.Membership", dispatch_uid=f"s-{name}"
            )
            signal.connect(shared.reply_changed, sender="groups.Rsvp", dispatch_uid=f"r-{name}")
        post_delete.connect(
            signals.forget_deleted_group_notifications, sender="groups.Group", dispatch_uid="gone"
        )
        member_suspended.connect(signals.withdraw_suspended_member, dispatch_uid="suspended")
        register_trust_signal(signals.accepted_answer_earns_trust)
