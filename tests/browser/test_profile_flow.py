"""A new member completes their profile on a phone: photo, city, skills, needs and offers."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from profiles import gazetteer
from profiles.models import Profile, Skill

pytestmark = pytest.mark.browser


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "ritratto.jpg"
    image = Image.new("RGB", (1200, 900), (40, 110, 160))
    for x in range(300, 900):
        for y in range(200, 260):
            image.putpixel((x, y), (240, 200, 80))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_new_member_completes_their_profile_on_a_phone(
    live_server,
    phone_page,
    page,
    screenshot,
    make_user,
    settings,
    tmp_path,
    photo,
    sector,
    bob,
    carol,
    log_in,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Skill.objects.create(name="Copywriting", is_approved=True)
    Skill.objects.create(name="Copy per il vino", is_approved=True)
    giulia = make_user("giulia@example.com", "Giulia Conti")
    # Bob works in Milano; Carolina, farther away, in Roma. Both have the headline the directory
    # asks of the members it lists.
    for member, city in ((bob, "Milano"), (carol, "Roma")):
        member.profile.set_location(gazetteer.find(city))
        member.profile.headline = "Copywriter"
        member.profile.save()
    desktop, page = page, phone_page
    base = live_server.url

    log_in(page, base, "giulia@example.com")
    page.click("label.nav-toggle-label")
    page.click("summary:has-text('Giulia Conti')")
    page.click("[data-testid=my-profile]")
    page.wait_for_url(re.compile(rf"/persone/{giulia.pk}/$"))
    expect(page.locator("[data-testid=avatar-initials]")).to_have_text("GC")
    expect(page.locator("[data-testid=completeness]")).to_contain_text("0%")
    screenshot(page, "profiles-00-empty-phone")

    # Photo: the upload form replaces the header in place.
    page.click("[data-testid=edit-avatar]")
    page.set_input_files("#id_avatar", str(photo))
    screenshot(page, "profiles-01-photo-form-phone")
    page.click("[data-testid=save-avatar]")
    expect(page.locator("[data-testid=avatar-img]")).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-testid=avatar-img]').complete")
    assert (
        page.evaluate("() => document.querySelector('[data-testid=avatar-img]').naturalWidth")
        == 400
    )

    # Headline and sector.
    page.click("[data-testid=edit-about]")
    page.fill("#id_headline", "Copywriter per cantine e agriturismi")
    page.select_option("#id_sector", str(sector.pk))
    page.check("input[name=languages][value=en]")
    page.click("[data-testid=save-about]")
    expect(page.locator("[data-testid=headline]")).to_have_text(
        "Copywriter per cantine e agriturismi"
    )

    # City: type, pick among the matches htmx lists as you type.
    page.click("[data-testid=edit-location]")
    page.locator("[data-testid=place-input]").press_sequentially("Berg", delay=60)
    bergamo = page.get_by_label("Bergamo (Lombardia)")
    expect(bergamo).to_be_visible()
    screenshot(page, "profiles-02-city-picker-phone")
    bergamo.check()
    page.click("[data-testid=save-location]")
    expect(page.locator("[data-testid=location-place]")).to_have_text("Bergamo, Lombardia")

    # Skills: a suggestion while typing, then a brand-new one proposed.
    page.click("[data-testid=edit-skills]")
    page.locator("[data-testid=skill-input]").press_sequentially("copy", delay=60)
    expect(page.locator("[data-testid=suggestion]")).to_have_count(2)
    screenshot(page, "profiles-03-skill-suggestions-phone")
    page.click("[data-testid=suggestion]:has-text('Copywriting')")
    expect(page.locator("#skills input[name=skills][checked]")).to_have_count(1)
    page.locator("[data-testid=skill-input]").press_sequentially("Naming per startup", delay=20)
    expect(page.locator("[data-testid=propose-skill]")).to_be_visible()
    page.click("[data-testid=propose-skill]")
    expect(page.locator("#skills input[name=skills]")).to_have_count(2)
    page.click("[data-testid=save-skills]")
    expect(page.locator("[data-testid=skill-list] li")).to_have_text(
        ["Copywriting", "Naming per startup"]
    )

    # Needs and offers, with an error first.
    page.click("[data-testid=edit-needs]")
    page.fill("#id_needs", "Un fotografo per le etichette")
    page.fill("#id_offers", "Testi per siti e schede vini")
    page.select_option("#id_open_to", "clients")
    page.click("[data-testid=save-needs]")
    expect(page.locator("[data-testid=needs]")).to_have_text("Un fotografo per le etichette")
    expect(page.locator("[data-testid=open-to]")).to_contain_text("Nuovi clienti")

    expect(page.locator("[data-testid=completeness]")).to_contain_text("67%")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "profiles-04-complete-phone")
    assert page.console_errors == []

    profile = Profile.objects.get(user=giulia)
    assert (profile.city, profile.needs, profile.open_to) == (
        "Bergamo",
        "Un fotografo per le etichette",
        "clients",
    )
    assert profile.avatar.name.startswith(f"avatars/{giulia.pk}/")
    assert sorted(profile.skills.values_list("name", "is_approved")) == [
        ("Copywriting", True),
        ("Naming per startup", False),
    ]
    # Reloading without htmx shows the same profile: the edits were real posts.
    page.reload()
    expect(page.locator("[data-testid=skill-list] li")).to_have_count(2)

    # Another member, on a desktop, sees the finished profile and no edit controls.
    log_in(desktop, base, "bob@example.com")
    desktop.goto(f"{base}/persone/{giulia.pk}/")
    expect(desktop.locator("[data-testid=place]")).to_have_text("Bergamo")
    expect(desktop.locator("[data-testid=avatar-img]")).to_be_visible()
    assert desktop.locator("[data-testid^=edit-]").count() == 0
    screenshot(desktop, "profiles-05-seen-by-a-member-desktop")
    assert desktop.console_errors == []

    # Bob's directory, sorted "near me", finds Giulia in Bergamo first, about 42 km away.
    desktop.goto(f"{base}/persone/")
    # The filters apply as they change (htmx); no need to press "Cerca".
    with desktop.expect_response(lambda r: "ordine=vicino" in r.url):
        desktop.select_option("#id_ordine", "vicino")
    first = desktop.locator("[data-testid=member-card]").first
    expect(first).to_have_attribute("data-member", str(giulia.pk))
    expect(first.locator("[data-testid=distance]")).to_have_text(re.compile(r"^4[0-9] km$"))
    # Roma (about 480 km) is beyond the default radius; within 500 km it comes last.
    cards = desktop.locator("[data-testid=member-card]")
    expect(cards).to_have_count(1)
    with desktop.expect_response(lambda r: "raggio=500" in r.url):
        desktop.select_option("#id_raggio", "500")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("data-member", str(giulia.pk))
    expect(cards.last).to_have_attribute("data-member", str(carol.pk))
    screenshot(desktop, "profiles-06-directory-near-me-desktop")
    assert desktop.console_errors == []
