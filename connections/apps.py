"""The connections app: listens to group membership changes by label."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete

        from connections.signals import account_deleted, membership_changed

        # By label: the layer below is not imported to listen to it.
        post_save.connect(membership_changed, sender="groups.Membership", dispatch_uid="conn-join")
        post_delete.connect(
            membership_changed, sender="groups.Membership", dispatch_uid="conn-leave"
        )
        pre_delete.connect(account_deleted, sender="profiles.User", dispatch_uid="talk-forget")
