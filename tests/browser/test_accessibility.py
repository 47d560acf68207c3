"""axe-core on the key pages, in Italian and English, light and dark (issue 19, security and
quality gates): no serious or critical violation, and no landmark-unique on a thread with
several answers (it was the one moderate violation)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from groups.models import Post
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401  (same launch as the others)

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = {"serious", "critical"}


def violations(page) -> list[tuple[str, str, int]]:
    results = AXE.run(page)
    return [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v["impact"] in BLOCKING or v["id"] == "landmark-unique"
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["it-IT", "en-US"])
def test_key_pages_have_no_serious_accessibility_violation(
    live_server, browser, closed_group, alice, bob, moderator, locale, scheme,
    django_capture_on_commit_callbacks, log_in):  # fmt: skip
    question = Post.ask(closed_group, bob, title="Quanto chiedere?", body="Tariffe per un naming.")
    with django_capture_on_commit_callbacks(execute=True):
        for author in (alice, moderator):
            answer = question.answer(author, body=f"Risposta di {author.name}.")
            answer.comment(bob, body="Grazie, utile.")
    base = live_server.url
    context = browser.new_context(
        locale=locale, color_scheme=scheme, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    # The directory loads the gazetteer on first use: slow on a loaded machine.
    page.set_default_timeout(60_000)
    found = {}
    try:
        for path in ["/", "/gruppi/", "/accounts/signup/", "/accounts/login/"]:
            page.goto(base + path)
            found[f"anonymous {path}"] = violations(page)
        log_in(page, base, "bob@example.com")
        slug = closed_group.slug
        for path in [
            f"/gruppi/{slug}/",
            f"/gruppi/{slug}/domande/",
            f"/gruppi/{slug}/domande/{question.pk}/",
            "/persone/",
            bob.get_absolute_url(),
            "/rete/",
            "/notifiche/",
        ]:
            page.goto(base + path)
            found[f"bob {path}"] = violations(page)
    finally:
        context.close()

    assert {where: v for where, v in found.items() if v} == {}
