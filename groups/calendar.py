"""iCalendar files for events (RFC 5545, written with icalendar): one event's .ics and a
member's private feed. An online event's link is written only for members who are going."""

from django.http import HttpRequest
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from groups.models import Event


def ics_for(events: list[Event], request: HttpRequest, *, with_links: set[int]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Gilda//Eventi//IT")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Gilda")
    for event in events:
        entry = CalendarEvent()
        entry.add("uid", f"event-{event.pk}@gilda")
        entry.add("dtstamp", timezone.now())
        entry.add("dtstart", event.local_starts_at)
        entry.add("dtend", event.local_ends_at)
        entry.add("summary", event.title)
        url = request.build_absolute_uri(event.get_absolute_url())
        entry.add("url", url)
        description = event.description
        if event.is_online and event.pk in with_links:
            entry.add("location", event.online_url)
        elif not event.is_online:
            entry.add("location", event.place)
            if event.latitude is not None:
                entry.add("geo", (event.latitude, event.longitude))
        entry.add("description", f"{description}\n\n{url}".strip())
        if event.status in (Event.Status.CANCELLED, Event.Status.CALLED_OFF):
            entry.add("status", "CANCELLED")
        else:
            entry.add(
                "status", "CONFIRMED" if event.status == Event.Status.CONFIRMED else "TENTATIVE"
            )
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
