"""Meetups: the events list, a group's events, an event's page, RSVP, organising (create,
edit, cancel, attendance), check-in, "people you met" and the calendar files.

Access: an event is seen by whoever reads its group (get_event_for_reader); replying takes a
seat (members); organising is the organiser's and the moderators' (Event.can_edit).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.page_cache import cache_for_visitors, shared_for_members
from groups import calendar
from groups.forms import (
    AttendanceForm,
    CheckInForm,
    EventCancelForm,
    EventFilterForm,
    EventForm,
    RsvpForm,
)
from groups.fragments import prefetch_event_rows
from groups.models import CalendarFeed, Event, GroupActionError, ModerationLog, Rsvp
from groups.shared import event_pages, event_reader, events_reader, group_pages, group_reader
from groups.views.access import get_event_for_reader, get_group_for_reader
from profiles import geo

EVENT_PAGE_SIZE = 20


@require_GET
@cache_for_visitors
@shared_for_members(events_reader)
def event_list(request: HttpRequest) -> HttpResponse:
    """Upcoming events the viewer may see, filtered by city (or near me) and radius, dates,
    group and "only my groups". A member with a place sees each event's distance from it."""
    form = EventFilterForm(request.GET)
    events = (
        Event.objects.readable_by(request.user)
        .upcoming()
        .select_related("group")
        .order_by("starts_at", "pk")
    )
    origin, km = None, None
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    home = (
        (profile.public_latitude, profile.public_longitude)
        if profile is not None and profile.public_latitude is not None
        else None
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("citta") is not None:
            origin, km = (data["citta"].latitude, data["citta"].longitude), data.get("raggio") or 25
        elif data.get("vicino") and home is not None:
            origin, km = home, data.get("raggio") or 50
        if data.get("dal"):
            events = events.filter(ends_at__date__gte=data["dal"])
        if data.get("al"):
            events = events.filter(starts_at__date__lte=data["al"])
        if data.get("gruppo"):
            events = events.filter(group__slug=data["gruppo"])
        if data.get("miei") and request.user.is_authenticated:
            events = events.filter(group__memberships__user=request.user)
    else:
        events = events.none()
    if origin is not None:
        events = events.filter(geo.bounding_box(*origin, km, "latitude", "longitude"))
    # Distances from the chosen city, else from the member's own place.
    if origin or home:
        events = events.annotate(
            distance_km=geo.distance_km(*(origin or home), "latitude", "longitude")
        )
    if origin is not None:
        events = events.filter(distance_km__lte=km)
    page = Paginator(events, EVENT_PAGE_SIZE).get_page(request.GET.get("pagina"))
    prefetch_event_rows(page.object_list, show_group=True)
    context = {"page": page, "form": form, "has_place": home is not None}
    template = "groups/events.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@require_GET
@cache_for_visitors
@shared_for_members(group_reader, group_pages)
def group_events(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_group_for_reader(request, slug)
    group = seat.group
    upcoming = group.events.upcoming().order_by("starts_at", "pk")
    past = group.events.past().order_by("-starts_at", "-pk")[:10]
    return render(
        request,
        "groups/group_events.html",
        {
            "group": group,
            "seat": seat,
            "membership": seat.membership,
            "upcoming": list(upcoming[:50]),
            "past": list(past),
            "can_create": _can_create(seat),
        },
    )


def _can_create(seat) -> bool:
    return seat.can_moderate or (seat.can_participate and seat.group.members_create_events)


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_group_for_reader(request, slug)
    if not _can_create(seat):
        raise PermissionDenied
    group = seat.group
    form = EventForm(request.POST or None, instance=Event(group=group, organiser=request.user))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            event = form.save()
            group.log(request.user, ModerationLog.Action.EVENT_CREATE, reason=event.title)
            if seat.is_member:  # the organiser goes
                event.rsvp(request.user, Rsvp.Answer.GOING)
        messages.success(request, _("Event created."))
        return redirect(event.get_absolute_url())
    return render(request, "groups/event_form.html", {"group": group, "form": form, "event": None})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    if not event.can_edit(seat):
        raise PermissionDenied
    if not event.is_active:
        messages.error(request, _("A cancelled or called-off event can no longer be edited."))
        return redirect(event.get_absolute_url())
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            event = form.save()
            event.group.log(request.user, ModerationLog.Action.EVENT_EDIT, reason=event.title)
        messages.success(request, _("Event saved."))
        return redirect(event.get_absolute_url())
    return render(
        request, "groups/event_form.html", {"group": event.group, "form": form, "event": event}
    )


def _detail_context(request, seat, event, **extra) -> dict:
    user = request.user
    rsvp = None
    if user.is_authenticated:
        rsvp = event.rsvps.filter(user=user).first()
    going = rsvp is not None and rsvp.answer == Rsvp.Answer.GOING
    waitlist_position = None
    if rsvp is not None and rsvp.answer == Rsvp.Answer.WAITLIST:
        waitlist_position = (
            event.rsvps.filter(answer=Rsvp.Answer.WAITLIST)
            .filter(answered_at__lte=rsvp.answered_at)
            .exclude(answered_at=rsvp.answered_at, pk__gt=rsvp.pk)
            .count()
        )
    attendees = []
    if seat.can_participate or seat.can_moderate:
        attendees = list(
            event.attendees().select_related("user").order_by("answered_at", "pk")[:100]
        )
    context = {
        "group": event.group,
        "seat": seat,
        "membership": seat.membership,
        "event": event,
        "rsvp": rsvp,
        "going": going,
        "waitlist_position": waitlist_position,
        "attendees": attendees,
        "can_edit": event.can_edit(seat),
        "can_reply": seat.can_participate and event.is_active and not event.is_past,
        "show_link": event.is_online and (going or event.can_edit(seat)),
        "attended": rsvp is not None and rsvp.attended_at is not None,
        "rsvp_form": RsvpForm(),
        "checkin_form": CheckInForm(),
    }
    context.update(extra)
    return context


@require_GET
@cache_for_visitors
# Members race for an event's last seats: its page never settles (config.page_cache).
@shared_for_members(event_reader, event_pages, settle=False)
def event_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    return render(request, "groups/event.html", _detail_context(request, seat, event))


@login_required
@require_POST
def event_rsvp(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    if not seat.can_participate:
        raise PermissionDenied
    form = RsvpForm(request.POST)
    error = None
    if form.is_valid():
        try:
            rsvp = event.rsvp(request.user, form.cleaned_data["answer"])
        except GroupActionError as failure:
            error = str(failure)
        else:
            event.refresh_from_db()
            if rsvp.answer == Rsvp.Answer.WAITLIST:
                text = _("The event is full: you are on the waitlist.")
            elif rsvp.answer == Rsvp.Answer.GOING:
                text = _("You are going.")
            else:
                text = _("Reply saved.")
    else:
        error = _("Choose going, maybe or not going.")
    if request.htmx:
        context = _detail_context(request, seat, event, rsvp_error=error)
        if error is None:
            context["rsvp_result"] = text
        return render(request, "groups/event.html#rsvp", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, text)
    return redirect(event.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def event_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    if not event.can_edit(seat):
        raise PermissionDenied
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if event.cancel(by=request.user, message=form.cleaned_data["message"]):
            messages.success(request, _("Event cancelled: everyone who replied was told."))
        return redirect(event.get_absolute_url())
    return render(
        request, "groups/event_cancel.html", {"group": event.group, "event": event, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_attendance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The organiser ticks who was there; the check-in code is shown here for the door."""
    seat, event = get_event_for_reader(request, slug, pk)
    if not event.can_edit(seat):
        raise PermissionDenied
    form = AttendanceForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        present = set(form.cleaned_data["present"])
        going = set(event.attendees().values_list("user_id", flat=True))
        with transaction.atomic():
            event.mark_attended(present, present=True)
            event.mark_attended(going - present, present=False)
        messages.success(request, _("Attendance saved."))
        return redirect(reverse("groups:event_attendance", args=[event.group.slug, event.pk]))
    attendees = list(event.attendees().select_related("user").order_by("user__display_name"))
    return render(
        request,
        "groups/event_attendance.html",
        {"group": event.group, "event": event, "form": form, "attendees": attendees},
    )


@login_required
@require_POST
def event_checkin(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    if not seat.can_participate:
        raise PermissionDenied
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            if event.check_in(request.user, form.cleaned_data["code"]):
                messages.success(request, _("Checked in: welcome!"))
            else:
                messages.info(request, _("Only members who are going can check in."))
        except GroupActionError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("Type the code shown at the event."))
    return redirect(event.get_absolute_url())


@login_required
@require_GET
def event_people(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """People you met: the other attendees marked present, for an attendee marked present."""
    seat, event = get_event_for_reader(request, slug, pk)
    people = list(event.people_met_by(request.user))
    if not people and not event.rsvps.filter(user=request.user, attended_at__isnull=False).exists():
        raise PermissionDenied
    return render(
        request,
        "groups/event_people.html",
        {"group": event.group, "event": event, "people": people},
    )


@require_GET
def event_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    going = (
        request.user.is_authenticated
        and event.rsvps.filter(user=request.user, answer=Rsvp.Answer.GOING).exists()
    )
    body = calendar.ics_for([event], request, with_links={event.pk} if going else set())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gilda-event-{event.pk}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    feed = CalendarFeed.for_user(request.user)
    if request.method == "POST":
        feed.revoke()
        messages.success(request, _("A new address was made: the old one no longer works."))
        return redirect("calendar")
    url = request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))
    return render(request, "groups/calendar.html", {"feed": feed, "feed_url": url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A member's events for a calendar app: the secret address is the only key."""
    if len(token) > 64:
        raise Http404
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    user = feed.user
    if not user.is_active:
        raise Http404
    since = timezone.now() - datetime.timedelta(days=90)
    events = list(
        Event.objects.readable_by(user)
        .filter(rsvps__user=user, rsvps__answer=Rsvp.Answer.GOING, ends_at__gte=since)
        .select_related("group")
        .order_by("starts_at")[:500]
    )
    body = calendar.ics_for(events, request, with_links={event.pk for event in events})
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
