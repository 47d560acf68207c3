"""On a phone, a member finds who is near them in the directory, with live (htmx) filters."""

import re

import pytest
from playwright.sync_api import expect

from groups.models import Sector
from profiles.models import Skill

pytestmark = pytest.mark.browser


def test_a_member_finds_colleagues_near_them_on_a_phone(
    live_server, phone_page, screenshot, make_user, bob, alice, carol, dave, sector, log_in, settle
):
    page, base = phone_page, live_server.url
    copywriting = Skill.objects.create(name="Copywriting", is_approved=True)
    giulia = make_user("giulia@example.com", "Giulia Conti")
    # get_or_create: an earlier live_server test may have flushed the seeded sectors.
    other_sector = Sector.objects.get_or_create(slug="design", defaults={"name": "Design"})[0]
    settle(bob, "Milano", headline="Art director")
    settle(
        giulia, "Monza", headline="Copywriter per il vino", sector=sector, open_to="collaborations"
    )
    giulia.profile.skills.add(copywriting)
    settle(alice, "Torino", headline="Copywriter per e-commerce", sector=sector)
    settle(carol, "Sondrio", region_only=True, headline="Traduttrice tecnica")
    settle(dave, "Palermo", headline="Grafico", sector=other_sector)

    log_in(page, base, "bob@example.com")
    page.click("label.nav-toggle-label")
    page.click("[data-testid=nav-directory]")
    page.wait_for_url(f"{base}/persone/")
    expect(page.locator("h1")).to_have_text("Persone")
    expect(page.locator("[data-testid=member-card]")).to_have_count(4)

    # Sorting by "Vicino a me" swaps the results in place and keeps the address shareable.
    page.select_option("#id_ordine", "vicino")
    page.wait_for_url(re.compile(r"ordine=vicino"))
    expect(page.locator("[data-testid=directory-summary]")).to_contain_text("entro 100 km da te")
    first = page.locator("[data-testid=member-card]").first
    expect(first).to_contain_text("Giulia Conti")
    expect(first.locator("[data-testid=distance]")).to_have_text(re.compile(r"^1\d km$"))
    # Carol shows only her region: the distance is from its centre, and Sondrio is nowhere.
    expect(page.locator(f"[data-member='{carol.pk}'] [data-testid=distance]")).to_contain_text("≈")
    expect(page.locator("main")).not_to_contain_text("Sondrio")
    assert page.locator(f"[data-member='{dave.pk}']").count() == 0  # Palermo is far
    screenshot(page, "directory-01-near-me-phone")

    # Widening the radius brings Torino in; a sector narrows to the copywriters.
    page.select_option("#id_raggio", "200")
    expect(page.locator(f"[data-member='{alice.pk}'] [data-testid=distance]")).to_have_text(
        re.compile(r"^12\d km$")
    )
    page.select_option("#id_settore", sector.slug)
    expect(page.locator("[data-testid=member-card]")).to_have_count(2)
    page.fill("#id_q", "vino")
    expect(page.locator("[data-testid=member-card]")).to_have_count(1)
    expect(page.locator("[data-testid=member-card]")).to_contain_text("Copywriting")
    screenshot(page, "directory-02-filtered-phone")

    # The pushed URL is a plain GET page: reloading it shows the same results.
    page.reload()
    expect(page.locator("[data-testid=member-card]")).to_have_count(1)
    expect(page.locator("#id_q")).to_have_value("vino")
    assert page.console_errors == []
