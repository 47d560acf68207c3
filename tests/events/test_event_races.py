"""Meetup races on PostgreSQL: the last seat and the waitlist promotion under real row locks.

SQLite serialises writers, so these run only with DATABASE_URL set (CI step 2).
"""

import pytest
from django.urls import reverse

from groups.models import Rsvp
from tests.events.conftest import make_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def members(group, make_user, count, prefix):
    people = [make_user(f"{prefix}{n}@example.com", f"Socio {prefix}{n}") for n in range(count)]
    for person in people:
        group.add_member(person)
    return people


def test_two_members_taking_the_last_seat_confirm_exactly_one(
    closed_group, alice, make_user, all_at_once, logged_in
):
    for round_number in range(5):
        event = make_event(closed_group, alice, title=f"Ultimo posto {round_number}", capacity=3)
        first = members(closed_group, make_user, 2, f"r{round_number}a")
        for person in first:
            event.rsvp(person, "going")
        racers = members(closed_group, make_user, 2, f"r{round_number}b")
        url = reverse("groups:event_rsvp", args=[closed_group.slug, event.pk])
        clients = [logged_in(person) for person in racers]

        responses = all_at_once([lambda c=c: c.post(url, {"answer": "going"}) for c in clients])

        assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
        answers = sorted(
            Rsvp.objects.filter(event=event, user__in=racers).values_list("answer", flat=True)
        )
        assert answers == ["going", "waitlist"]
        event.refresh_from_db()
        assert event.going_count == 3 == event.rsvps.filter(answer="going").count()


def test_cancellations_at_once_promote_each_waitlisted_member_once(
    closed_group, alice, make_user, all_at_once, logged_in
):
    event = make_event(closed_group, alice, title="Promozioni", capacity=4)
    going = members(closed_group, make_user, 4, "g")
    waiting = members(closed_group, make_user, 3, "w")
    for person in going + waiting:
        event.rsvp(person, "going")
    url = reverse("groups:event_rsvp", args=[closed_group.slug, event.pk])
    clients = [logged_in(person) for person in going[:3]]

    all_at_once([lambda c=c: c.post(url, {"answer": "no"}) for c in clients])

    event.refresh_from_db()
    assert event.going_count == 4 == event.rsvps.filter(answer="going").count()
    assert set(event.rsvps.filter(answer="going").values_list("user", flat=True)) == {
        going[3].pk,
        *(person.pk for person in waiting),
    }
    from profiles.models import Notification

    assert Notification.objects.filter(kind="event-promoted").count() == 3


def test_twenty_rsvp_clicks_take_one_seat(closed_group, alice, bob, all_at_once, logged_in):
    event = make_event(closed_group, alice, title="Click", capacity=5)
    url = reverse("groups:event_rsvp", args=[closed_group.slug, event.pk])
    clients = [logged_in(bob) for _ in range(20)]

    responses = all_at_once([lambda c=c: c.post(url, {"answer": "going"}) for c in clients])

    assert [getattr(r, "status_code", r) for r in responses] == [302] * 20
    event.refresh_from_db()
    assert event.going_count == 1 == event.rsvps.count()
