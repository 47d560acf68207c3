"""The connections app: listens to group membership changes by label."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from connections.signals import membership_changed, withdraw_suspended_member
        from profiles.models import member_suspended

        # By label: the layer below is not imported to listen to it.
        post_save.connect(membership_changed, sender="groups.Membership", dispatch_uid="conn-join")
        post_delete.connect(
            membership_changed, sender="groups.Membership", dispatch_uid="conn-leave"
        )
        member_suspended.connect(withdraw_suspended_member, dispatch_uid="conn-suspended")
