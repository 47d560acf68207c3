"""A newcomer signs up, verifies, walks through the first visit, joins a group and finds a
question matching their skill on the home; they answer it, the asker's badge updates without
a reload, and the asker's daily digest the next morning mentions the answer."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from connections.digests import schedule_digests
from groups.models import Post
from profiles.models import OutgoingEmail, Skill

pytestmark = pytest.mark.browser

EMAIL = "martina.ferri@example.com"
PASSWORD = "una-password-lunga-2026"
TITLE = "Come migliorare la SEO locale di un negozio di quartiere?"


def shoot_both_themes(page, screenshot, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(150)
        screenshot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")


def test_newcomer_first_visit_home_answer_badge_and_digest(
    live_server, browser, page, screenshot, open_group, alice, sector, log_in
):
    base = live_server.url
    # A long walk on a shared, loaded machine: wait longer than the default 10 s per step.
    page.set_default_timeout(30_000)
    Skill.objects.create(name="SEO locale", slug="seo-locale", is_approved=True)
    question = Post.ask(open_group, alice, title=TITLE, body="Negozio di ferramenta a Bologna.")

    # The asker waits on another page; her badge is polled.
    asker = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900}).new_page()
    asker.set_default_timeout(30_000)
    log_in(asker, base, alice.email)
    expect(asker.locator("#nav-unread [data-testid=unread-count]")).to_have_count(0)

    # Sign up and verify.
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[-1].body).group(1)
    page.fill("#id_code", code)
    page.click("main form button[type=submit]")

    # First visit, step 1: who you are.
    page.wait_for_url(f"{base}/benvenuto/")
    expect(page.locator("[data-testid=first-visit-title]")).to_have_text(
        "Ti diamo il benvenuto in Gilda"
    )
    page.fill("#id_display_name", "Martina Ferri")
    page.fill("#id_headline", "Consulente SEO per negozi")
    page.select_option("#id_sector", str(sector.pk))
    page.fill("#id_city", "Bologna")
    page.fill("#id_skill_names", "SEO locale")
    shoot_both_themes(page, screenshot, "home-first-visit-desktop")
    page.click("[data-testid=first-visit-save]")

    # Step 2: groups of the sector, one click to join.
    page.wait_for_url(re.compile(r"/benvenuto/\?passo=2$"))
    card = page.locator("[data-testid=first-visit-group]", has_text=open_group.name)
    card.locator("[data-testid=first-visit-join]").click()
    expect(card.locator("[data-testid=first-visit-joined]")).to_be_visible()
    page.click("[data-testid=first-visit-next]")

    # Step 3: people (alice is active in the group just joined), then the home.
    page.wait_for_url(re.compile(r"/benvenuto/\?passo=3$"))
    expect(
        page.locator("[data-testid=first-visit-person]", has_text="Alice Romano")
    ).to_be_visible()
    page.click("[data-testid=first-visit-finish]")
    page.wait_for_url(f"{base}/")

    # The home: blocks load lazily; the question waits, with the reason.
    expect(page.locator("[data-testid=welcome]")).to_have_text(
        "Ciao Martina Ferri, che piacere vederti"
    )
    pick = page.locator("[data-testid=home-question]", has_text=TITLE)
    expect(pick).to_be_visible()
    expect(pick.locator("[data-testid=home-question-reason]")).to_contain_text(
        "corrisponde alla tua competenza: SEO locale"
    )
    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=30_000)
    shoot_both_themes(page, screenshot, "home-member-desktop")

    # They answer it.
    pick.locator("[data-testid=home-question-link]").click()
    page.wait_for_url(re.compile(rf"/domande/{question.pk}/$"))
    page.fill("[data-testid=answer-body]", "Scheda Google Business aggiornata e recensioni vere.")
    page.click("[data-testid=submit-answer]")
    page.wait_for_url(re.compile(r"#post-\d+$"))

    # The asker's badge updates without a reload, announced politely.
    asker.evaluate("window.__sameDocument = true")
    expect(asker.locator("#nav-unread[aria-live=polite] [data-testid=unread-count]")).to_have_text(
        "1", timeout=25_000
    )
    assert asker.evaluate("window.__sameDocument") is True

    # The next morning at 8 (Rome), the asker's daily digest mentions the answer.
    tomorrow = timezone.localdate() + timedelta(days=1)
    schedule_digests(datetime.combine(tomorrow, time(8, 5), tzinfo=ZoneInfo("Europe/Rome")))
    digest = OutgoingEmail.objects.get(to=alice.email, subject__contains="Il tuo giorno")
    assert f"Martina Ferri ha risposto a “{TITLE}”" in digest.body_text
    assert digest.sent_at is not None
    assert page.console_errors == []


def test_home_and_first_visit_on_a_phone(
    live_server, phone_page, screenshot, open_group, make_user, alice, log_in
):
    base = live_server.url
    user = make_user("nuova@example.com", "Nuova Persona")
    Post.ask(open_group, alice, title="Chi ha un gestionale per le fatture?", body="?")
    open_group.join(user)
    log_in(phone_page, base, user.email)
    phone_page.goto(f"{base}/benvenuto/")
    shoot_both_themes(phone_page, screenshot, "home-first-visit-phone")
    phone_page.goto(f"{base}/")
    expect(phone_page.locator("[data-testid=home-question]")).to_have_count(1)
    expect(phone_page.locator("[data-testid=home-first-visit]")).to_be_visible()
    shoot_both_themes(phone_page, screenshot, "home-member-phone")
    assert phone_page.console_errors == []
