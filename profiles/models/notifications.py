"""Notifications: one model and one way to send them (Notification.send), for every app;
the member's email preferences per kind, the one-click unsubscribe token, and the record of
digests sent (one per member and period)."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.page_cache import forget_members
from profiles.models.accounts import User
from profiles.models.outbox import OutgoingEmail


class EmailKind(models.TextChoices):
    """The kinds of event a member chooses how to hear about by email. A new kind is one line
    here (its default, if not daily, one line in EMAIL_DEFAULTS); Notification.send(...,
    email_kind=EmailKind.NEW) then follows the member's choice for it."""

    REQUESTS = "requests", _("Requests addressed to me")
    ANSWERS = "answers", _("Answers and comments on my threads")
    QUESTIONS = "questions", _("Questions I could answer")
    EVENTS = "events", _("Events I replied to (changes, reminders)")
    MESSAGES = "messages", _("Conversations left unread")


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    OFF = "off", _("Off")


EMAIL_DEFAULTS = {
    EmailKind.REQUESTS: EmailFrequency.IMMEDIATELY,
    EmailKind.ANSWERS: EmailFrequency.DAILY,
    EmailKind.QUESTIONS: EmailFrequency.WEEKLY,
    EmailKind.EVENTS: EmailFrequency.IMMEDIATELY,
    EmailKind.MESSAGES: EmailFrequency.IMMEDIATELY,
}
DIGEST_FREQUENCIES = (EmailFrequency.DAILY, EmailFrequency.WEEKLY)


class EmailPreference(models.Model):
    """A member's choice for one kind; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    frequency = models.CharField(_("frequency"), max_length=12, choices=EmailFrequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email preference")
        verbose_name_plural = _("email preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="emailpreference_unique"),
            models.CheckConstraint(
                condition=Q(frequency__in=EmailFrequency.values),
                name="emailpreference_frequency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}={self.frequency}"

    @staticmethod
    def default_for(kind: str) -> str:
        return EMAIL_DEFAULTS.get(kind, EmailFrequency.DAILY)

    @classmethod
    def all_for(cls, user) -> dict[str, str]:
        """Every kind's frequency for the member (defaults filled in), in one query."""
        chosen = dict(cls.objects.filter(user=user).values_list("kind", "frequency"))
        return {kind: chosen.get(kind, cls.default_for(kind)) for kind in EmailKind.values}

    @classmethod
    def frequency_for(cls, user, kind: str) -> str:
        chosen = cls.objects.filter(user=user, kind=kind).values_list("frequency", flat=True)
        return next(iter(chosen), cls.default_for(kind))

    @classmethod
    def choose(cls, user, kind: str, frequency: str) -> str:
        """Set the member's choice; returns the previous one (for an undo)."""
        if kind not in EmailKind.values or frequency not in EmailFrequency.values:
            raise ValueError(f"unknown kind or frequency: {kind!r} {frequency!r}")
        previous = cls.frequency_for(user, kind)
        cls.objects.update_or_create(user=user, kind=kind, defaults={"frequency": frequency})
        return previous


UNSUBSCRIBE_SALT = "gilda.unsubscribe"


def unsubscribe_token(user_id: int, kind: str) -> str:
    """Signed, needs no login, binds the member and the kind: changing either breaks it."""
    # No timestamp: the same link in every email, valid until the secret key changes.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"u": user_id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    user_id, kind = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or kind not in EmailKind.values:
        return None
    return user_id, kind


def unsubscribe_headers(user_id: int, kind: str) -> dict[str, str]:
    """RFC 8058: the one-click POST target, and the mark that it needs no confirmation."""
    url = settings.SITE_URL + reverse("email_unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# scope kind ("group") -> readable(user, ids) -> the ids among `ids` the user may read now.
# The app owning the thing registers its check (groups does in its AppConfig.ready), so this
# layer can hide what a member can no longer see without knowing what a group is.
SCOPE_CHECKS: dict = {}


def register_scope_check(kind: str, readable) -> None:
    SCOPE_CHECKS[kind] = readable


def mark_hidden(user, notifications) -> list:
    """Set `.hidden` on each notification whose scope the member can no longer read (one
    query per scope kind present), so pages and digests show no title or excerpt for it."""
    notifications = list(notifications)
    wanted: dict[str, set[int]] = {}
    for notification in notifications:
        kind, _sep, ident = notification.scope.partition(":")
        if kind in SCOPE_CHECKS and ident.isdigit():
            wanted.setdefault(kind, set()).add(int(ident))
    readable = {kind: SCOPE_CHECKS[kind](user, ids) for kind, ids in wanted.items()}
    for notification in notifications:
        kind, _sep, ident = notification.scope.partition(":")
        notification.hidden = kind in readable and (
            not ident.isdigit() or int(ident) not in readable[kind]
        )
    return notifications


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def about(self, scope: str):
        return self.filter(scope=scope)

    def mentions(self):
        return self.filter(mentions_me=True)

    def resolve(self, *, forget=forget_members) -> int:
        """The thing to do was done (a request decided, by anyone): no longer "to do", and
        read, so the badge stops counting it. forget(*recipients) renews their kept pages
        (a connection request's: only those that show their circle)."""
        now = timezone.now()
        open_ones = self.filter(resolved_at__isnull=True)
        recipients = set(open_ones.values_list("recipient_id", flat=True))
        self.filter(read_at__isnull=True).update(read_at=now)
        resolved = open_ones.update(resolved_at=now)
        forget(*recipients)  # their kept pages show it at once (config/page_cache.py)
        return resolved


class Notification(models.Model):
    """Something a member should know about, shown in-app and emailed as the member chose
    for its `email_kind` (at once, in a digest, or not at all).

    The message is stored as its English msgid plus parameters and translated when shown,
    so each member reads it in their current language. Mark msgids with gettext_noop.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.SlugField(max_length=40)
    message_id = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What the notification is about, as "<kind>:<id>" (for example "group:12"), so that the
    # app owning that thing can withdraw its notifications: a member who leaves a closed group
    # loses the notifications about it (groups deletes them; this layer knows no groups).
    scope = models.CharField(max_length=40, blank=True, db_index=True)
    # Empty: never emailed (the member sees it in-app only).
    email_kind = models.CharField(max_length=20, choices=EmailKind.choices, blank=True)
    mentions_me = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The navigation badge counts a member's unread ones on every page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        if getattr(self, "hidden", False):
            return gettext("A notification about something you can no longer see.")
        try:
            return gettext(self.message_id) % self.params
        except (KeyError, TypeError, ValueError):
            return gettext(self.message_id)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @classmethod
    def send(
        cls,
        recipient: User,
        kind: str,
        message_id: str,
        params: dict | None = None,
        *,
        url: str = "",
        scope: str = "",
        email: bool = True,
        email_kind: str = EmailKind.REQUESTS,
        mentions_me: bool = False,
    ) -> "Notification":
        notification = cls.objects.create(
            recipient=recipient,
            kind=kind,
            message_id=message_id,
            params=params or {},
            url=url,
            scope=scope,
            email_kind=email_kind if email else "",
            mentions_me=mentions_me,
        )
        if email and (
            EmailPreference.frequency_for(recipient, email_kind) == EmailFrequency.IMMEDIATELY
        ):
            notification.queue_email()
        return notification

    def queue_email(self) -> None:
        with translation.override(self.recipient.language):
            headers = unsubscribe_headers(self.recipient_id, self.email_kind)
            context = {
                "notification": self,
                "site_url": settings.SITE_URL,
                "unsubscribe_url": headers["List-Unsubscribe"][1:-1],
                "preferences_url": settings.SITE_URL + reverse("email_preferences"),
            }
            message = EmailMultiAlternatives(
                subject=f"[Gilda] {self.text}"[:255],
                body=render_to_string("profiles/email/notification.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[self.recipient.email],
                headers=headers,
            )
        OutgoingEmail.queue(message)


class DigestRun(models.Model):
    """One member's digest for one period: the row is created in the transaction that queues
    the email, and is unique per member, frequency and period, so a digest task run twice
    (beat twice, a worker killed mid-run and the intent retried) sends it at most once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs"
    )
    frequency = models.CharField(max_length=12, choices=EmailFrequency.choices)
    period = models.DateField(help_text=_("The day (daily) or the week's Monday (weekly)."))
    items = models.PositiveIntegerField(default=0)
    email = models.ForeignKey(
        OutgoingEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period"], name="digestrun_one_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.frequency} {self.period}"
