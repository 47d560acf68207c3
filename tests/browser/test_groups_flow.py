import re

import pytest
from playwright.sync_api import expect

from groups.models import Group, Membership

pytestmark = pytest.mark.browser


@pytest.fixture
def alices_group(alice, carol, moderator, sector):
    group = Group.create_with_owner(
        alice,
        name="Copywriter Italia",
        slug="copywriter-italia",
        sector=sector,
        visibility="closed",
        membership_question="Per chi scrivi oggi?",
        description="Il gruppo di chi scrive per **mestiere**.",
        rules="1. Rispetto per i colleghi.\n2. Niente autopromozione.",
    )
    group.set_role(group.add_member(moderator), Membership.Role.MODERATOR, by=alice)
    group.request_to_join(
        carol, answer="Schede prodotto e newsletter per e-commerce di moda.", note="Ciao!"
    )
    return group


def test_bob_asks_alice_approves_bob_reads_the_threads(
    live_server, browser, page, phone_page, screenshot, alices_group, bob, log_in
):
    base = live_server.url
    group_url = f"{base}/gruppi/{alices_group.slug}/"

    # Bob finds the closed group: the card is public, the inside is not.
    log_in(page, base, "bob@example.com")
    page.goto(group_url)
    assert page.locator("#threads").count() == 0
    assert page.locator("[data-testid=members-only]").is_visible()
    screenshot(page, "groups-00-closed-card")
    page.click("[data-testid=ask-to-join]")
    page.wait_for_url(re.compile(r"/unisciti/$"))
    assert "Per chi scrivi oggi?" in page.inner_text("main")
    page.fill("#id_answer", "Testi per siti di studi legali e commercialisti.")
    page.check("#id_accept_rules")
    screenshot(page, "groups-01-join-request")
    page.click("[data-testid=send-request]")
    page.wait_for_url(group_url)
    assert page.locator("[data-testid=pending]").is_visible()

    # Alice sees the badge on her group page, opens the queue and approves Bob inline.
    alice_context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    alice_page = alice_context.new_page()
    alice_page.set_default_timeout(10_000)
    errors = []
    alice_page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    alice_page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(alice_page, base, "alice@example.com")
    alice_page.goto(group_url)
    assert alice_page.inner_text("[data-testid=queue-badge]") == "2"
    alice_page.click("[data-testid=queue-link]")
    alice_page.wait_for_url(re.compile(r"/richieste/$"))
    bob_card = alice_page.locator("[data-testid=request-card]", has_text="Roberto Bianchi")
    assert "studi legali" in bob_card.inner_text()
    screenshot(alice_page, "groups-02-queue-desktop")

    log_in(phone_page, base, "alice@example.com")
    phone_page.goto(f"{group_url}richieste/")
    screenshot(phone_page, "groups-03-queue-phone")

    bob_card.locator("[data-testid=approve]").click()
    outcome = alice_page.locator("[data-testid=request-card]", has_text="Roberto Bianchi")
    outcome.locator("[data-testid=outcome]").wait_for()
    assert "Approvata" in outcome.inner_text()
    assert alice_page.inner_text("#queue-count") == "1"
    assert alice_page.url.endswith("/richieste/"), "htmx swapped the card in place"
    screenshot(alice_page, "groups-04-queue-after-approval")

    # Bob now reads the inside of the group.
    page.goto(group_url)
    assert page.locator("#threads").is_visible()
    assert "Discussioni" in page.inner_text("#threads")
    screenshot(page, "groups-05-bob-inside")
    assert alices_group.memberships.filter(user=bob).exists()

    assert page.console_errors == []
    assert phone_page.console_errors == []
    assert errors == []
    alice_context.close()


def test_search_filters_as_you_type_and_works_on_a_phone(
    live_server, phone_page, screenshot, alices_group, open_group, alice
):
    from groups.models import Sector

    legal = Sector.objects.get_or_create(slug="legale", defaults={"name": "Legale"})[0]
    Group.create_with_owner(alice, name="Avvocati del lavoro", slug="avvocati", sector=legal)
    phone_page.goto(f"{live_server.url}/gruppi/")
    assert phone_page.locator("[data-testid=group-card]").count() == 3

    phone_page.fill("#group-q", "avvocati")
    expect(phone_page.locator("[data-testid=group-card]")).to_have_count(1)

    assert "Avvocati del lavoro" in phone_page.inner_text("#results")
    assert "q=avvocati" in phone_page.url, "the search is in the address, so it can be shared"
    screenshot(phone_page, "groups-06-search-phone")
    assert phone_page.console_errors == []
