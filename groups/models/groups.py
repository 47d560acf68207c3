"""Groups and their members: the group, a membership, and a viewer's Seat in a group."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Sum, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.markdown import render_markdown
from groups.models.moderation import Ban, JoinRequest, ModerationLog
from profiles.models import Notification, OutboxTask, Sector, User

# "Most active members": helpfulness weighs more than asking.
ACTIVITY_DAYS = 30
QUESTION_POINTS = 1
ANSWER_POINTS = 3
ACCEPTED_ANSWER_POINTS = 10


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
    members_create_events = models.BooleanField(
        _("members can organise events"),
        default=False,
        help_text=_("Otherwise only moderators create the group's events."),
    )
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
        if self.is_closed:
            # Closing a group (here or in the admin) withdraws what non-members were told
            # about its inside.
            self.notifications().exclude(recipient__in=self.memberships.values("user_id")).delete()

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.slug])

    @property
    def notification_scope(self) -> str:
        return f"group:{self.pk}"

    def notifications(self):
        """Every notification about this group, whoever received it."""
        return Notification.objects.about(self.notification_scope)

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

    def seat_for(self, user) -> "Seat":
        """The user's Seat here, in one query: build it once per request and pass it on."""
        return Seat(self, user, self.membership_for(user))

    def is_readable_by(self, user) -> bool:
        """May the user see the inside? The single-object twin of readable_by()."""
        return self.seat_for(user).can_read

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
        # The member's notifications about a closed group go with the seat:
        # groups.signals.forget_group_notifications (a signal, so admin deletions do it too).
        deleted, _by_model = Membership.objects.filter(pk=membership.pk).delete()
        if deleted:
            Group.objects.filter(pk=self.pk).update(member_count=F("member_count") - 1)
        return bool(deleted)

    def change_pending_count(self, delta: int) -> None:
        Group.objects.filter(pk=self.pk).update(pending_count=F("pending_count") + delta)

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
            # A ban in flight finishes first (and is then seen), or waits for the seat.
            self.lock_members()
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
                OutboxTask.enqueue(
                    "groups.tasks.notify_moderators_of_join_request", join_request.pk
                )
        except IntegrityError:
            existing = self.pending_request_of(user)
            if existing is None:
                raise
            return existing
        return join_request

    def leave(self, user) -> bool:
        with transaction.atomic():
            self.lock_members()
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

    def remove_member(self, target: "Membership", *, by, reason: str = "") -> bool:
        with transaction.atomic():
            self.lock_members()
            if not self.seat_for(by).outranks(target):
                raise GroupActionError(_("You cannot remove this member."))
            if not self._drop_member(target):
                return False
            self.log(by, ModerationLog.Action.REMOVE, target.user, reason)
        return True

    def ban(self, user, *, by, reason: str = "") -> "Ban":
        with transaction.atomic():
            # Group.join takes the same lock: a join in flight finishes first, and is undone.
            self.lock_members()
            target = self.memberships.filter(user=user).first()
            if target is not None:
                if not self.seat_for(by).outranks(target):
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

    def lock_members(self) -> None:
        """Serialise every change to who sits in this group and in what role (joins,
        decisions, removals, bans, appointments, hand-overs) on the group's row, taken first,
        so each reads the seats as the previous one left them and no two deadlock."""
        Group.objects.select_for_update().only("pk").get(pk=self.pk)

    def set_role(self, target: "Membership", role: str, *, by) -> None:
        """Owners appoint and dismiss moderators."""
        if role not in (Membership.Role.MODERATOR, Membership.Role.MEMBER):
            raise GroupActionError(_("Use hand-over to change the owner."))
        with transaction.atomic():
            self.lock_members()
            # Re-read under the lock: `target` may be a copy from before a hand-over.
            if not (self.seat_for(by).is_owner or by.is_staff):
                raise GroupActionError(_("Only the owner appoints moderators."))
            current = self.memberships.filter(pk=target.pk).first()
            if current is None:
                raise GroupActionError(_("That person is no longer a member."))
            if current.is_owner:
                raise GroupActionError(_("Only the owner appoints moderators."))
            changed = (
                Membership.objects.filter(pk=target.pk)
                .exclude(role__in=[role, Membership.Role.OWNER])
                .update(role=role)
            )
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
            self.lock_members()
            owner = self.memberships.filter(role=Membership.Role.OWNER).first()
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

    def change_visibility(self, visibility: str, *, by) -> bool:
        """Open or close the group: the owner's decision alone (or staff's), logged.

        Opening makes everything already written inside public, threads from the closed days
        included: the edit form asks the owner to confirm exactly that first (README, "Opening
        a closed group").
        """
        if visibility not in self.Visibility.values:
            raise GroupActionError(_("Choose open or closed."))
        with transaction.atomic():
            self.lock_members()
            if not (by.is_staff or self.memberships.filter(user=by, role="owner").exists()):
                raise GroupActionError(_("Only the owner can open or close the group."))
            before = Group.objects.values_list("visibility", flat=True).get(pk=self.pk)
            if before == visibility:
                self.visibility = visibility
                return False
            self.visibility = visibility
            self.save(update_fields=["visibility"])
            self.log(by, ModerationLog.Action.VISIBILITY, reason=f"{before} → {visibility}")
        return True

    # Taking part --------------------------------------------------------------------------

    def max_links_for(self, seat: "Seat") -> int | None:
        """How many links the seat's user may put in a post here, or None for no limit.

        Newcomers (fewer than GROUPS_NEW_MEMBER_ANSWERS live answers in the group) get
        GROUPS_NEW_MEMBER_MAX_LINKS: groups are for exchange, not advertising.
        """
        if seat.can_moderate:
            return None
        answers = self.posts.alive().answers().filter(author=seat.user)
        if answers[: settings.GROUPS_NEW_MEMBER_ANSWERS].count() >= (
            settings.GROUPS_NEW_MEMBER_ANSWERS
        ):
            return None
        return settings.GROUPS_NEW_MEMBER_MAX_LINKS

    def most_active_members(self, limit: int = 5):
        """Current members ranked by helpfulness over the last ACTIVITY_DAYS days."""
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
        indexes = [
            models.Index(fields=["group", "role"], name="membership_group_role_idx"),
            # The group page's newest members, without sorting a 5,000-member group.
            models.Index(fields=["group", "-joined_at", "-id"], name="membership_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.group} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def is_moderator(self) -> bool:
        """Moderators and the owner moderate."""
        return self.role in (self.Role.OWNER, self.Role.MODERATOR)


@dataclass(frozen=True)
class Seat:
    """A user's place in one group, read once per request: what they may do there.

    The one place that says who reads, takes part in and moderates a group; views get it
    from get_group_for_reader() and hand it to the model methods.
    """

    group: Group
    user: object
    membership: Membership | None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_staff(self) -> bool:
        return self.user.is_authenticated and self.user.is_staff

    @property
    def can_read(self) -> bool:
        """The inside: threads, member list, activity. GroupQuerySet.readable_by() is the twin."""
        return self.group.is_open or self.is_member or self.is_staff

    @property
    def can_participate(self) -> bool:
        """Asking, answering, commenting, voting, reporting: members only."""
        return self.is_member

    @property
    def can_moderate(self) -> bool:
        return self.is_staff or (self.membership is not None and self.membership.is_moderator)

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.is_owner

    def require_participant(self) -> Membership:
        if self.membership is None:
            raise GroupActionError(_("Only members of the group can take part."))
        return self.membership

    def outranks(self, target: Membership) -> bool:
        """May this seat remove or ban the target? Nobody touches the owner; only the owner
        touches moderators; staff touch everyone else."""
        if target.is_owner:
            return False
        if self.is_staff:
            return True
        if not self.can_moderate:
            return False
        return self.is_owner if target.is_moderator else True
