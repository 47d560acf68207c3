"""Meetups: RSVP and capacity, waitlist promotion, quorum, reminders, check-in, people you
met, the calendar files, and the forms' rules."""

from datetime import timedelta

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from groups.models import CalendarFeed, Event, GroupActionError, ModerationLog, Rsvp
from groups.tasks import decide_event_quorums, send_event_reminders
from profiles.models import Notification
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def fill(event, group, make_user, count: int, prefix: str = "p"):
    people = []
    for number in range(count):
        person = make_user(f"{prefix}{number}@example.com", f"Persona {prefix}{number}")
        group.add_member(person)
        event.rsvp(person, Rsvp.Answer.GOING)
        people.append(person)
    return people


# RSVP, capacity and the waitlist --------------------------------------------------------


def test_going_counts_and_the_eleventh_joins_the_waitlist(meetup, closed_group, make_user):
    people = fill(meetup, closed_group, make_user, 10)
    extra = make_user("extra@example.com", "Extra")
    closed_group.add_member(extra)

    rsvp = meetup.rsvp(extra, Rsvp.Answer.GOING)

    meetup.refresh_from_db()
    assert rsvp.answer == Rsvp.Answer.WAITLIST
    assert meetup.going_count == 10 == meetup.rsvps.filter(answer="going").count()
    assert len(people) == 10


def test_cancelling_promotes_the_first_on_the_waitlist_and_tells_them(
    meetup, closed_group, make_user
):
    people = fill(meetup, closed_group, make_user, 10)
    first, second = (make_user(f"w{n}@example.com", f"Attesa {n}") for n in range(2))
    for person in (first, second):
        closed_group.add_member(person)
        meetup.rsvp(person, Rsvp.Answer.GOING)

    meetup.rsvp(people[0], Rsvp.Answer.NOT_GOING)

    meetup.refresh_from_db()
    assert meetup.going_count == 10
    assert Rsvp.objects.get(event=meetup, user=first).answer == "going"
    assert Rsvp.objects.get(event=meetup, user=second).answer == "waitlist"
    told = Notification.objects.filter(kind="event-promoted")
    assert list(told.values_list("recipient", flat=True)) == [first.pk]


def test_answering_going_twice_takes_one_seat(meetup, bob):
    meetup.rsvp(bob, "going")
    meetup.rsvp(bob, "going")
    meetup.refresh_from_db()
    assert meetup.going_count == 1


def test_maybe_and_no_take_no_seat(meetup, bob):
    meetup.rsvp(bob, "maybe")
    meetup.refresh_from_db()
    assert meetup.going_count == 0
    meetup.rsvp(bob, "going")
    meetup.rsvp(bob, "no")
    meetup.refresh_from_db()
    assert meetup.going_count == 0


def test_a_cancelled_event_takes_no_replies(meetup, bob, alice):
    meetup.cancel(by=alice, message="Pioggia")
    with pytest.raises(GroupActionError):
        meetup.rsvp(bob, "going")


def test_an_overbooked_row_is_refused_by_the_database(meetup):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=meetup.pk).update(going_count=11)


# Cancelling, quorum, reminders -------------------------------------------------------------


def test_cancel_tells_everyone_who_replied_and_is_logged(meetup, alice, bob, moderator):
    meetup.rsvp(bob, "going")
    meetup.rsvp(moderator, "maybe")

    assert meetup.cancel(by=alice, message="Sala non disponibile")
    assert not meetup.cancel(by=alice, message="again")

    told = set(
        Notification.objects.filter(kind="event-cancelled").values_list("recipient", flat=True)
    )
    assert told == {bob.pk, moderator.pk}
    assert ModerationLog.objects.filter(action="ev-cancel", group=meetup.group).count() == 1


def test_quorum_reached_confirms_once(meetup, closed_group, make_user):
    fill(meetup, closed_group, make_user, 3)
    with time_machine.travel(meetup.quorum_deadline + timedelta(minutes=1), tick=False):
        assert decide_event_quorums() == 1
        assert decide_event_quorums() == 0
    meetup.refresh_from_db()
    assert meetup.status == Event.Status.CONFIRMED
    assert Notification.objects.filter(kind="event-confirmed").count() == 3


def test_quorum_missed_calls_it_off_and_says_so(meetup, closed_group, make_user):
    fill(meetup, closed_group, make_user, 2)
    with time_machine.travel(meetup.quorum_deadline - timedelta(minutes=1), tick=False):
        assert decide_event_quorums() == 0  # not yet
    with time_machine.travel(meetup.quorum_deadline + timedelta(minutes=1), tick=False):
        assert decide_event_quorums() == 1
    meetup.refresh_from_db()
    assert meetup.status == Event.Status.CALLED_OFF
    assert Notification.objects.filter(kind="event-called-off").count() == 2
    assert Notification.objects.filter(kind="event-confirmed").count() == 0


def test_reminders_go_once_the_day_before_to_those_going(meetup, bob, moderator):
    meetup.rsvp(bob, "going")
    meetup.rsvp(moderator, "no")
    with time_machine.travel(meetup.starts_at - timedelta(days=2), tick=False):
        assert send_event_reminders() == 0
    with time_machine.travel(meetup.starts_at - timedelta(hours=20), tick=False):
        assert send_event_reminders() == 1
        assert send_event_reminders() == 0
    reminders = Notification.objects.filter(kind="event-reminder")
    assert list(reminders.values_list("recipient", flat=True)) == [bob.pk]


# Check-in and people you met -----------------------------------------------------------------


def test_check_in_needs_the_code_and_the_time(meetup, bob):
    meetup.rsvp(bob, "going")
    with pytest.raises(GroupActionError):
        meetup.check_in(bob, meetup.checkin_code)  # a week early
    with time_machine.travel(meetup.starts_at + timedelta(minutes=10), tick=False):
        with pytest.raises(GroupActionError):
            meetup.check_in(bob, "WRONG1")
        assert meetup.check_in(bob, meetup.checkin_code.lower())
    assert Rsvp.objects.get(event=meetup, user=bob).attended_at is not None


def test_a_member_checked_in_cannot_reply_not_going_during_the_event(meetup, bob, logged_in):
    meetup.rsvp(bob, "going")
    with time_machine.travel(meetup.starts_at + timedelta(minutes=10), tick=False):
        assert meetup.check_in(bob, meetup.checkin_code)
        with pytest.raises(GroupActionError):
            meetup.rsvp(bob, "no")
        url = reverse("groups:event_rsvp", args=[meetup.group.slug, meetup.pk])
        response = logged_in(bob).post(url, {"answer": "no"})
    assert response.status_code in (200, 302)  # a message, never a 500
    rsvp = Rsvp.objects.get(event=meetup, user=bob)
    assert (rsvp.answer, rsvp.attended_at is not None) == ("going", True)


def test_people_you_met_only_for_attendees_marked_present(meetup, bob, moderator, alice, logged_in):
    for person in (alice, bob, moderator):
        meetup.rsvp(person, "going")
    meetup.mark_attended([bob.pk, moderator.pk])
    url = reverse("groups:event_people", args=[meetup.group.slug, meetup.pk])

    page = logged_in(bob).get(url)
    assert page.status_code == 200
    assert moderator.name in page.text and alice.name not in page.text
    assert logged_in(alice).get(url).status_code == 403  # going, but not marked present

    connect = reverse("connections:connect", args=[moderator.pk]) + f"?evento={meetup.pk}"
    form = logged_in(bob).get(connect)
    assert meetup.title in form.text
    # Someone who was not there cannot get the event named for them.
    other = logged_in(alice).get(
        reverse("connections:connect", args=[bob.pk]) + f"?evento={meetup.pk}"
    )
    assert meetup.title not in other.text


# Calendar files ------------------------------------------------------------------------------


def test_event_ics_parses_back_with_the_right_times(meetup, bob, logged_in):
    response = logged_in(bob).get(reverse("groups:event_ics", args=[meetup.group.slug, meetup.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["summary"]) == meetup.title
    assert entry.decoded("dtstart") == meetup.starts_at
    assert entry.decoded("dtend") == meetup.ends_at
    assert "Via Tortona 12" in str(entry["location"])


def test_online_link_only_for_members_going(webinar, bob, logged_in, client, open_group):
    open_group.add_member(bob)
    url = webinar.get_absolute_url()
    ics = reverse("groups:event_ics", args=[open_group.slug, webinar.pk])
    assert webinar.online_url not in client.get(url).text
    assert webinar.online_url.encode() not in client.get(ics).content
    bob_client = logged_in(bob)
    assert webinar.online_url not in bob_client.get(url).text
    webinar.rsvp(bob, "going")
    assert webinar.online_url in bob_client.get(url).text
    assert webinar.online_url.encode() in bob_client.get(ics).content


def test_calendar_feed_lists_my_events_and_revoking_kills_the_old_address(
    meetup, webinar, bob, logged_in, client, open_group
):
    open_group.add_member(bob)
    meetup.rsvp(bob, "going")
    webinar.rsvp(bob, "maybe")
    feed = CalendarFeed.for_user(bob)
    assert len(feed.token) >= 40
    old_url = reverse("calendar_feed", args=[feed.token])

    calendar = icalendar.Calendar.from_ical(client.get(old_url).content)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == [meetup.title]

    bob_client = logged_in(bob)
    assert bob_client.post(reverse("calendar")).status_code == 302
    assert client.get(old_url).status_code == 404
    feed.refresh_from_db()
    assert client.get(reverse("calendar_feed", args=[feed.token])).status_code == 200
    # A guessed token finds nothing.
    assert client.get(reverse("calendar_feed", args=["x" * 43])).status_code == 404


def test_feed_drops_a_closed_groups_events_after_leaving(meetup, bob, client, closed_group):
    meetup.rsvp(bob, "going")
    feed = CalendarFeed.for_user(bob)
    closed_group.leave(bob)
    body = client.get(reverse("calendar_feed", args=[feed.token])).content
    assert meetup.title.encode() not in body


# Forms -----------------------------------------------------------------------------------


def form_data(**overrides):
    start = timezone.localtime() + timedelta(days=3)
    data = {
        "title": "Colazione tra avvocati",
        "description": "",
        "format": "in_person",
        "city": "Milano",
        "address": "Corso Como 1",
        "latitude": "",
        "longitude": "",
        "online_url": "",
        "time_zone": "Europe/Rome",
        "starts_at": start.strftime("%Y-%m-%dT09:00"),
        "ends_at": start.strftime("%Y-%m-%dT10:30"),
        "capacity": "10",
        "quorum": "",
        "quorum_deadline": "",
    }
    data.update(overrides)
    return data


def test_moderator_creates_an_event_in_rome_time(closed_group, moderator, logged_in):
    url = reverse("groups:event_create", args=[closed_group.slug])
    response = logged_in(moderator).post(url, form_data())
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.local_starts_at.strftime("%H:%M") == "09:00"
    assert event.city == "Milano" and event.latitude is not None
    assert event.going_count == 1  # the organiser goes
    assert ModerationLog.objects.filter(action="ev-create").count() == 1


def test_times_are_read_in_the_events_zone(closed_group, moderator, logged_in):
    url = reverse("groups:event_create", args=[closed_group.slug])
    logged_in(moderator).post(url, form_data(time_zone="Europe/London"))
    event = Event.objects.get()
    assert event.starts_at.astimezone(event.tz).strftime("%H:%M") == "09:00"
    assert timezone.localtime(event.starts_at).strftime("%H:%M") == "10:00"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"city": "Atlantide sul Mare"}, "city"),
        ({"city": ""}, "city"),
        ({"format": "online"}, "online_url"),
        ({"ends_at": "2020-01-01T08:00"}, "ends_at"),
        ({"starts_at": "2020-01-01T08:00", "ends_at": "2020-01-01T09:00"}, "starts_at"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "5", "quorum": "8", "quorum_deadline": "2099-01-01T08:00"}, "quorum"),
        ({"quorum": "3"}, "quorum_deadline"),
        ({"latitude": "45"}, "latitude"),
        ({"latitude": "145", "longitude": "9"}, "latitude"),
        ({"starts_at": "domani"}, "starts_at"),
        ({"title": "  "}, "title"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_bad_event_forms_keep_the_input_and_say_why(
    closed_group, moderator, logged_in, overrides, field
):
    url = reverse("groups:event_create", args=[closed_group.slug])
    data = form_data(**overrides)
    response = logged_in(moderator).post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Corso Como 1" in response.text or data["format"] == "online"
    assert not Event.objects.exists()


def test_members_create_events_only_where_the_group_allows(closed_group, bob, logged_in):
    url = reverse("groups:event_create", args=[closed_group.slug])
    client = logged_in(bob)
    assert client.get(url).status_code == 403
    closed_group.members_create_events = True
    closed_group.save(update_fields=["members_create_events"])
    assert client.post(url, form_data()).status_code == 302
    event = Event.objects.get()
    assert event.organiser == bob
    # The organiser edits; another member does not.
    assert (
        client.get(reverse("groups:event_edit", args=[closed_group.slug, event.pk])).status_code
        == 200
    )


def test_edit_cannot_drop_seats_below_those_going(
    meetup, closed_group, make_user, logged_in, alice
):
    fill(meetup, closed_group, make_user, 4)
    url = reverse("groups:event_edit", args=[closed_group.slug, meetup.pk])
    local = meetup.local_starts_at
    data = form_data(
        capacity="2",
        starts_at=local.strftime("%Y-%m-%dT%H:%M"),
        ends_at=meetup.local_ends_at.strftime("%Y-%m-%dT%H:%M"),
    )
    response = logged_in(alice).post(url, data)
    assert response.status_code == 200 and "capacity" in response.context["form"].errors


def test_rsvp_by_htmx_returns_the_fragment(meetup, bob, logged_in):
    url = reverse("groups:event_rsvp", args=[meetup.group.slug, meetup.pk])
    response = logged_in(bob).post(url, {"answer": "going"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="rsvp"' in response.text and "<html" not in response.text
    assert logged_in(bob).post(url, {"answer": "forse"}).status_code == 302  # error message


def test_events_list_filters_by_city_and_radius(
    meetup, webinar, closed_group, bob, logged_in, client
):
    roma = make_event(closed_group, bob, title="Pranzo a Roma", city="Roma")
    from profiles import gazetteer

    rome = gazetteer.find("Roma")
    Event.objects.filter(pk=roma.pk).update(
        geoname_id=rome.geoname_id, latitude=rome.latitude, longitude=rome.longitude
    )
    page = logged_in(bob).get(reverse("events"), {"citta": "Monza", "raggio": "25"})
    titles = [event.title for event in page.context["page"]]
    assert titles == [meetup.title]
    # Anonymous visitors see only open groups' events.
    anonymous = [event.title for event in client.get(reverse("events")).context["page"]]
    assert anonymous == [webinar.title]
    bad = logged_in(bob).get(reverse("events"), {"citta": "Atlantide", "dal": "ieri"})
    assert bad.status_code == 200 and "Atlantide" in bad.text


# Permissions ----------------------------------------------------------------------------------

ROLES = ["anonymous", "stranger", "pending", "member", "moderator", "owner", "staff"]


def client_for(role, logged_in, client, *, dave, carol, bob, moderator, alice, staff):
    users = {"stranger": dave, "pending": carol, "member": bob, "moderator": moderator}
    users.update(owner=alice, staff=staff)
    return client if role == "anonymous" else logged_in(users[role])


@pytest.mark.parametrize("role", ROLES)
def test_closed_group_event_matrix(
    role, meetup, logged_in, client, dave, carol, bob, moderator, alice, staff
):
    c = client_for(
        role, logged_in, client, dave=dave, carol=carol, bob=bob, moderator=moderator,
        alice=alice, staff=staff,
    )  # fmt: skip
    slug, pk = meetup.group.slug, meetup.pk
    reads = role in {"member", "moderator", "owner", "staff"}
    edits = role in {"moderator", "owner", "staff"}
    expected_read = 200 if reads else 404
    assert c.get(reverse("groups:event", args=[slug, pk])).status_code == expected_read
    assert c.get(reverse("groups:event_ics", args=[slug, pk])).status_code == expected_read
    assert c.get(reverse("groups:events", args=[slug])).status_code == expected_read
    listed = [e.pk for e in c.get(reverse("events")).context["page"]]
    assert (pk in listed) == reads
    rsvp = c.post(reverse("groups:event_rsvp", args=[slug, pk]), {"answer": "going"})
    if role == "anonymous":
        assert rsvp.status_code == 302 and "login" in rsvp.url
    elif not reads:
        assert rsvp.status_code == 404
    elif role == "staff":
        assert rsvp.status_code == 403  # staff read, but hold no seat
    else:
        assert rsvp.status_code == 302
    for name in ("event_edit", "event_cancel", "event_attendance"):
        status = c.get(reverse(f"groups:{name}", args=[slug, pk])).status_code
        if role == "anonymous":
            assert status == 302
        else:
            assert status == (200 if edits else 404 if not reads else 403), name
    create = c.get(reverse("groups:event_create", args=[slug])).status_code
    if role != "anonymous":
        assert create == (200 if edits else 404 if not reads else 403)


def test_an_event_of_another_group_is_not_found_through_this_one(
    meetup, open_group, alice, logged_in
):
    response = logged_in(alice).get(reverse("groups:event", args=[open_group.slug, meetup.pk]))
    assert response.status_code == 404


# Query counts --------------------------------------------------------------------------------


def test_event_page_and_list_queries_stay_flat(
    meetup, closed_group, make_user, bob, logged_in, django_assert_num_queries, rendered_pages
):
    meetup.rsvp(bob, "going")
    client = logged_in(bob)
    url = meetup.get_absolute_url()
    client.get(url)
    client.get(reverse("events"))
    with django_assert_num_queries(QUERIES_EVENT_PAGE):
        client.get(url)
    with django_assert_num_queries(QUERIES_EVENTS_LIST):
        client.get(reverse("events"))
    fill(meetup, closed_group, make_user, 8)
    for number in range(5):
        make_event(closed_group, bob, title=f"Evento {number}")
    with django_assert_num_queries(QUERIES_EVENT_PAGE):
        client.get(url)
    with django_assert_num_queries(QUERIES_EVENTS_LIST):
        client.get(reverse("events"))


QUERIES_EVENT_PAGE = 6  # the group and the member's seat in it are one query
QUERIES_EVENTS_LIST = 5


def test_near_me_and_only_my_groups(meetup, webinar, closed_group, bob, logged_in):
    from profiles import gazetteer

    monza = gazetteer.find("Monza")
    profile = bob.profile
    profile.geoname_id, profile.city, profile.region = monza.geoname_id, monza.name, monza.region
    profile.latitude, profile.longitude, profile.country = monza.latitude, monza.longitude, "IT"
    profile.save()
    client = logged_in(bob)

    everything = client.get(reverse("events")).context["page"]
    distances = {event.title: event.distance_km for event in everything}
    assert 10 < distances[meetup.title] < 20  # Monza → Milano
    assert distances[webinar.title] is None  # online
    near = [e.title for e in client.get(reverse("events"), {"vicino": "1"}).context["page"]]
    assert near == [meetup.title]
    mine = [e.title for e in client.get(reverse("events"), {"miei": "1"}).context["page"]]
    assert mine == [meetup.title]  # bob is not in the open group


@pytest.mark.parametrize("role", ["anonymous", "stranger", "member", "owner", "staff"])
def test_open_group_event_matrix(
    role, webinar, open_group, logged_in, client, dave, bob, alice, staff
):
    open_group.add_member(bob)
    users = {"stranger": dave, "member": bob, "owner": alice, "staff": staff}
    c = client if role == "anonymous" else logged_in(users[role])
    slug, pk = open_group.slug, webinar.pk
    assert c.get(reverse("groups:event", args=[slug, pk])).status_code == 200
    assert c.get(reverse("groups:event_ics", args=[slug, pk])).status_code == 200
    assert pk in [e.pk for e in c.get(reverse("events")).context["page"]]
    participant = role in {"member", "owner"}
    writes = {
        "event_rsvp": {"answer": "going"},
        "event_checkin": {"code": webinar.checkin_code},
    }
    for name, data in writes.items():
        status = c.post(reverse(f"groups:{name}", args=[slug, pk]), data).status_code
        if role == "anonymous":
            assert status == 302
        else:
            assert status == (302 if participant else 403), (name, role)
    people = c.get(reverse("groups:event_people", args=[slug, pk])).status_code
    assert people == (302 if role == "anonymous" else 403)  # nobody was marked present
    edits = role in {"owner", "staff"}
    for name in ("event_edit", "event_cancel", "event_attendance"):
        status = c.get(reverse(f"groups:{name}", args=[slug, pk])).status_code
        assert status == (302 if role == "anonymous" else 200 if edits else 403), (name, role)


def test_home_shows_my_groups_events_and_readable_ones_near_me(
    meetup, webinar, closed_group, open_group, bob, dave, logged_in, make_user
):
    from profiles import gazetteer

    monza = gazetteer.find("Monza")
    nearby = make_event(open_group, dave, title="Colazione aperta a Milano")
    for member in (bob, dave):
        profile = member.profile
        profile.geoname_id, profile.city, profile.region = monza.geoname_id, monza.name, "x"
        profile.latitude, profile.longitude, profile.country = monza.latitude, monza.longitude, "IT"
        profile.save()

    bob_home = logged_in(bob).get("/").context["events"]
    assert {e.title for e in bob_home} == {nearby.title, meetup.title}
    assert all(e.distance_km is not None and e.distance_km < 20 for e in bob_home)
    # Dave is near Milano too, but the closed group's meetup is not for him.
    dave_home = [e.title for e in logged_in(dave).get("/").context["events"]]
    assert dave_home == [nearby.title]
    assert webinar.title not in dave_home  # online, of a group he is not in


def test_the_filters_are_a_search_landmark_laid_out_as_a_form(client, db):
    """role="search" on the form made Pico lay its eight fields out as one squeezed row (the
    filter button a column as tall as the form on a phone); the <search> element around it
    keeps the landmark without that."""
    html = client.get(reverse("events")).content.decode()
    assert '<search><form method="get" action="/eventi/" class="event-filters"' in html
    form = html.split('class="event-filters"')[1].split(">")[0]
    assert "role=" not in form
