from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Sum, When
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

    # Q&A ----------------------------------------------------------------------------------

    def max_links_for(self, user, membership: "Membership | None") -> int | None:
        """How many links the user may put in a post here, or None for no limit.

        Newcomers (fewer than GROUPS_NEW_MEMBER_ANSWERS live answers in the group) get
        GROUPS_NEW_MEMBER_MAX_LINKS: groups are for exchange, not advertising.
        """
        if user.is_staff or (membership is not None and membership.is_moderator):
            return None
        answers = self.posts.alive().answers().filter(author=user)
        if answers[: settings.GROUPS_NEW_MEMBER_ANSWERS].count() >= (
            settings.GROUPS_NEW_MEMBER_ANSWERS
        ):
            return None
        return settings.GROUPS_NEW_MEMBER_MAX_LINKS

    def most_active_members(self, limit: int = 5):
        """Current members ranked by helpfulness over the last ACTIVITY_DAYS days."""
        from profiles.models import User

        since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
        recent = Q(posts__group=self, posts__deleted_at__isnull=True, posts__created_at__gte=since)
        points = Case(
            When(posts__kind="answer", posts__is_accepted=True, then=ACCEPTED_ANSWER_POINTS),
            When(posts__kind="answer", then=ANSWER_POINTS),
            default=QUESTION_POINTS,
        )
        return (
            User.objects.filter(memberships__group=self)
            .annotate(
                activity_points=Sum(points, filter=recent),
                recent_answers=models.Count("posts", filter=recent & Q(posts__kind="answer")),
            )
            .filter(activity_points__gt=0)
            .order_by("-activity_points", "display_name", "pk")[:limit]
        )

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


# Q&A: questions and answers are both Posts, so one Vote table and one score serve both. ------

# The "italian" text search configuration with unaccent in front of the Italian stemmer,
# created by migration 0004 on PostgreSQL.
SEARCH_CONFIG = "gilda_italian"

# "Most active members": helpfulness weighs more than asking.
ACTIVITY_DAYS = 30
QUESTION_POINTS = 1
ANSWER_POINTS = 3
ACCEPTED_ANSWER_POINTS = 10


def _is_postgresql(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


class PostQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """Non-deleted posts in groups whose inside the user may read.

        Post.is_visible_to() is the single-object twin; a property test keeps them equal.
        """
        return self.filter(deleted_at__isnull=True, group__in=Group.objects.readable_by(user))

    def questions(self):
        return self.filter(kind=Post.Kind.QUESTION)

    def answers(self):
        return self.filter(kind=Post.Kind.ANSWER)

    def unanswered(self):
        return self.questions().filter(answer_count=0)

    def sorted_by(self, order: str):
        if order == "active":
            return self.order_by("-last_activity_at", "-pk")
        if order == "top":
            return self.order_by("-score", "-last_activity_at", "-pk")
        if order == "unanswered":
            return self.unanswered().order_by("-created_at", "-pk")
        return self.order_by("-created_at", "-pk")

    def search(self, text: str):
        """Posts whose title or body match: PostgreSQL full text (Italian, unaccented, ranked),
        a plain substring match elsewhere."""
        text = (text or "").strip()[:200]
        if not text:
            return self
        if _is_postgresql(self.db):
            query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
            return self.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
        return self.filter(Q(title__icontains=text) | Q(body__icontains=text)).annotate(
            rank=models.Value(0.0, output_field=models.FloatField())
        )

    def threads_matching(self, text: str):
        """Questions that match, or whose live answers match, best match first."""
        text = (text or "").strip()[:200]
        if not text:
            return self
        hits = (
            Post.objects.alive()
            .search(text)
            .filter(Q(pk=OuterRef("pk")) | Q(question_id=OuterRef("pk")))
        )
        return self.filter(Exists(hits)).annotate(
            rank=models.Subquery(hits.order_by("-rank").values("rank")[:1])
        )

    def update_search_vectors(self) -> int:
        if not _is_postgresql(self.db):
            return 0
        return self.update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("body", weight="B", config=SEARCH_CONFIG)
        )


class Post(models.Model):
    """A question (with a title) or an answer to one. Bodies are Markdown, stored as source
    with the sanitised HTML beside it."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="posts", verbose_name=_("group")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    question = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("question"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="posts",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=20000)
    body_html = models.TextField(editable=False, blank=True)
    # Maintained with F() under a row lock, in the same transaction as the votes and answers.
    score = models.IntegerField(_("score"), default=0, editable=False)
    answer_count = models.PositiveIntegerField(_("answers"), default=0, editable=False)
    is_accepted = models.BooleanField(_("accepted"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
        editable=False,
    )
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
        editable=False,
    )
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="question", question__isnull=True) & ~Q(title=""))
                | Q(kind="answer", question__isnull=False),
                name="post_kind_shape",
            ),
            models.CheckConstraint(
                condition=Q(is_accepted=False) | Q(kind="answer"), name="post_only_answers_accepted"
            ),
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_accepted=True),
                name="post_one_accepted_answer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["group", "-last_activity_at"],
                condition=Q(kind="question"),
                name="post_thread_list_idx",
            ),
            models.Index(fields=["question", "-score"], name="post_answers_idx"),
            models.Index(fields=["author", "-created_at"], name="post_author_idx"),
        ]

    def __str__(self) -> str:
        return self.title if self.is_question else f"↳ {self.body[:60]}"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"body_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        url = reverse("groups:thread", args=[self.group.slug, self.thread_id])
        return url if self.is_question else f"{url}#post-{self.pk}"

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def thread_id(self) -> int:
        return self.pk if self.is_question else self.question_id

    # Access -------------------------------------------------------------------------------

    def is_visible_to(self, user, membership: "Membership | None | bool" = False) -> bool:
        return not self.is_deleted and self.group.is_readable_by(user, membership)

    def can_edit(self, user, membership: "Membership | None") -> bool:
        if not user.is_authenticated or self.is_deleted:
            return False
        if user.is_staff or (membership is not None and membership.is_moderator):
            return True
        return self.author_id == user.pk

    @staticmethod
    def _seat_of(group: Group, user) -> "Membership":
        membership = group.membership_for(user)
        if membership is None:
            raise GroupActionError(_("Only members of the group can take part."))
        return membership

    # Asking and answering -----------------------------------------------------------------

    @classmethod
    def ask(cls, group: Group, user, *, title: str, body: str) -> "Post":
        cls._seat_of(group, user)
        with transaction.atomic():
            question = cls.objects.create(
                group=group, author=user, kind=cls.Kind.QUESTION, title=title.strip(), body=body
            )
            question.watch(user)
            cls.objects.filter(pk=question.pk).update_search_vectors()
        return question

    def answer(self, user, *, body: str) -> "Post":
        from groups.tasks import notify_watchers_of_answer

        if not self.is_question or self.is_deleted:
            raise GroupActionError(_("This question can no longer be answered."))
        self._seat_of(self.group, user)
        now = timezone.now()
        with transaction.atomic():
            answer = Post.objects.create(
                group_id=self.group_id,
                question=self,
                author=user,
                kind=self.Kind.ANSWER,
                body=body,
                created_at=now,
                last_activity_at=now,
            )
            Post.objects.filter(pk=self.pk).update(
                answer_count=F("answer_count") + 1, last_activity_at=now
            )
            Post.objects.filter(pk=answer.pk).update_search_vectors()
            self.watch(user)
        notify_watchers_of_answer.delay_on_commit(answer.pk)
        self.refresh_from_db(fields=["answer_count", "last_activity_at"])
        answer.question = self
        return answer

    def notify_watchers(self) -> int:
        """Tell the thread's watchers about this answer, once each; safe to run twice."""
        from profiles.models import Notification

        if self.is_question or self.is_deleted:
            return 0
        question = self.question
        told = set(
            Notification.objects.filter(
                kind="group-new-answer", params__answer_id=self.pk
            ).values_list("recipient_id", flat=True)
        )
        watchers = ThreadWatch.objects.filter(question=question).exclude(user_id=self.author_id)
        if self.group.is_closed:
            # Someone who left or was removed no longer hears about the inside.
            watchers = watchers.filter(
                Exists(Membership.objects.filter(group=self.group, user=OuterRef("user")))
            )
        sent = 0
        for watch in watchers.select_related("user"):
            if watch.user_id in told:
                continue
            send_notification(
                watch.user,
                "group-new-answer",
                gettext_noop("%(user)s answered “%(title)s” in %(group)s."),
                {
                    "user": self.author.name if self.author else "",
                    "title": question.title,
                    "group": self.group.name,
                    "answer_id": self.pk,
                },
                url=self.get_absolute_url(),
                group_id=self.group_id,
            )
            sent += 1
        return sent

    def comment(self, user, *, body: str) -> "Comment":
        if self.is_deleted:
            raise GroupActionError(_("This post was deleted."))
        self._seat_of(self.group, user)
        with transaction.atomic():
            comment = Comment.objects.create(post=self, author=user, body=body)
            Post.objects.filter(pk=self.thread_id).update(last_activity_at=comment.created_at)
        return comment

    # Votes --------------------------------------------------------------------------------

    def vote(self, user, value: int) -> int:
        """Set the user's vote to +1, -1 or 0 (withdrawn); return the new score.

        The post row is locked so the vote row and the score change together: the score
        always equals the sum of the votes, however many people click at once.
        """
        if value not in (-1, 0, 1):
            raise GroupActionError(_("Choose a valid vote."))
        if self.author_id == user.pk:
            raise GroupActionError(_("You cannot vote on your own posts."))
        if self.is_deleted:
            raise GroupActionError(_("This post was deleted."))
        self._seat_of(self.group, user)
        with transaction.atomic():
            locked = Post.objects.select_for_update().only("pk").get(pk=self.pk)
            current = Vote.objects.filter(post=locked, user=user).first()
            before = current.value if current else 0
            if value == before:
                pass
            elif value == 0:
                current.delete()
            elif current is None:
                Vote.objects.create(post=locked, user=user, value=value)
            else:
                Vote.objects.filter(pk=current.pk).update(value=value, updated_at=timezone.now())
            if value != before:
                Post.objects.filter(pk=self.pk).update(score=F("score") + (value - before))
        self.refresh_from_db(fields=["score"])
        return self.score

    # Accepting ----------------------------------------------------------------------------

    def accept(self, answer: "Post", *, by) -> bool:
        """The asker marks one answer of their question as accepted (replacing any other).
        False if it already was."""
        if not self.is_question or self.author_id != by.pk:
            raise GroupActionError(_("Only the person who asked can accept an answer."))
        if answer.question_id != self.pk or answer.is_deleted:
            raise GroupActionError(_("Choose an answer to this question."))
        with transaction.atomic():
            # Two accepts at once queue here; the partial unique index backs it up.
            Post.objects.select_for_update().only("pk").get(pk=self.pk)
            Post.objects.filter(question=self, is_accepted=True).exclude(pk=answer.pk).update(
                is_accepted=False
            )
            changed = Post.objects.filter(pk=answer.pk, is_accepted=False).update(is_accepted=True)
            if changed and answer.author_id and answer.author_id != by.pk:
                send_notification(
                    answer.author,
                    "group-answer-accepted",
                    gettext_noop("%(user)s accepted your answer to “%(title)s”."),
                    {"user": by.name, "title": self.title, "answer_id": answer.pk},
                    url=answer.get_absolute_url(),
                    group_id=self.group_id,
                )
        answer.is_accepted = True
        return bool(changed)

    def unaccept(self, *, by) -> bool:
        if not self.is_question or self.author_id != by.pk:
            raise GroupActionError(_("Only the person who asked can accept an answer."))
        return bool(Post.objects.filter(question=self, is_accepted=True).update(is_accepted=False))

    # Editing and deleting -----------------------------------------------------------------

    def edit(self, *, by, body: str, title: str = "") -> bool:
        """Save a new version, keeping the previous one in the history. False if unchanged."""
        title = title.strip() if self.is_question else ""
        if body == self.body and title == self.title:
            return False
        with transaction.atomic():
            PostRevision.objects.create(
                post=self,
                title=self.title,
                body=self.body,
                edited_by_id=self.edited_by_id or self.author_id,
                created_at=self.edited_at or self.created_at,
            )
            self.title, self.body = title, body
            self.edited_at, self.edited_by = timezone.now(), by
            self.save(update_fields=["title", "body", "edited_at", "edited_by"])
            Post.objects.filter(pk=self.pk).update_search_vectors()
        return True

    def soft_delete(self, *, by) -> bool:
        """Hide the content, keep the place in the thread. False if already deleted."""
        with transaction.atomic():
            changed = Post.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
                deleted_at=timezone.now(), deleted_by=by, is_accepted=False
            )
            if changed and not self.is_question:
                Post.objects.filter(pk=self.question_id).update(answer_count=F("answer_count") - 1)
        self.refresh_from_db(fields=["deleted_at", "deleted_by", "is_accepted"])
        return bool(changed)

    # Watching and reporting ---------------------------------------------------------------

    def watch(self, user) -> None:
        ThreadWatch.objects.get_or_create(question_id=self.thread_id, user=user)

    def unwatch(self, user) -> None:
        ThreadWatch.objects.filter(question_id=self.thread_id, user=user).delete()

    def report(self, user, *, reason: str, note: str = "") -> "PostReport":
        """Flag the post for the moderators; reporting twice keeps the first report."""
        if self.author_id == user.pk:
            raise GroupActionError(_("You cannot report your own posts."))
        self._seat_of(self.group, user)
        try:
            with transaction.atomic():
                return PostReport.objects.create(
                    post=self, reporter=user, reason=reason, note=note.strip()[:500]
                )
        except IntegrityError:
            return PostReport.objects.get(post=self, reporter=user)


class _KindManager(models.Manager.from_queryset(PostQuerySet)):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class Question(Post):
    """Questions only, for the admin."""

    objects = _KindManager(Post.Kind.QUESTION)

    class Meta:
        proxy = True
        verbose_name = _("question")
        verbose_name_plural = _("questions")


class Answer(Post):
    """Answers only, for the admin."""

    objects = _KindManager(Post.Kind.ANSWER)

    class Meta:
        proxy = True
        verbose_name = _("answer")
        verbose_name_plural = _("answers")


class Comment(models.Model):
    """A short clarification under a question or an answer."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="comments", verbose_name=_("post")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="post_comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=600)
    body_html = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
        editable=False,
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["post", "created_at"], name="comment_post_idx")]

    def __str__(self) -> str:
        return self.body[:60]

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def soft_delete(self, *, by) -> bool:
        changed = Comment.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=by
        )
        self.refresh_from_db(fields=["deleted_at", "deleted_by"])
        return bool(changed)


class Vote(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="votes", verbose_name=_("post")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="post_votes",
        verbose_name=_("user"),
    )
    value = models.SmallIntegerField(_("vote"), choices=[(1, "+1"), (-1, "-1")])
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="vote_one_per_user_post"),
            models.CheckConstraint(condition=Q(value__in=[-1, 1]), name="vote_value_valid"),
        ]
        indexes = [models.Index(fields=["post"], name="vote_post_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.value:+d} {self.post_id}"


class PostRevision(models.Model):
    """A previous version of a post, kept when it is edited."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("post")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)


class ThreadWatch(models.Model):
    question = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="watches", verbose_name=_("question")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="thread_watches",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("followed thread")
        verbose_name_plural = _("followed threads")
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="threadwatch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ☆ {self.question_id}"


class PostReport(models.Model):
    class Reason(models.TextChoices):
        PROMOTION = "promotion", _("Self-promotion")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Something else")

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="reports", verbose_name=_("post")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="post_reports",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    resolved_at = models.DateTimeField(_("handled"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="postreport_unique"),
            models.CheckConstraint(
                condition=Q(reason__in=["promotion", "spam", "other"]),
                name="postreport_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.post}"

    def resolve(self, *, by) -> bool:
        changed = PostReport.objects.filter(pk=self.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=by
        )
        return bool(changed)
