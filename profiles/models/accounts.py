"""Accounts: the member (email login, no username, suspension, badges) and blocks between
members."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

# Sent after a member is suspended: the upper layers withdraw what the member has pending
# (join and connection requests) and, with hide_content=True, hide what they wrote.
member_suspended = Signal()


class UserQuerySet(models.QuerySet):
    def suspended(self):
        """Members suspended now: User.is_suspended is the single-object twin."""
        now = timezone.now()
        return self.filter(
            Q(suspended_at__isnull=False)
            & (Q(suspended_until__isnull=True) | Q(suspended_until__gt=now))
        )

    def not_suspended(self):
        now = timezone.now()
        return self.filter(
            Q(suspended_at__isnull=True)
            | Q(suspended_until__isnull=False, suspended_until__lte=now)
        )

    def in_good_standing(self):
        """Active and not suspended: who may appear in the directory and in suggestions."""
        return self.filter(is_active=True).not_suspended()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


def offered_language(code: str | None) -> str | None:
    """The language the site offers for `code` ("en-GB" → "en"), or None: what a member's
    saved language may be."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return None


class User(AbstractUser):
    """A Gilda member. The email address is the login; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # An IANA name; digests go out at a local hour. Checked by the forms (zoneinfo).
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Rome")
    # When the member finished or skipped the first-visit path (None: offer it on the home).
    onboarded_at = models.DateTimeField(_("first visit done"), null=True, blank=True)

    # Suspension (staff, from the admin): every session ends on its next request
    # (profiles.middleware.RefuseSuspended) and the member sees why.
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    suspended_until = models.DateTimeField(
        _("suspended until"),
        null=True,
        blank=True,
        help_text=_("Empty: until staff lift the suspension."),
    )
    suspension_reason = models.CharField(_("reason for the suspension"), max_length=500, blank=True)
    suspended_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    # Verified professional badges: the domain of a verified work email (never a free-mail
    # one), and a Partita IVA whose format and check digit are valid. The number is private.
    verified_domain = models.CharField(_("verified work domain"), max_length=253, blank=True)
    vat_number = models.CharField(_("Partita IVA"), max_length=11, blank=True)
    vat_checked_at = models.DateTimeField(_("Partita IVA checked"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # A language the site speaks (offered_language): login switches the site to it.
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="user_language_offered",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_absolute_url(self) -> str:
        return reverse("profile_detail", args=[self.pk])

    @property
    def name(self) -> str:
        return self.name_from(self.display_name, self.email)

    @staticmethod
    def name_from(display_name: str, email: str) -> str:
        """The name shown for a member, from their row's columns (a .values() query's)."""
        return display_name or email.split("@")[0]

    @property
    def is_suspended(self) -> bool:
        """The single-object twin of User.objects.suspended()."""
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > timezone.now()

    @property
    def has_vat_badge(self) -> bool:
        return self.vat_checked_at is not None

    def is_newcomer(self) -> bool:
        """Younger than ACCOUNTS_NEW_DAYS: their reports weigh half, their limits are stricter."""
        days = settings.ACCOUNTS_NEW_DAYS
        return self.date_joined > timezone.now() - timedelta(days=days)

    def verify_vat(self, number: str) -> None:
        """Keep the Partita IVA if its format and check digit are valid (ValueError if not)."""
        from profiles.models.trust import normalise_vat

        self.vat_number = normalise_vat(number)
        self.vat_checked_at = timezone.now()
        User.objects.filter(pk=self.pk).update(
            vat_number=self.vat_number, vat_checked_at=self.vat_checked_at
        )

    def suspend(self, *, by, reason: str, until=None, hide_content: bool = False) -> bool:
        """Suspend now (or change an existing suspension); False if nothing changed."""
        reason = reason.strip()[:500]
        with transaction.atomic():
            changed = User.objects.filter(pk=self.pk).update(
                suspended_at=timezone.now(),
                suspended_until=until,
                suspension_reason=reason,
                suspended_by=by,
            )
            self.refresh_from_db(
                fields=["suspended_at", "suspended_until", "suspension_reason", "suspended_by"]
            )
            member_suspended.send(User, member=self, by=by, hide_content=hide_content)
        return bool(changed)

    def lift_suspension(self) -> bool:
        changed = User.objects.filter(pk=self.pk, suspended_at__isnull=False).update(
            suspended_at=None, suspended_until=None, suspension_reason="", suspended_by=None
        )
        self.refresh_from_db(
            fields=["suspended_at", "suspended_until", "suspension_reason", "suspended_by"]
        )
        return bool(changed)


class BlockQuerySet(models.QuerySet):
    def between(self, a_id: int, b_id: int):
        return self.filter(
            Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
        )

    def involving(self, user_id: int):
        return self.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id))


def blocked_ids(user_id: int) -> set[int]:
    """Everyone user_id blocked or was blocked by: they don't see each other."""
    rows = Block.objects.involving(user_id).values_list("blocker_id", "blocked_id")
    return {b if a == user_id else a for a, b in rows}


def block_between_exists(viewer_id: int, member_ref="pk") -> Exists:
    """Exists(a block either way between the viewer and the row's member)."""
    member = OuterRef(member_ref)
    return Exists(
        Block.objects.filter(
            Q(blocker_id=viewer_id, blocked_id=member) | Q(blocker_id=member, blocked_id=viewer_id)
        )
    )


class Block(models.Model):
    """A member who doesn't want to see another, and be seen by them: both ways, everywhere.

    It lives with the accounts because every layer hides blocked pairs. What a block ends
    (connections, requests, suggestions) is done by connections.services.block_member.
    """

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BlockQuerySet.as_manager()

    class Meta:
        db_table = "connections_block"
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_no_self"),
        ]
        indexes = [models.Index(fields=["blocked"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} ⊘ {self.blocked_id}"
