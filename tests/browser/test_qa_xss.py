"""The XSS corpus in Chromium: every payload as a title, a question, an answer and a comment,
on the thread pages, the thread list, the group page and search. Nothing may run: no dialog,
no console error (a CSP refusal would be one)."""

import pytest

from groups.models import Post

pytestmark = pytest.mark.browser


def test_no_payload_runs_in_chromium(
    live_server, page, closed_group, alice, bob, moderator, log_in, xss_payloads
):
    thread = Post.ask(closed_group, bob, title="Raccolta di prove?", body="\n\n".join(xss_payloads))
    for payload in xss_payloads:
        Post.ask(closed_group, moderator, title=f"T {payload}"[:200], body=payload)
        answer = thread.answer(alice, body=payload)
        answer.comment(moderator, body=payload)
        thread.comment(alice, body=payload)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, live_server.url, "bob@example.com")
    base = f"{live_server.url}/gruppi/{closed_group.slug}"
    urls = [(f"{base}/", "thread-row"), (f"{live_server.url}/gruppi/cerca/?q=T", "thread-row")]
    urls += [(f"{base}/domande/{thread.pk}/?pagina={n}", "answer") for n in (1, 2, 3)]
    urls += [(f"{base}/domande/?ordine=newest&pagina={n}", "thread-row") for n in (1, 2, 3, 4)]
    for url, testid in urls:
        page.goto(url)
        page.wait_for_load_state("load")
        page.mouse.move(200, 300)
        page.mouse.move(400, 500)
        assert page.locator(f"[data-testid={testid}]").count() > 0, url
    assert dialogs == []
    assert page.console_errors == []
    assert page.evaluate("typeof window.htmx") == "object"
