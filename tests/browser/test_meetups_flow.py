"""A moderator organises a meetup in Milano with 10 seats and a quorum of 3; members reply on
phone and desktop; the last seat goes, the next one waits and is promoted when someone drops
out; after the event the organiser takes attendance and two attendees connect through
"people you met"."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import ConnectionRequest
from groups.models import Event, Rsvp
from profiles import gazetteer

pytestmark = pytest.mark.browser


def test_a_meetup_from_creation_to_people_you_met(
    live_server, page, phone_page, screenshot, make_user, closed_group, bob, moderator, log_in
):
    base = live_server.url
    erin = make_user("erin@example.com", "Erica Marino")
    closed_group.add_member(erin)

    # The moderator, on a desktop, organises it from the group page.
    log_in(page, base, moderator.email)
    page.goto(f"{base}{closed_group.get_absolute_url()}")
    page.click("[data-testid=event-create-link]")
    day = (timezone.localtime() + timedelta(days=6)).strftime("%Y-%m-%d")
    page.fill("#id_title", "Aperitivo dei copywriter")
    page.fill("#id_description", "Porta un caso **vero**.")
    page.fill("#id_city", "Milano")
    page.fill("#id_address", "Via Tortona 27")
    page.fill("#id_starts_at", f"{day}T19:00")
    page.fill("#id_ends_at", f"{day}T21:00")
    page.fill("#id_capacity", "10")
    page.fill("#id_quorum", "3")
    deadline = (timezone.localtime() + timedelta(days=4)).strftime("%Y-%m-%d")
    page.fill("#id_quorum_deadline", f"{deadline}T12:00")
    screenshot(page, "meetups-00-create-desktop")
    # The first city lookup loads the offline gazetteer: slow on a loaded machine.
    page.set_default_timeout(60_000)
    page.click("[data-testid=event-save]")
    page.set_default_timeout(15_000)
    expect(page.locator("[data-testid=event-title]")).to_have_text("Aperitivo dei copywriter")
    expect(page.locator("[data-testid=event-place]")).to_contain_text("Via Tortona 27, Milano")
    expect(page.locator("[data-testid=my-rsvp]")).to_contain_text("Partecipo")
    event = Event.objects.get()
    assert event.local_starts_at.strftime("%H:%M") == "19:00"
    screenshot(page, "meetups-01-event-desktop")

    # Eight more go (the organiser holds one seat): one seat is left.
    people = []
    for number in range(8):
        person = make_user(f"socio{number}@example.com", f"Socio {number}")
        closed_group.add_member(person)
        event.rsvp(person, Rsvp.Answer.GOING)
        people.append(person)

    # Bob lives in Monza: on his phone's home the meetup is among the upcoming events.
    monza = gazetteer.find("Monza")
    profile = bob.profile
    profile.geoname_id, profile.city, profile.region = monza.geoname_id, monza.name, monza.region
    profile.latitude, profile.longitude, profile.country = monza.latitude, monza.longitude, "IT"
    profile.save()
    phone = phone_page
    log_in(phone, base, bob.email)
    expect(phone.locator("[data-testid=home-events]")).to_contain_text(
        "Aperitivo dei copywriter", timeout=30_000
    )
    # He takes the last seat without a reload.
    phone.goto(f"{base}{event.get_absolute_url()}")
    expect(phone.locator("[data-testid=event-seats]")).to_contain_text("resta 1 posto")
    phone.click("[data-testid=rsvp-going]")
    expect(phone.locator("#rsvp [role=status]")).to_have_text("Partecipi.")
    expect(phone.locator("[data-testid=event-seats]")).to_contain_text("10 partecipano")
    screenshot(phone, "meetups-02-last-seat-phone")

    # Erin finds it full and joins the waitlist.
    erin_context = page.context.browser.new_context(locale="it-IT")
    erin_page = erin_context.new_page()
    log_in(erin_page, base, erin.email)
    erin_page.goto(f"{base}/eventi/")
    erin_page.click("text=Aperitivo dei copywriter")
    expect(erin_page.locator("[data-testid=rsvp-going]")).to_have_text("Mettiti in lista d'attesa")
    erin_page.click("[data-testid=rsvp-going]")
    expect(erin_page.locator("#rsvp [role=status]")).to_contain_text("lista d'attesa")
    expect(erin_page.locator("[data-testid=my-rsvp]")).to_contain_text("numero 1")

    # Bob drops out: Erin is promoted and told.
    phone.click("[data-testid=rsvp-no]")
    expect(phone.locator("[data-testid=my-rsvp]")).to_contain_text("Non partecipo")
    erin_page.reload()
    expect(erin_page.locator("[data-testid=my-rsvp]")).to_contain_text("Partecipo")
    assert erin.notifications.filter(kind="event-promoted").count() == 1

    # After the event the organiser takes attendance.
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(days=1, hours=2),
        ends_at=timezone.now() - timedelta(days=1),
    )
    page.goto(f"{base}{event.get_absolute_url()}")
    page.click("[data-testid=event-attendance]")
    expect(page.locator("[data-testid=checkin-code]")).to_have_text(event.checkin_code)
    page.check(f"input[name=present][value='{erin.pk}']")
    page.check(f"input[name=present][value='{moderator.pk}']")
    page.check(f"input[name=present][value='{people[0].pk}']")
    page.click("[data-testid=attendance-save]")
    expect(page.locator(".messages")).to_contain_text("Presenze salvate")

    # Erin sees who she met and connects, with a message naming the event.
    erin_page.goto(f"{base}{event.get_absolute_url()}")
    erin_page.click("[data-testid=people-met-link]")
    met = erin_page.locator("[data-testid=person-met]")
    expect(met).to_have_count(2)
    expect(met.filter(has_text=moderator.name)).to_have_count(1)
    expect(met.filter(has_text=people[0].name)).to_have_count(1)
    screenshot(erin_page, "meetups-03-people-you-met-desktop")
    met.filter(has_text=moderator.name).locator("[data-testid=connect-met]").click()
    message = erin_page.locator("[data-testid=request-message]")
    expect(message).to_have_value(re.compile("Aperitivo dei copywriter"))
    erin_page.click("[data-testid=send-request]")
    expect(erin_page.locator("body")).to_contain_text("Richiesta inviata")
    assert ConnectionRequest.objects.filter(sender=erin, recipient=moderator).exists()

    # A third attendee finds Erin among people they may know, explained by the meetup.
    third = page.context.browser.new_context(locale="it-IT")
    third_page = third.new_page()
    log_in(third_page, base, people[0].email)
    third_page.goto(f"{base}/rete/")
    card = third_page.locator(f"#suggestion-{erin.pk}")
    expect(card.locator("[data-testid=explanation]")).to_contain_text(
        "Eravate presenti a “Aperitivo dei copywriter”"
    )
    screenshot(third_page, "meetups-04-you-were-both-at-desktop")
    assert page.console_errors == [] and phone.console_errors == []
    third.close()
    erin_context.close()
