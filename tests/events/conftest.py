"""Meetup fixtures: a Milano event in the closed group (10 seats, quorum 3) and an online
event in the open group, both next week."""

from datetime import timedelta

import pytest
from django.utils import timezone

from groups.models import Event
from profiles import gazetteer


def make_event(group, organiser, **fields) -> Event:
    next_week = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    starts = fields.pop("starts_at", next_week)
    milano = gazetteer.find("Milano")
    defaults = {
        "title": "Aperitivo dei copywriter",
        "description": "Ci vediamo per **parlare di lavoro**.",
        "format": Event.Format.IN_PERSON,
        "geoname_id": milano.geoname_id,
        "city": milano.name,
        "region": milano.region,
        "address": "Via Tortona 12",
        "latitude": milano.latitude,
        "longitude": milano.longitude,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
    }
    defaults.update(fields)
    return Event.objects.create(group=group, organiser=organiser, **defaults)


@pytest.fixture
def meetup(closed_group, alice):
    return make_event(
        closed_group,
        alice,
        capacity=10,
        quorum=3,
        quorum_deadline=timezone.now() + timedelta(days=5),
    )


@pytest.fixture
def webinar(open_group, alice):
    return make_event(
        open_group,
        alice,
        title="Webinar: Instagram per professionisti",
        format=Event.Format.ONLINE,
        online_url="https://meet.example.com/gilda-42",
        geoname_id=None,
        city="",
        region="",
        address="",
        latitude=None,
        longitude=None,
    )
