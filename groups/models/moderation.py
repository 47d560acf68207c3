"""Moderation: join requests to closed groups, bans, and the moderation log."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from profiles.models import Notification


class JoinRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=JoinRequest.Status.PENDING)


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("group"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("user"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    accepted_rules_at = models.DateTimeField(_("rules accepted"), default=timezone.now)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    objects = JoinRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"],
                condition=Q(status="pending"),
                name="joinrequest_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "withdrawn"]),
                name="joinrequest_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["group", "created_at"],
                condition=Q(status="pending"),
                name="joinrequest_queue_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.group} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def _decide(self, status: str, by, reason: str = "") -> bool:
        """Move pending → status exactly once, whoever else is deciding at the same moment.

        The group's seats are locked first, as Group.ban and Group.join do: an approval that
        seats the requester and a ban queue up, and every change takes its locks in one order.
        """
        self.group.lock_members()
        changed = JoinRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=status, decided_by=by, decided_at=timezone.now(), reason=reason[:500]
        )
        if changed:
            self.group.change_pending_count(-1)
        self.refresh_from_db(fields=["status", "decided_by", "decided_at", "reason"])
        return bool(changed)

    def approve(self, *, by) -> bool:
        """Approve and seat the requester. False if someone else decided first."""
        with transaction.atomic():
            if not self._decide(self.Status.APPROVED, by):
                return False
            self.group.add_member(self.user)
            self.group.log(by, ModerationLog.Action.APPROVE, self.user)
            Notification.send(
                self.user,
                "group-request-approved",
                gettext_noop("Your request to join %(group)s has been approved."),
                {"group": self.group.name},
                url=self.group.get_absolute_url(),
                scope=self.group.notification_scope,
            )
        return True

    def reject(self, *, by, reason: str = "") -> bool:
        with transaction.atomic():
            if not self._decide(self.Status.REJECTED, by, reason):
                return False
            self.group.log(by, ModerationLog.Action.REJECT, self.user, reason)
            if reason:
                message = gettext_noop(
                    "Your request to join %(group)s has been declined: %(reason)s"
                )
            else:
                message = gettext_noop("Your request to join %(group)s has been declined.")
            # No scope: the requester is not a member, and the group's card is public.
            Notification.send(
                self.user,
                "group-request-rejected",
                message,
                {"group": self.group.name, "reason": reason},
                url=self.group.get_absolute_url(),
            )
        return True

    def withdraw(self) -> bool:
        with transaction.atomic():
            return self._decide(self.Status.WITHDRAWN, self.user)

    def notify_moderators(self) -> int:
        """Tell each moderator once about this request; safe to run twice."""
        if not self.is_pending:
            return 0
        told = set(
            Notification.objects.filter(
                kind="group-join-request", params__request_id=self.pk
            ).values_list("recipient_id", flat=True)
        )
        sent = 0
        for membership in self.group.moderators():
            if membership.user_id in told:
                continue
            Notification.send(
                membership.user,
                "group-join-request",
                gettext_noop("%(user)s asked to join %(group)s."),
                {"user": self.user.name, "group": self.group.name, "request_id": self.pk},
                url=reverse("groups:queue", args=[self.group.slug]),
                scope=self.group.notification_scope,
                email=False,
            )
            sent += 1
        return sent


class Ban(models.Model):
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, related_name="bans", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_bans",
        verbose_name=_("user"),
    )
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("banned by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("banned"), default=timezone.now)

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="ban_unique")]

    def __str__(self) -> str:
        return f"{self.user} ⊘ {self.group}"


class ModerationLog(models.Model):
    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved a request")
        REJECT = "reject", _("Declined a request")
        REMOVE = "remove", _("Removed a member")
        BAN = "ban", _("Banned")
        UNBAN = "unban", _("Lifted a ban")
        PROMOTE = "promote", _("Appointed moderator")
        DEMOTE = "demote", _("Dismissed moderator")
        TRANSFER = "transfer", _("Handed ownership over")
        VISIBILITY = "visibility", _("Changed who can read the group")
        EVENT_CREATE = "ev-create", _("Created an event")
        EVENT_EDIT = "ev-edit", _("Edited an event")
        EVENT_CANCEL = "ev-cancel", _("Cancelled an event")

    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        related_name="moderation_log",
        verbose_name=_("group"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.target}"
