"""The connections app: listens to group membership, meetup attendance, profile and account
changes (by label, or through the groups layer's own signal)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from django.db.models.signals import (
            m2m_changed,
            post_delete,
            post_save,
            pre_delete,
            pre_save,
        )

        from connections import context_processors, home_cache, signals  # noqa: F401
        from groups.models.events import attendance_changed
        from groups.models.qa_records import content_withdrawn

        # By label: the layers below are not imported to listen to them.
        for signal, receiver, sender, uid in (
            (post_save, signals.membership_changed, "groups.Membership", "conn-join"),
            (post_delete, signals.membership_changed, "groups.Membership", "conn-leave"),
            (pre_save, signals.remember_ranked_profile_change, "profiles.Profile", "conn-p0"),
            (post_save, signals.profile_saved, "profiles.Profile", "conn-p1"),
            (pre_save, signals.remember_privacy_change, "profiles.Profile", "page-p0"),
            (post_save, signals.privacy_saved, "profiles.Profile", "page-p1"),
            (pre_save, signals.remember_ranked_user_change, "profiles.User", "conn-u0"),
            (post_save, signals.user_saved, "profiles.User", "conn-u1"),
            (pre_delete, signals.user_deleted, "profiles.User", "conn-u2"),
            (pre_delete, signals.account_deleted, "profiles.User", "talk-forget"),
            (pre_delete, signals.event_deleted, "groups.Event", "conn-e0"),
            (pre_save, signals.remember_event_start_change, "groups.Event", "conn-e1"),
            (post_save, signals.event_saved, "groups.Event", "conn-e2"),
            # The home's cached blocks (connections/home_cache.py).
            (post_save, home_cache.membership_changed, "groups.Membership", "home-m1"),
            (post_delete, home_cache.membership_changed, "groups.Membership", "home-m2"),
            (post_save, home_cache.membership_changed, "groups.JoinRequest", "home-j1"),
            (post_delete, home_cache.membership_changed, "groups.JoinRequest", "home-j2"),
            (post_save, home_cache.membership_changed, "groups.Ban", "home-n1"),
            (post_delete, home_cache.membership_changed, "groups.Ban", "home-n2"),
            (post_save, home_cache.moderation_logged, "groups.ModerationLog", "home-ml"),
            # The threads a member took part in (groups.shared's reader state).
            (post_save, home_cache.member_posted, "groups.Vote", "home-v1"),
            (post_save, home_cache.member_posted, "groups.Comment", "home-c0"),
            (post_save, home_cache.member_posted, "groups.ThreadWatch", "home-t1"),
            (post_save, home_cache.block_changed, "profiles.Block", "home-b1"),
            (post_delete, home_cache.block_changed, "profiles.Block", "home-b2"),
            (post_save, home_cache.post_created, "groups.Post", "home-p1"),
            (pre_delete, home_cache.everyone_changed, "profiles.User", "home-u"),
            (post_save, home_cache.account_saved, "profiles.User", "home-u1"),
            (post_save, home_cache.pair_changed, "connections.Connection", "home-c1"),
            (post_delete, home_cache.pair_changed, "connections.Connection", "home-c2"),
            (post_save, home_cache.pair_changed, "connections.ConnectionRequest", "home-q1"),
            (post_save, home_cache.member_acted, "groups.Rsvp", "home-r1"),
            (post_delete, home_cache.member_acted, "groups.Rsvp", "home-r2"),
            (post_save, home_cache.member_acted, "profiles.Profile", "home-pr"),
            (post_save, home_cache.profile_part_changed, "profiles.Experience", "home-x1"),
            (post_delete, home_cache.profile_part_changed, "profiles.Experience", "home-x2"),
            (post_save, home_cache.profile_part_changed, "profiles.SpokenLanguage", "home-l1"),
            (post_delete, home_cache.profile_part_changed, "profiles.SpokenLanguage", "home-l2"),
            (post_save, home_cache.everyone_changed, "groups.Group", "home-g1"),
            (post_delete, home_cache.everyone_changed, "groups.Group", "home-g2"),
            (post_save, home_cache.everyone_changed, "groups.Event", "home-e1"),
            (post_delete, home_cache.everyone_changed, "groups.Event", "home-e2"),
        ):
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
        from profiles.models import Profile

        m2m_changed.connect(
            home_cache.skills_changed, sender=Profile.skills.through, dispatch_uid="home-sk"
        )
        content_withdrawn.connect(home_cache.everyone_changed, dispatch_uid="home-w")
        attendance_changed.connect(signals.attendance_changed, dispatch_uid="conn-attend")
        attendance_changed.connect(home_cache.attendance_marked, dispatch_uid="home-attend")
        from connections.signals import withdraw_suspended_member
        from profiles.models import member_suspended

        member_suspended.connect(withdraw_suspended_member, dispatch_uid="conn-suspended")
        # Visitors' pages (config/page_cache.py) share the home's "everyone" generation.
        member_suspended.connect(home_cache.everyone_changed, dispatch_uid="home-s")
