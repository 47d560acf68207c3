import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EMAIL = "giulia.verdi@example.com"
PASSWORD = "una-password-lunga-2026"


def test_sign_up_verify_log_in_switch_language_log_out(live_server, page, another_page, screenshot):
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "it"
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot(page, "01-signup")
    page.click("main form button[type=submit]")

    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[0].body).group(1)
    screenshot(page, "02-verify")
    page.fill("#id_code", code)
    page.click("main form button[type=submit]")
    # Verified: the first visit, which can be skipped at once and resumed from the home.
    page.wait_for_url(f"{live_server.url}/benvenuto/")
    with page.expect_navigation():
        page.click("[data-testid=first-visit-skip]")
    assert page.url == f"{live_server.url}/"
    # The home fills its blocks one after another: let them land before logging out, so the
    # logout never races a block's request on the test server's one SQLite database.
    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=30_000)
    page.click("nav summary")
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    expect(page.locator("[data-testid=logout]")).to_have_count(0)
    assert page.locator("[data-testid=welcome]").count() == 0

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("[data-testid=welcome]").is_visible()
    # Gender-neutral, and never the email handle as a name.
    assert page.inner_text("[data-testid=welcome]") == "Ciao, che piacere vederti"
    screenshot(page, "03-home-it")

    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=30_000)
    with page.expect_navigation():
        page.click("[data-testid=lang-en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("[data-testid=welcome]") == "Hi, good to see you"
    screenshot(page, "04-home-en")

    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=30_000)
    page.click("nav summary")
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    expect(page.locator("[data-testid=logout]")).to_have_count(0)
    assert page.locator("[data-testid=welcome]").count() == 0
    assert page.get_by_role("link", name="Log in").first.is_visible()
    assert page.console_errors == []

    # Another browser, in Italian: logging in there brings the language chosen above.
    another_page.goto(f"{live_server.url}/accounts/login/")
    assert another_page.locator("html").get_attribute("lang") == "it"
    another_page.fill("#id_login", EMAIL)
    another_page.fill("#id_password", PASSWORD)
    another_page.click("main form button[type=submit]")
    another_page.wait_for_url(f"{live_server.url}/")
    assert another_page.locator("html").get_attribute("lang") == "en"
    assert another_page.inner_text("[data-testid=welcome]") == "Hi, good to see you"
    expect(another_page.locator("[aria-busy=true]")).to_have_count(0, timeout=30_000)
    screenshot(another_page, "05-home-en-another-browser")
    assert another_page.console_errors == []


def test_home_on_a_phone_has_a_menu_toggle(live_server, phone_page, screenshot):
    phone_page.goto(f"{live_server.url}/")
    login = phone_page.get_by_role("link", name="Accedi").first
    assert not login.is_visible()

    phone_page.click(".nav-toggle-label")

    assert login.is_visible()
    screenshot(phone_page, "05-home-phone-menu")

    before = phone_page.evaluate("document.documentElement.getAttribute('data-theme')")
    phone_page.click("[data-theme-toggle]")
    chosen = phone_page.evaluate("document.documentElement.getAttribute('data-theme')")
    assert chosen in {"light", "dark"} and chosen != before
    phone_page.reload()
    assert phone_page.evaluate("document.documentElement.getAttribute('data-theme')") == chosen
    assert phone_page.console_errors == []
