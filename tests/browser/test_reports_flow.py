"""Reports in a real browser: three members report a spammy answer, it disappears, the
moderator finds it from their home, removes it and bans the author, whose next request to
join is refused with a clear message."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from groups.models import Ban, Comment, ModerationLog, Post
from profiles.models import Report

pytestmark = pytest.mark.browser


def test_three_reports_hide_spam_and_the_moderator_removes_it_and_bans_the_author(
    live_server,
    browser,
    page,
    screenshot,
    closed_group,
    alice,
    bob,
    moderator,
    make_user,
    log_in,
    settings,
):
    settings.REPORTS_HIDE_AFTER = 3
    base = live_server.url
    question = Post.ask(closed_group, bob, title="Quale CRM per uno studio piccolo?", body="?")
    spammer = make_user("promo@example.com", "Piero Promo")
    closed_group.add_member(spammer)
    spam = question.answer(spammer, body="Il mio corso miracoloso su **corsi-facili.example**!")
    reporters = []
    for index in range(3):
        person = make_user(
            f"attento{index}@example.com",
            f"Membro Attento {index}",
            date_joined=timezone.now() - timedelta(days=60),
        )
        closed_group.add_member(person)
        Comment.objects.create(post=question, author=person, body="Ottima domanda")
        reporters.append(person)

    for index, person in enumerate(reporters):
        context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
        reporter_page = context.new_page()
        reporter_page.set_default_timeout(10_000)
        log_in(reporter_page, base, person.email)
        reporter_page.goto(f"{base}{question.get_absolute_url()}")
        reporter_page.click(f"[data-testid=report-{spam.pk}]")
        reporter_page.check("input[name=reason][value=spam]")
        if index == 0:
            screenshot(reporter_page, "reports-01-report-form")
        reporter_page.click("[data-testid=send-report]")
        reporter_page.wait_for_url(re.compile(r"/domande/\d+/"))
        context.close()

    # The answer is gone from the thread for members.
    log_in(page, base, bob.email)
    page.goto(f"{base}{question.get_absolute_url()}")
    expect(page.locator(f"#post-{spam.pk} [data-testid=hidden]")).to_be_visible()
    assert "corsi-facili" not in page.content()
    screenshot(page, "reports-02-hidden-for-members")

    # The moderator finds it on their home and decides inline.
    mod_context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    mod_page = mod_context.new_page()
    mod_page.set_default_timeout(10_000)
    log_in(mod_page, base, moderator.email)
    # The home loads its blocks one after another: the groups block comes last.
    expect(mod_page.locator("[data-testid=home-reports-link]")).to_contain_text("1", timeout=30_000)
    mod_page.click("[data-testid=home-reports-link]")
    card = mod_page.locator("[data-testid=review-card]")
    expect(card).to_contain_text("corsi-facili.example")
    for person in reporters:
        expect(card).not_to_contain_text(person.display_name)
    screenshot(mod_page, "reports-03-review-queue")
    mod_page.evaluate("window.noReload = true")
    mod_page.click("[data-testid=remove-ban]")
    expect(mod_page.locator("[data-testid=decided]")).to_be_visible()
    assert mod_page.evaluate("window.noReload") is True  # decided inline with htmx
    screenshot(mod_page, "reports-04-decided")
    mod_context.close()

    spam.refresh_from_db()
    assert spam.is_deleted
    assert Ban.objects.filter(group=closed_group, user=spammer).exists()
    assert ModerationLog.objects.filter(action="hide", automatic=True).count() == 1
    assert ModerationLog.objects.filter(action="ban", actor=moderator).count() == 1
    assert set(Report.objects.values_list("decision", flat=True)) == {"banned"}

    # The author's next request to join is refused, and says why.
    spam_context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    spam_page = spam_context.new_page()
    spam_page.set_default_timeout(10_000)
    log_in(spam_page, base, spammer.email)
    spam_page.goto(f"{base}/gruppi/{closed_group.slug}/unisciti/")
    expect(spam_page.locator("[data-testid=banned]")).to_contain_text("ban dai moderatori")
    assert spam_page.locator("[data-testid=join-form]").count() == 0
    screenshot(spam_page, "reports-05-ban-refusal")
    spam_context.close()
    assert page.console_errors == []
