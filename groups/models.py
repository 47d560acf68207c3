from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.markdown import render_markdown


class Sector(models.Model):
    """A professional sector (settore). Editable in the admin; seeded with an Italian list."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "it").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class GroupActionError(Exception):
    """A refused group action, with a message fit to show the member."""


class GroupQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Groups whose inside (threads, member list, activity) the user may see.

        All open groups, plus closed groups the user is a member of; staff see everything.
        Group.is_readable_by() is the single-object twin; a property test keeps them equal.
        """
        if user.is_authenticated and user.is_staff:
            return self.all()
        readable = Q(visibility=Group.Visibility.OPEN)
        if user.is_authenticated:
            readable |= Q(Exists(Membership.objects.filter(group=OuterRef("pk"), user=user)))
        return self.filter(readable)

    visible_to = readable_by

    def with_membership_of(self, user):
        """Annotate is_member / has_pending_request for the list cards, without extra queries."""
        if not user.is_authenticated:
            return self.annotate(
                is_member=models.Value(False), has_pending_request=models.Value(False)
            )
        return self.annotate(
            is_member=Exists(Membership.objects.filter(group=OuterRef("pk"), user=user)),
            has_pending_request=Exists(
                JoinRequest.objects.pending().filter(group=OuterRef("pk"), user=user)
            ),
        )

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(sector__name__icontains=text)
            | Q(sector__name_en__icontains=text)
        )

    def of_member(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Group(models.Model):
    class Visibility(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="groups", verbose_name=_("sector")
    )
    description = models.TextField(_("description"), max_length=5000, blank=True)
    description_html = models.TextField(editable=False, blank=True)
    rules = models.TextField(_("rules"), max_length=5000, blank=True)
    rules_html = models.TextField(editable=False, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.OPEN
    )
    membership_question = models.CharField(
        _("membership question"),
        max_length=300,
        blank=True,
        help_text=_("Closed groups only: people asking to join must answer it."),
    )
    language = models.CharField(
        _("main language"), max_length=8, choices=settings.LANGUAGES, default="it"
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_groups",
        verbose_name=_("creator"),
    )
    is_featured = models.BooleanField(_("featured"), default=False)
    # Maintained with F() in the same transaction as the rows they count.
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    pending_count = models.PositiveIntegerField(_("pending requests"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["open", "closed"]), name="group_visibility_valid"
            ),
        ]
        indexes = [models.Index(fields=["sector", "-member_count"], name="group_sector_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        self.rules_html = render_markdown(self.rules)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {"description": "description_html", "rules": "rules_html"}
            kwargs["update_fields"] = set(update_fields) | {
                extra[f] for f in update_fields if f in extra
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.slug])

    @property
    def is_open(self) -> bool:
        return self.visibility == self.Visibility.OPEN

    @property
    def is_closed(self) -> bool:
        return self.visibility == self.Visibility.CLOSED

    # Access -------------------------------------------------------------------------------

    def membership_for(self, user) -> "Membership | None":
        if not user.is_authenticated:
            return None
        return self.memberships.filter(user=user).first()

    def is_readable_by(self, user, membership: "Membership | None | bool" = False) -> bool:
        """May the user see the inside? Pass a membership already fetched to save a query."""
        if self.is_open:
            return True
        if not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        if membership is False:
            membership = self.membership_for(user)
        return membership is not None and membership.user_id == user.pk

    def is_banned(self, user) -> bool:
        return user.is_authenticated and self.bans.filter(user=user).exists()

    def pending_request_of(self, user) -> "JoinRequest | None":
        if not user.is_authenticated:
            return None
        return self.join_requests.pending().filter(user=user).first()

    def rejoin_allowed_from(self, user):
        """When the user may ask again after a rejection, or None if they may ask now."""
        days = settings.GROUPS_REJOIN_COOLDOWN_DAYS
        last = (
            self.join_requests.filter(user=user, status=JoinRequest.Status.REJECTED)
            .order_by("-decided_at")
            .values_list("decided_at", flat=True)
            .first()
        )
        if last is None:
            return None
        allowed = last + timedelta(days=days)
        return allowed if allowed > timezone.now() else None

    def moderators(self):
        return self.memberships.filter(
            role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
        ).select_related("user")

    # Joining ------------------------------------------------------------------------------

    def _check_may_join(self, user) -> None:
        if self.bans.filter(user=user).exists():
            raise GroupActionError(_("You cannot join this group."))
        if self.memberships.filter(user=user).exists():
            raise GroupActionError(_("You are already a member of this group."))

    def add_member(self, user, role: str = "member") -> "Membership | None":
        """Insert the membership and bump the counter together; None if already a member."""
        try:
            with transaction.atomic():
                membership = Membership.objects.create(group=self, user=user, role=role)
        except IntegrityError:
            return None
        Group.objects.filter(pk=self.pk).update(member_count=F("member_count") + 1)
        return membership

    def _drop_member(self, membership: "Membership") -> bool:
        deleted, _by_model = Membership.objects.filter(pk=membership.pk).delete()
        if deleted:
            Group.objects.filter(pk=self.pk).update(member_count=F("member_count") - 1)
        return bool(deleted)

    def _close_pending_requests(self, user, status: str, by=None, reason: str = "") -> int:
        closed = JoinRequest.objects.filter(
            group=self, user=user, status=JoinRequest.Status.PENDING
        ).update(status=status, decided_by=by, decided_at=timezone.now(), reason=reason)
        if closed:
            Group.objects.filter(pk=self.pk).update(pending_count=F("pending_count") - closed)
        return closed

    @classmethod
    def create_with_owner(cls, owner, **fields) -> "Group":
        with transaction.atomic():
            group = cls.objects.create(creator=owner, **fields)
            group.add_member(owner, Membership.Role.OWNER)
        group.refresh_from_db(fields=["member_count"])
        return group

    def join(self, user) -> "Membership":
        """One click into an open group. Joining twice is a no-op that returns the seat."""
        if not self.is_open:
            raise GroupActionError(_("This group is closed: ask to join instead."))
        with transaction.atomic():
            if self.bans.filter(user=user).exists():
                raise GroupActionError(_("You cannot join this group."))
            membership = self.add_member(user)
            if membership is None:
                return self.memberships.get(user=user)
            # A request left from when the group was closed is answered by joining.
            self._close_pending_requests(user, JoinRequest.Status.WITHDRAWN, by=user)
        return membership

    def request_to_join(self, user, *, answer: str = "", note: str = "") -> "JoinRequest":
        """Ask to join a closed group. A duplicate (double click, race) returns the pending one."""
        from groups.tasks import notify_moderators_of_join_request

        if not self.is_closed:
            raise GroupActionError(_("This group is open: join it directly."))
        self._check_may_join(user)
        if self.rejoin_allowed_from(user):
            raise GroupActionError(_("Your last request was declined recently: try again later."))
        if self.membership_question and not answer.strip():
            raise GroupActionError(_("Please answer the membership question."))
        try:
            with transaction.atomic():
                join_request = JoinRequest.objects.create(
                    group=self, user=user, answer=answer.strip(), note=note.strip()
                )
                Group.objects.filter(pk=self.pk).update(pending_count=F("pending_count") + 1)
        except IntegrityError:
            existing = self.pending_request_of(user)
            if existing is None:
                raise
            return existing
        notify_moderators_of_join_request.delay_on_commit(join_request.pk)
        return join_request

    def leave(self, user) -> bool:
        with transaction.atomic():
            membership = self.memberships.select_for_update().filter(user=user).first()
            if membership is None:
                return False
            if membership.is_owner:
                raise GroupActionError(
                    _("Hand ownership over to another member before leaving the group.")
                )
            return self._drop_member(membership)

    # Moderation ---------------------------------------------------------------------------

    def log(self, actor, action: str, target=None, reason: str = "") -> "ModerationLog":
        return ModerationLog.objects.create(
            group=self, actor=actor, action=action, target=target, reason=reason[:500]
        )

    @staticmethod
    def _outranks(actor_membership: "Membership | None", actor, target: "Membership") -> bool:
        if target.is_owner:
            return False
        if actor.is_staff:
            return True
        if actor_membership is None or not actor_membership.is_moderator:
            return False
        if target.is_moderator:
            return actor_membership.is_owner
        return True

    def remove_member(self, target: "Membership", *, by, reason: str = "") -> bool:
        with transaction.atomic():
            if not self._outranks(self.membership_for(by), by, target):
                raise GroupActionError(_("You cannot remove this member."))
            if not self._drop_member(target):
                return False
            self.log(by, ModerationLog.Action.REMOVE, target.user, reason)
        return True

    def ban(self, user, *, by, reason: str = "") -> "Ban":
        with transaction.atomic():
            target = self.memberships.filter(user=user).first()
            if target is not None:
                if not self._outranks(self.membership_for(by), by, target):
                    raise GroupActionError(_("You cannot ban this member."))
                self._drop_member(target)
            self._close_pending_requests(user, JoinRequest.Status.REJECTED, by=by, reason=reason)
            ban, _created = Ban.objects.get_or_create(
                group=self, user=user, defaults={"banned_by": by, "reason": reason[:500]}
            )
            self.log(by, ModerationLog.Action.BAN, user, reason)
        return ban

    def unban(self, user, *, by, reason: str = "") -> bool:
        with transaction.atomic():
            deleted, _by_model = self.bans.filter(user=user).delete()
            if deleted:
                self.log(by, ModerationLog.Action.UNBAN, user, reason)
        return bool(deleted)

    def set_role(self, target: "Membership", role: str, *, by) -> None:
        """Owners appoint and dismiss moderators."""
        if role not in (Membership.Role.MODERATOR, Membership.Role.MEMBER):
            raise GroupActionError(_("Use hand-over to change the owner."))
        with transaction.atomic():
            actor = self.membership_for(by)
            if not ((actor and actor.is_owner) or by.is_staff) or target.is_owner:
                raise GroupActionError(_("Only the owner appoints moderators."))
            changed = Membership.objects.filter(pk=target.pk).exclude(role=role).update(role=role)
            if changed:
                action = (
                    ModerationLog.Action.PROMOTE
                    if role == Membership.Role.MODERATOR
                    else ModerationLog.Action.DEMOTE
                )
                self.log(by, action, target.user)
        target.role = role

    def transfer_ownership(self, target: "Membership", *, by) -> None:
        with transaction.atomic():
            owner = self.memberships.select_for_update().filter(role=Membership.Role.OWNER).first()
            if owner is None or (owner.user_id != by.pk and not by.is_staff):
                raise GroupActionError(_("Only the owner can hand ownership over."))
            if target.pk == owner.pk:
                return
            # Demote first: at most one owner per group is a database constraint.
            Membership.objects.filter(pk=owner.pk).update(role=Membership.Role.MODERATOR)
            updated = Membership.objects.filter(pk=target.pk, group=self).update(
                role=Membership.Role.OWNER
            )
            if not updated:
                raise GroupActionError(_("That person is no longer a member."))
            self.log(by, ModerationLog.Action.TRANSFER, target.user)

    def recount(self) -> None:
        """Recompute both counters from the rows (admin edits bypass the domain methods)."""
        Group.objects.filter(pk=self.pk).update(
            member_count=models.Subquery(
                Membership.objects.filter(group=OuterRef("pk"))
                .values("group")
                .annotate(n=models.Count("pk"))
                .values("n")[:1]
            ),
            pending_count=models.Subquery(
                JoinRequest.objects.pending()
                .filter(group=OuterRef("pk"))
                .values("group")
                .annotate(n=models.Count("pk"))
                .values("n")[:1]
            ),
        )
        # A subquery over no rows is NULL; the counters mean zero.
        Group.objects.filter(pk=self.pk, member_count__isnull=True).update(member_count=0)
        Group.objects.filter(pk=self.pk, pending_count__isnull=True).update(pending_count=0)
        self.refresh_from_db(fields=["member_count", "pending_count"])


class Membership(models.Model):
    """One row per active member. Bans and join requests live in their own tables."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MODERATOR = "moderator", _("Moderator")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["group"], condition=Q(role="owner"), name="membership_one_owner"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "moderator", "member"]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["group", "role"], name="membership_group_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.group} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def is_moderator(self) -> bool:
        """Moderators and the owner moderate."""
        return self.role in (self.Role.OWNER, self.Role.MODERATOR)


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
        Group, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("group")
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
        """Move pending → status exactly once, whoever else is deciding at the same moment."""
        changed = JoinRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=status, decided_by=by, decided_at=timezone.now(), reason=reason[:500]
        )
        if changed:
            Group.objects.filter(pk=self.group_id).update(pending_count=F("pending_count") - 1)
        self.refresh_from_db(fields=["status", "decided_by", "decided_at", "reason"])
        return bool(changed)

    def approve(self, *, by) -> bool:
        """Approve and seat the requester. False if someone else decided first."""
        with transaction.atomic():
            if not self._decide(self.Status.APPROVED, by):
                return False
            self.group.add_member(self.user)
            self.group.log(by, ModerationLog.Action.APPROVE, self.user)
            send_notification(
                self.user,
                "group-request-approved",
                gettext_noop("Your request to join %(group)s has been approved."),
                {"group": self.group.name},
                url=self.group.get_absolute_url(),
                group_id=self.group_id,
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
            # No group_id: the requester is not a member, and the group's card is public.
            send_notification(
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
        from profiles.models import Notification

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
            send_notification(
                membership.user,
                "group-join-request",
                gettext_noop("%(user)s asked to join %(group)s."),
                {"user": self.user.name, "group": self.group.name, "request_id": self.pk},
                url=reverse("groups:queue", args=[self.group.slug]),
                group_id=self.group_id,
                email=False,
            )
            sent += 1
        return sent


def send_notification(recipient, kind, message_id, params, **kwargs):
    from profiles.models import Notification

    return Notification.send(recipient, kind, message_id, params, **kwargs)


class Ban(models.Model):
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="bans", verbose_name=_("group")
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

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="moderation_log", verbose_name=_("group")
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
