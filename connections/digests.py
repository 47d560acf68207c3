"""Daily and weekly digests: what a member chose to hear about in a digest (notifications of
those kinds, and for "questions I could answer" the home's picks), in their language, at a
local hour of their time zone.

Exactly once per member and period: the beat task only records intents (OutboxTask, keyed
per member, frequency and period); the intent's task creates the member's DigestRun row
(unique per member, frequency and period) and queues the email in one transaction. A second
intent, a beat that runs twice, or a worker killed mid-run and the intent retried, finds the
row (or rolls back with the email) and sends nothing more. The digests live in the top layer
because they compose notifications (profiles) with questions (groups)."""

import logging
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from groups.home import questions_you_could_answer
from profiles.models import (
    DigestRun,
    EmailFrequency,
    EmailKind,
    EmailPreference,
    OutboxTask,
    OutgoingEmail,
    User,
    unsubscribe_headers,
    unsubscribe_token,
)
from profiles.models.notifications import mark_hidden

logger = logging.getLogger(__name__)

DIGEST_ITEMS_SHOWN = 20
PERIOD_DAYS = {EmailFrequency.DAILY: 1, EmailFrequency.WEEKLY: 7}


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def due_period(frequency: str, local: datetime) -> date | None:
    """The period whose digest is due at this local time, or None before the hour: a day
    from DIGESTS_LOCAL_HOUR on; a week (named by its Monday) from Monday at that hour on.
    Later hours of the same period are catch-ups for a beat that was down at the hour."""
    hour = settings.DIGESTS_LOCAL_HOUR
    if frequency == EmailFrequency.DAILY:
        return local.date() if local.hour >= hour else None
    monday = local.date() - timedelta(days=local.weekday())
    if local.weekday() == 0 and local.hour < hour:
        return None
    return monday


def schedule_digests(now: datetime | None = None) -> int:
    """Beat, hourly: record one intent per member and period that is due and not yet done."""
    now = now or timezone.now()
    queued = 0
    zones = User.objects.filter(is_active=True).values_list("timezone", flat=True).distinct()
    for zone_name in zones:
        local = now.astimezone(zone_of(zone_name))
        for frequency in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
            period = due_period(frequency, local)
            if period is None:
                continue
            done = DigestRun.objects.filter(user=OuterRef("pk"), frequency=frequency, period=period)
            members = (
                User.objects.filter(is_active=True, timezone=zone_name)
                .exclude(Exists(done))
                .values_list("pk", flat=True)
            )
            for user_id in members.iterator():
                key = f"digest:{user_id}:{frequency}:{period.isoformat()}"
                with transaction.atomic():
                    intent = OutboxTask.enqueue(
                        "connections.tasks.send_digest",
                        user_id,
                        str(frequency),
                        period.isoformat(),
                        key=key,
                    )
                queued += intent is not None
    return queued


def digest_content(user, frequency: str, since: datetime) -> dict:
    """What is new for the member since `since`, among the kinds they get at `frequency`:
    notifications (none about what they can no longer read) and questions they could answer."""
    kinds = [k for k, f in EmailPreference.all_for(user).items() if f == frequency]
    notifications = []
    if kinds:
        notifications = [
            n
            for n in mark_hidden(
                user,
                user.notifications.filter(email_kind__in=kinds, created_at__gte=since).order_by(
                    "created_at", "pk"
                )[:DIGEST_ITEMS_SHOWN],
            )
            if not n.hidden
        ]
    questions = []
    if EmailKind.QUESTIONS in kinds:
        questions = [
            pick for pick in questions_you_could_answer(user) if pick.question.created_at >= since
        ]
    return {"kinds": kinds, "notifications": notifications, "questions": questions}


def send_digest(user_id: int, frequency: str, period_iso: str) -> int:
    """The digest of one member for one period; returns the number of items sent (0: skipped,
    or already done)."""
    period = date.fromisoformat(period_iso)
    if frequency not in PERIOD_DAYS:
        raise ValueError(f"not a digest frequency: {frequency!r}")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if (
        user is None
        or DigestRun.objects.filter(user=user, frequency=frequency, period=period).exists()
    ):
        return 0
    previous = (
        DigestRun.objects.filter(user=user, frequency=frequency, period__lt=period)
        .order_by("-period")
        .values_list("created_at", flat=True)
        .first()
    )
    since = previous or timezone.now() - timedelta(days=PERIOD_DAYS[frequency])
    try:
        with transaction.atomic():
            # First, so that a concurrent run of the same digest waits here on the unique
            # index and then fails, rolling back everything it would have queued.
            run = DigestRun.objects.create(user=user, frequency=frequency, period=period)
            with translation.override(user.language), timezone.override(zone_of(user.timezone)):
                content = digest_content(user, frequency, since)
                items = len(content["notifications"]) + len(content["questions"])
                if not items:
                    return 0
                run.items = items
                run.email = OutgoingEmail.queue(digest_message(user, frequency, content))[0]
                run.save(update_fields=["items", "email"])
    except IntegrityError:
        return 0
    return items


def digest_message(user, frequency: str, content: dict) -> EmailMultiAlternatives:
    """Rendered in the active language and time zone. The headers' one-click unsubscribe is
    for the kind with most items; the body links each kind's own."""
    by_kind: dict[str, int] = {}
    for notification in content["notifications"]:
        by_kind[notification.email_kind] = by_kind.get(notification.email_kind, 0) + 1
    if content["questions"]:
        by_kind[EmailKind.QUESTIONS] = len(content["questions"])
    main_kind = max(by_kind, key=by_kind.get)
    site = settings.SITE_URL
    context = {
        **content,
        "user": user,
        "frequency": frequency,
        "site_url": site,
        "home_url": site + reverse("home"),
        "preferences_url": site + reverse("email_preferences"),
        "unsubscribe_links": [
            (
                EmailKind(kind).label,
                site + reverse("email_unsubscribe", args=[unsubscribe_token(user.pk, kind)]),
            )
            for kind in by_kind
        ],
    }
    subject = render_to_string("connections/email/digest_subject.txt", context).strip()
    return EmailMultiAlternatives(
        subject=subject[:255],
        body=render_to_string("connections/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=unsubscribe_headers(user.pk, main_kind),
    )
