"""Q&A in a real browser: ask, answer, upvote with htmx, accept, be notified; the group page
nudge and the live thread search on a phone."""

import re

import pytest
from playwright.sync_api import expect

from groups.models import Post

pytestmark = pytest.mark.browser


def test_bob_asks_alice_answers_bob_upvotes_and_accepts_alice_is_notified(
    live_server, browser, page, phone_page, screenshot, closed_group, alice, bob, log_in
):
    base = live_server.url
    log_in(page, base, "bob@example.com")
    page.goto(f"{base}/gruppi/{closed_group.slug}/")
    page.click("[data-testid=ask-link]")
    page.wait_for_url(re.compile(r"/domande/nuova/$"))
    assert "Niente autopromozione" in page.inner_text("[data-testid=rules-when-asking]")
    page.fill("#id_title", "Quanto far pagare un naming per una startup?")
    page.fill("#id_body", "Mi chiedono **nome e payoff**. Voi come impostate il preventivo?")
    page.click("[data-testid=preview]")
    expect(page.locator("#preview strong")).to_have_text("nome e payoff")
    screenshot(page, "qa-01-ask-preview")
    page.click("[data-testid=publish]")
    page.wait_for_url(re.compile(r"/domande/\d+/$"))
    question = Post.objects.get(title="Quanto far pagare un naming per una startup?")
    thread_url = page.url

    alice_context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    alice_page = alice_context.new_page()
    alice_page.set_default_timeout(10_000)
    errors = []
    alice_page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    alice_page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(alice_page, base, "alice@example.com")
    alice_page.goto(thread_url)
    alice_page.fill("[data-testid=answer-body]", "Parto dalla **ricerca di anteriorità**: 1.500 €.")
    alice_page.click("[data-testid=submit-answer]")
    alice_page.wait_for_url(re.compile(r"#post-\d+$"))
    answer = question.answers.get()
    screenshot(alice_page, "qa-02-answered")

    page.goto(thread_url)
    page.evaluate("window.noReload = true")
    page.click(f"[data-testid=upvote-{answer.pk}]")
    expect(page.locator(f"[data-testid=score-{answer.pk}]")).to_have_text("1")
    expect(page.locator(f"[data-testid=upvote-{answer.pk}]")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.noReload") is True  # htmx swapped the box, no reload
    answer.refresh_from_db()
    assert answer.score == 1
    page.click(f"[data-testid=add-comment-{question.pk}]")
    page.fill(f"[data-testid=comment-body-{question.pk}]", "Serve anche il dominio .it?")
    page.click(f"[data-testid=submit-comment-{question.pk}]")
    expect(page.locator("[data-testid=comment]")).to_have_count(1)
    assert page.evaluate("window.noReload") is True
    page.click(f"[data-testid=accept-{answer.pk}]")
    expect(page.locator("[data-testid=accepted]")).to_be_visible()
    screenshot(page, "qa-03-accepted-desktop")

    unread = alice.notifications.unread().count()
    assert alice.notifications.filter(kind="group-answer-accepted").count() == 1
    alice_page.goto(f"{base}/")
    expect(alice_page.locator("[data-testid=unread-count]")).to_have_text(str(unread))
    alice_page.goto(f"{base}/notifiche/")
    assert "ha accettato la tua risposta" in alice_page.inner_text("main")
    screenshot(alice_page, "qa-04-alice-notified")

    log_in(phone_page, base, "bob@example.com")
    phone_page.goto(thread_url)
    expect(phone_page.locator("[data-testid=accepted]")).to_be_visible()
    screenshot(phone_page, "qa-05-thread-phone")

    assert page.console_errors == []
    assert phone_page.console_errors == []
    assert errors == []
    alice_context.close()


def test_group_page_nudges_and_the_thread_list_searches_as_you_type_on_a_phone(
    live_server, page, phone_page, screenshot, closed_group, alice, bob, moderator, log_in
):
    asked = Post.ask(closed_group, bob, title="Tariffe per un naming?", body="Quanto chiedete?")
    helped = asked.answer(alice, body="Dipende dalle verifiche sui marchi.")
    asked.accept(helped, by=bob)
    Post.ask(closed_group, bob, title="Tu o lei nelle newsletter B2B?", body="Dubbio di tono.")
    Post.ask(closed_group, moderator, title="Revisioni infinite: come le limitate?", body="…")

    log_in(page, live_server.url, "bob@example.com")
    page.goto(f"{live_server.url}/gruppi/{closed_group.slug}/")
    assert "2 domande aspettano una risposta" in page.inner_text("[data-testid=unanswered-nudge]")
    assert "Alice Romano" in page.inner_text("[data-testid=active-members]")
    screenshot(page, "qa-08-group-page-threads")

    log_in(phone_page, live_server.url, "bob@example.com")
    phone_page.goto(f"{live_server.url}/gruppi/{closed_group.slug}/domande/")
    expect(phone_page.locator("[data-testid=thread-row]")).to_have_count(3)
    phone_page.click("[data-testid=sort-unanswered]")
    expect(phone_page.locator("[data-testid=thread-row]")).to_have_count(2)
    assert "ordine=unanswered" in phone_page.url
    phone_page.fill("[data-testid=thread-search]", "revisioni")
    expect(phone_page.locator("[data-testid=thread-row]")).to_have_count(1)
    assert "Revisioni infinite" in phone_page.inner_text("#thread-list")
    screenshot(phone_page, "qa-09-thread-search-phone")

    assert page.console_errors == []
    assert phone_page.console_errors == []
