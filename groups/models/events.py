"""Meetups: events inside a group, RSVPs with exact capacity and a waitlist, the quorum
decision, reminders, attendance and each member's private calendar feed.

An event follows its group's visibility: whoever may read the group's inside may see its
events (Seat.can_read, GroupQuerySet.readable_by); members RSVP. The online link is shown
only to members who are going.
"""

import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.markdown import render_markdown
from groups.models.groups import Group, GroupActionError
from groups.models.moderation import ModerationLog
from groups.models.qa_records import content_withdrawn
from profiles.models import EmailKind, Notification

# How early a check-in code is accepted, and how long after the end.
CHECKIN_OPENS = timedelta(hours=1)
CHECKIN_CLOSES = timedelta(hours=12)
# Reminders go out for events starting within this window ("the day before").
REMINDER_AHEAD = timedelta(hours=24)
TIMEZONE_CHOICES = [
    (name, name)
    for name in (
        "Europe/Rome", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
        "Europe/Zurich", "Europe/Brussels", "Europe/Amsterdam", "Europe/Lisbon",
        "America/New_York", "UTC",
    )
]  # fmt: skip


# Sent (event=, user_ids=) after members were marked present or absent, inside the
# transaction: the suggestions engine (a higher layer) listens, as it does to memberships.
attendance_changed = Signal()


def new_checkin_code() -> str:
    # Unambiguous letters and digits: read aloud or off a screen at the door.
    return "".join(secrets.choice("ACDEFHJKMNPRTUVWXY34679") for _ in range(6))


class EventQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Events of the groups whose inside the user may read (Seat.can_read's twin)."""
        return self.filter(group__in=Group.objects.readable_by(user))

    def upcoming(self, now=None):
        return self.filter(ends_at__gte=now or timezone.now()).exclude(
            status=Event.Status.CANCELLED
        )

    def past(self, now=None):
        return self.filter(ends_at__lt=now or timezone.now())


class Event(models.Model):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CONFIRMED = "confirmed", _("Confirmed: it happens")
        CALLED_OFF = "called_off", _("Called off: quorum not reached")
        CANCELLED = "cancelled", _("Cancelled")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="events", verbose_name=_("group")
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="organised_events",
        verbose_name=_("organiser"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    description_html = models.TextField(editable=False, blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON
    )
    # In person: a city from the gazetteer, an address and optional exact coordinates.
    geoname_id = models.PositiveIntegerField(null=True, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Online: shown only to members who are going.
    online_url = models.URLField(_("link to join"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TIMEZONE_CHOICES, default="Europe/Rome"
    )
    capacity = models.PositiveIntegerField(
        _("seats"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    quorum = models.PositiveIntegerField(
        _("quorum"),
        null=True,
        blank=True,
        help_text=_("It happens only if at least this many are going by the deadline."),
    )
    quorum_deadline = models.DateTimeField(_("quorum deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    cancel_message = models.CharField(_("message to attendees"), max_length=500, blank=True)
    going_count = models.PositiveIntegerField(_("going"), default=0, editable=False)
    checkin_code = models.CharField(max_length=6, default=new_checkin_code, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="event_capacity_min"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(going_count__lte=F("capacity")),
                name="event_not_overbooked",
            ),
            models.CheckConstraint(
                condition=Q(quorum__isnull=True)
                | (Q(quorum__gte=1) & Q(quorum_deadline__isnull=False)),
                name="event_quorum_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(format="online", online_url__gt="")
                | Q(format="in_person", geoname_id__isnull=False),
                name="event_has_a_place",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "confirmed", "called_off", "cancelled"]),
                name="event_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "starts_at"], name="event_group_idx"),
            models.Index(fields=["ends_at", "starts_at"], name="event_upcoming_idx"),
            models.Index(fields=["latitude", "longitude"], name="event_geo_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "description" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"description_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("groups:event", args=[self.group.slug, self.pk])

    @property
    def is_online(self) -> bool:
        return self.format == self.Format.ONLINE

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.CONFIRMED)

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.going_count >= self.capacity

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.going_count, 0)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.tz)

    @property
    def local_ends_at(self):
        return self.ends_at.astimezone(self.tz)

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.address, self.city) if part)

    @property
    def checkin_open(self) -> bool:
        now = timezone.now()
        return (
            self.is_active
            and self.starts_at - CHECKIN_OPENS <= now <= self.ends_at + CHECKIN_CLOSES
        )

    @property
    def scope(self) -> str:
        # Notifications about an event are about its group: leaving a closed group withdraws them.
        return self.group.notification_scope

    # Who may do what -------------------------------------------------------------------

    def can_edit(self, seat) -> bool:
        """The organiser (while a member) and the group's moderators."""
        if seat.can_moderate:
            return True
        return seat.is_member and self.organiser_id == getattr(seat.user, "pk", None)

    # RSVP ------------------------------------------------------------------------------

    def rsvp(self, user, answer: str) -> "Rsvp":
        """Going, maybe or not going. Capacity is exact: the event row is locked, so two
        members taking the last seat at once confirm one and waitlist the other."""
        if answer not in (Rsvp.Answer.GOING, Rsvp.Answer.MAYBE, Rsvp.Answer.NOT_GOING):
            raise GroupActionError(_("Choose going, maybe or not going."))
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=self.pk)
            if not event.is_active or event.is_past:
                raise GroupActionError(_("This event no longer takes replies."))
            rsvp, _created = Rsvp.objects.select_for_update().get_or_create(event=event, user=user)
            if rsvp.attended_at is not None and answer != Rsvp.Answer.GOING:
                # Present is a fact about the evening, not a reply (people you met and people
                # you may know read it): only the organiser's attendance list undoes it.
                raise GroupActionError(
                    _("You are marked present at this event: ask the organiser to change it.")
                )
            was_going = rsvp.answer == Rsvp.Answer.GOING
            if answer == Rsvp.Answer.GOING:
                if was_going or rsvp.answer == Rsvp.Answer.WAITLIST:
                    return rsvp
                if event.is_full:
                    rsvp.answer = Rsvp.Answer.WAITLIST
                else:
                    rsvp.answer = Rsvp.Answer.GOING
                    event.going_count += 1
                rsvp.answered_at = timezone.now()
            else:
                rsvp.answer = answer
                rsvp.answered_at = timezone.now()
                if was_going:
                    event.going_count -= 1
            rsvp.save(update_fields=["answer", "answered_at"])
            promoted = event._promote_waitlist() if was_going else []
            Event.objects.filter(pk=event.pk).update(going_count=event.going_count)
            self.going_count = event.going_count
        rsvp.promoted = promoted
        return rsvp

    def _promote_waitlist(self) -> list["Rsvp"]:
        """Move the first on the waitlist into free seats (the event row is locked)."""
        promoted = []
        while not self.is_full:
            first = (
                self.rsvps.select_for_update()
                .filter(answer=Rsvp.Answer.WAITLIST)
                .select_related("user")
                .order_by("answered_at", "pk")
                .first()
            )
            if first is None:
                break
            first.answer = Rsvp.Answer.GOING
            first.save(update_fields=["answer"])
            self.going_count += 1
            Notification.send(
                first.user,
                "event-promoted",
                gettext_noop("A seat opened up: you are going to %(event)s."),
                {"event": self.title},
                url=self.get_absolute_url(),
                scope=self.scope,
                email_kind=EmailKind.EVENTS,
                mentions_me=True,
            )
            promoted.append(first)
        return promoted

    # Organising ------------------------------------------------------------------------

    def attendees(self):
        return self.rsvps.filter(answer=Rsvp.Answer.GOING)

    def _tell_attendees(self, kind: str, message_id: str, params: dict, *, waitlist=False):
        answers = [Rsvp.Answer.GOING, Rsvp.Answer.MAYBE]
        if waitlist:
            answers.append(Rsvp.Answer.WAITLIST)
        for rsvp in self.rsvps.filter(answer__in=answers).select_related("user"):
            Notification.send(
                rsvp.user,
                kind,
                message_id,
                params,
                url=self.get_absolute_url(),
                scope=self.scope,
                email_kind=EmailKind.EVENTS,
                mentions_me=True,
            )

    def cancel(self, *, by, message: str = "") -> bool:
        """Cancel the event and tell everyone who replied going, maybe or waitlisted."""
        with transaction.atomic():
            changed = (
                Event.objects.filter(pk=self.pk)
                .exclude(status=self.Status.CANCELLED)
                .update(status=self.Status.CANCELLED, cancel_message=message[:500])
            )
            if not changed:
                return False
            content_withdrawn.send(Event)
            self.status, self.cancel_message = self.Status.CANCELLED, message[:500]
            self.group.log(
                by, ModerationLog.Action.EVENT_CANCEL, reason=f"{self.title}: {message}"[:500]
            )
            self._tell_attendees(
                "event-cancelled",
                gettext_noop("%(event)s is cancelled. %(message)s"),
                {"event": self.title, "message": message[:500]},
                waitlist=True,
            )
        return True

    def decide_quorum(self, now=None) -> str | None:
        """After the quorum deadline, once: confirmed if enough are going, else called off.
        Everyone who replied is told either way. Returns the new status, or None."""
        now = now or timezone.now()
        with transaction.atomic():
            event = (
                Event.objects.select_for_update()
                .filter(pk=self.pk, status=self.Status.SCHEDULED, quorum__isnull=False)
                .filter(quorum_deadline__lte=now)
                .first()
            )
            if event is None:
                return None
            reached = event.going_count >= event.quorum
            event.status = self.Status.CONFIRMED if reached else self.Status.CALLED_OFF
            event.save(update_fields=["status"])
            if reached:
                event._tell_attendees(
                    "event-confirmed",
                    gettext_noop("%(event)s happens: %(count)s are going."),
                    {"event": event.title, "count": event.going_count},
                )
            else:
                event._tell_attendees(
                    "event-called-off",
                    gettext_noop("%(event)s is called off: fewer than %(quorum)s were going."),
                    {"event": event.title, "quorum": event.quorum},
                    waitlist=True,
                )
        self.status = event.status
        return event.status

    def send_reminders(self, now=None) -> int:
        """The day before, once per event: claiming the event and writing every reminder
        happen in one transaction, so a worker killed halfway sends none and the next run
        sends them all."""
        now = now or timezone.now()
        with transaction.atomic():
            claimed = (
                Event.objects.filter(pk=self.pk, reminded_at__isnull=True)
                .filter(status__in=[self.Status.SCHEDULED, self.Status.CONFIRMED])
                .filter(starts_at__gt=now, starts_at__lte=now + REMINDER_AHEAD)
                .update(reminded_at=now)
            )
            if not claimed:
                return 0
            sent = 0
            for rsvp in self.attendees().select_related("user").order_by("user_id"):
                Notification.send(
                    rsvp.user,
                    "event-reminder",
                    gettext_noop("Tomorrow: %(event)s, %(when)s."),
                    {"event": self.title, "when": self.local_starts_at.strftime("%d/%m %H:%M")},
                    url=self.get_absolute_url(),
                    scope=self.scope,
                    email_kind=EmailKind.EVENTS,
                    mentions_me=True,
                )
                sent += 1
        return sent

    def check_in(self, user, code: str) -> bool:
        """An attendee at the door types the code shown there."""
        if not self.checkin_open:
            raise GroupActionError(_("Check-in is open from an hour before the start."))
        if not secrets.compare_digest(code.strip().upper(), self.checkin_code):
            raise GroupActionError(_("That is not this event's check-in code."))
        with transaction.atomic():
            checked_in = self.rsvps.filter(
                user=user, answer=Rsvp.Answer.GOING, attended_at__isnull=True
            ).update(attended_at=timezone.now())
            if checked_in:
                attendance_changed.send(Event, event=self, user_ids=[user.pk])
        return bool(checked_in)

    def mark_attended(self, user_ids, *, present: bool = True) -> int:
        """The organiser ticks who was there, or unticks them (only members who were going).
        Returns how many changed; those already as asked keep their check-in time."""
        user_ids = list(user_ids)
        going = self.rsvps.filter(
            user_id__in=user_ids, answer=Rsvp.Answer.GOING, attended_at__isnull=present
        )
        with transaction.atomic():
            changed = list(going.select_for_update().values_list("user_id", flat=True))
            if changed:
                going.filter(user_id__in=changed).update(
                    attended_at=timezone.now() if present else None
                )
                attendance_changed.send(Event, event=self, user_ids=changed)
        return len(changed)

    def people_met_by(self, user):
        """Other attendees marked present, for an attendee who was marked present too."""
        if not self.rsvps.filter(user=user, attended_at__isnull=False).exists():
            return Rsvp.objects.none()
        return (
            self.rsvps.filter(attended_at__isnull=False)
            .exclude(user=user)
            .select_related("user")
            .order_by("user__display_name", "user_id")
        )


class Rsvp(models.Model):
    class Answer(models.TextChoices):
        GOING = "going", _("Going")
        WAITLIST = "waitlist", _("On the waitlist")
        MAYBE = "maybe", _("Maybe")
        NOT_GOING = "no", _("Not going")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.NOT_GOING)
    # When the member last asked for a seat: the waitlist's order.
    answered_at = models.DateTimeField(default=timezone.now)
    attended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="rsvp_unique"),
            models.CheckConstraint(
                condition=Q(answer__in=["going", "waitlist", "maybe", "no"]),
                name="rsvp_answer_valid",
            ),
            models.CheckConstraint(
                condition=Q(attended_at__isnull=True) | Q(answer="going"),
                name="rsvp_attended_was_going",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "answer", "answered_at"], name="rsvp_waitlist_idx"),
            models.Index(fields=["user", "answer"], name="rsvp_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.event}: {self.answer}"


class CalendarFeed(models.Model):
    """A member's private calendar address: the events they go to, for any calendar app.
    The token is the only key, so it is long and random; revoking replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar of {self.user}"

    @classmethod
    def for_user(cls, user) -> "CalendarFeed":
        feed, _created = cls.objects.get_or_create(
            user=user, defaults={"token": secrets.token_urlsafe(32)}
        )
        return feed

    def revoke(self) -> None:
        self.token = secrets.token_urlsafe(32)
        self.created_at = timezone.now()
        self.save(update_fields=["token", "created_at"])
