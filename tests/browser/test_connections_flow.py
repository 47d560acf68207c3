"""Dave sees Erin suggested because of two mutual connections, sends a personal request;
Erin accepts on her phone without a reload, and the suggestion is gone on both sides."""

import re

import pytest
from playwright.sync_api import expect

from connections.models import Connection, ConnectionRequest
from connections.suggestions import refresh_for

pytestmark = pytest.mark.browser


def test_dave_connects_with_erin_through_a_suggestion(
    live_server, page, phone_page, screenshot, make_user, alice, bob, dave, open_group, log_in
):
    erin = make_user("erin@example.com", "Erica Marino")
    for a, b in [(dave, alice), (dave, bob), (erin, alice), (erin, bob)]:
        Connection.objects.create(user_low_id=min(a.pk, b.pk), user_high_id=max(a.pk, b.pk))
    open_group.join(dave)
    open_group.join(erin)
    refresh_for([dave.pk, erin.pk])
    base = live_server.url

    # Dave, on a desktop: Erin is suggested, explained by the two names.
    log_in(page, base, "dave@example.com")
    page.click("[data-testid=nav-network]")
    page.wait_for_url(f"{base}/rete/")
    card = page.locator(f"#suggestion-{erin.pk}")
    expect(card.locator("[data-testid=explanation]")).to_contain_text(
        "2 connessioni in comune: Alice Romano e Roberto Bianchi"
    )
    screenshot(page, "connections-00-suggestions-desktop")

    # The request form opens in the card, pre-filled with the group they share.
    card.locator("[data-testid=connect]").click()
    message = card.locator("[data-testid=request-message]")
    expect(message).to_have_value(re.compile(r"^Ciao Erica, ci siamo conosciuti nel gruppo"))
    expect(message).to_have_value(re.compile("Social media manager"))
    message.fill(
        "Ciao Erica, ci siamo conosciuti nel gruppo Social media manager: restiamo in contatto?"
    )
    expect(card.locator(".char-counter")).to_contain_text("86/500")
    screenshot(page, "connections-01-request-form-desktop")
    card.locator("[data-testid=send-request]").click()
    expect(card.locator("[data-testid=state-sent]")).to_be_visible()
    expect(card.locator("[data-testid=panel-result]")).to_contain_text("Richiesta inviata a Erica")
    assert ConnectionRequest.objects.filter(sender=dave, recipient=erin, status="pending").exists()
    page.reload()
    expect(page.locator(f"#suggestion-{erin.pk}")).to_have_count(0)
    expect(page.locator("#outgoing")).to_contain_text("Erica Marino")
    screenshot(page, "connections-02-request-sent-desktop")

    # Erin, on her phone: the badge, the request with its message, accepted in place.
    phone = phone_page
    log_in(phone, base, "erin@example.com")
    phone.click("label.nav-toggle-label")
    expect(phone.locator("[data-testid=incoming-count]")).to_have_text("1")
    phone.click("[data-testid=nav-network]")
    phone.wait_for_url(f"{base}/rete/")
    expect(phone.locator(f"#suggestion-{dave.pk}")).to_have_count(0)
    request_card = phone.locator("#incoming [data-testid=request-card]")
    expect(request_card).to_contain_text("restiamo in contatto?")
    screenshot(phone, "connections-03-incoming-phone")
    phone.evaluate("window.__sameDocument = true")
    request_card.locator("[data-testid=accept]").click()
    expect(request_card.locator("[data-testid=request-result]")).to_contain_text(
        "Ora c'è una connessione tra te e Davide Ricci"
    )
    assert phone.evaluate("window.__sameDocument") is True  # no reload: htmx swapped the card
    screenshot(phone, "connections-04-accepted-phone")
    assert Connection.objects.between(dave.pk, erin.pk).exists()
    assert phone.console_errors == []

    # Gone from both sides' suggestions, present in both connection lists.
    phone.reload()
    expect(phone.locator(f"#suggestion-{dave.pk}")).to_have_count(0)
    expect(phone.locator("[data-testid=connection-list]")).to_contain_text("Davide Ricci")
    page.reload()
    expect(page.locator(f"#suggestion-{erin.pk}")).to_have_count(0)
    expect(page.locator("[data-testid=connection-list]")).to_contain_text("Erica Marino")
    screenshot(page, "connections-05-network-desktop")
    page.goto(f"{base}{erin.get_absolute_url()}")
    expect(page.locator("[data-testid=state-connected]")).to_be_visible()
    expect(page.locator("[data-testid=mutual]")).to_contain_text("2 connessioni in comune")
    screenshot(page, "connections-06-profile-desktop")
    assert page.console_errors == []
