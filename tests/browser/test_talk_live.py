"""Two Chromium contexts: Dave writes to Erin; Erin's badge and open conversation update
within 2 seconds without a reload, through the push channel (uvicorn + Redis pub/sub); she
replies and Dave sees it live. Then, with the push channel stopped, the same by polling."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils.csp import CSP
from playwright.sync_api import expect

from connections.models import Conversation

# Two members writing at once are concurrent writers: the in-memory SQLite test database
# answers them with "table is locked" (shared cache), so this runs in CI's PostgreSQL pass.
pytestmark = [pytest.mark.browser, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
PUSH_DEADLINE_MS = 2000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def push_channel(live_server, settings, tmp_path):
    """uvicorn serving config.asgi (the push channel) on its own port, on this test's Redis
    db; the live server's pages point their stream at it."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL: the push channel listens on Redis (CI step 2)")
    port = free_port()
    stream_url = f"http://127.0.0.1:{port}/rete/messaggi/eventi/"
    env = {k: v for k, v in os.environ.items() if k != "GILDA_ENV"} | {
        "GILDA_ENV": "test",
        "REDIS_URL": redis_url,
        "TALK_STREAM_URL": stream_url,
        "TALK_STREAM_ORIGINS": live_server.url,
    }
    log = tmp_path / "uvicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "1"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        raise AssertionError("uvicorn did not start: " + log.read_text())
    settings.TALK_STREAM_URL = stream_url
    settings.SECURE_CSP = settings.SECURE_CSP | {
        "connect-src": [CSP.SELF, f"http://127.0.0.1:{port}"]
    }
    yield process

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_dave_and_erin_talk_live_then_by_polling(
    push_channel, live_server, browser, screenshot, dave, make_user, log_in, settings
):
    from tests.browser.conftest import _page

    erin = make_user("erin@example.com", "Erica Marino")
    low, high = sorted([dave.pk, erin.pk])
    from connections.models import Connection

    Connection.objects.create(user_low_id=low, user_high_id=high)
    conversation, _m = Conversation.start(dave, erin, "Ciao Erica, hai un minuto?")
    conversation.participants.filter(user=erin).update(read_up_to=_m.pk, unread_since=None)
    # Polling far slower than the deadline: what arrives within 2 s came by push.
    settings.TALK_POLL_SECONDS = 60
    base = live_server.url
    dave_context, dave_page = _page(browser, viewport={"width": 1100, "height": 900})
    erin_context, erin_page = _page(browser, viewport={"width": 1100, "height": 900})
    try:
        log_in(dave_page, base, "dave@example.com")
        log_in(erin_page, base, "erin@example.com")
        dave_page.goto(f"{base}/rete/messaggi/{conversation.pk}/")
        # Erin is on the home page: her badge shows nothing to read.
        expect(erin_page.locator("[data-testid=talk-badge]")).to_have_attribute("data-count", "0")
        dave_connected = wait_for_stream(dave_page)
        erin_connected = wait_for_stream(erin_page)
        assert dave_connected and erin_connected

        # Dave writes; Erin's badge turns to 1 within 2 s, without a reload.
        send(dave_page, "Ti scrivo per il preventivo")
        expect(erin_page.locator("[data-testid=talk-badge]")).to_have_attribute(
            "data-count", "1", timeout=PUSH_DEADLINE_MS
        )
        screenshot(erin_page, "talk-00-badge-live")

        # Erin opens the conversation; Dave writes again: it appears within 2 s.
        erin_page.click("[data-testid=nav-messages]")
        erin_page.click("[data-testid=talk-row] a")
        expect(erin_page.locator("[data-testid=messages]")).to_contain_text("preventivo")
        wait_for_stream(erin_page)
        send(dave_page, "Domani ti mando i dettagli")
        expect(erin_page.locator("[data-testid=messages]")).to_contain_text(
            "Domani ti mando i dettagli", timeout=PUSH_DEADLINE_MS
        )
        # She replies; Dave sees it live, and his messages turn "read".
        send(erin_page, "Perfetto, grazie Davide")
        expect(dave_page.locator("[data-testid=messages]")).to_contain_text(
            "Perfetto, grazie Davide", timeout=PUSH_DEADLINE_MS
        )
        expect(dave_page.locator(".talk-mine [data-testid=message-status]").last).to_have_text(
            "letto", timeout=PUSH_DEADLINE_MS
        )
        screenshot(dave_page, "talk-01-conversation-live")
        assert not dave_page.console_errors and not erin_page.console_errors

        # The push channel stops. Pages (reloaded, polling each second) lose nothing but speed.
        os.killpg(push_channel.pid, signal.SIGTERM)
        push_channel.wait(timeout=20)
        settings.TALK_POLL_SECONDS = 1
        dave_page.reload()
        erin_page.reload()
        send(dave_page, "Senza canale live funziona lo stesso?")
        expect(erin_page.locator("[data-testid=messages]")).to_contain_text(
            "Senza canale live", timeout=4000
        )
        send(erin_page, "Sì, con il polling")
        expect(dave_page.locator("[data-testid=messages]")).to_contain_text(
            "Sì, con il polling", timeout=4000
        )
        # Erin's badge, on another page, by polling too (every 6 s at this setting).
        erin_page.goto(f"{base}/")
        send(dave_page, "Un ultimo messaggio")
        expect(erin_page.locator("[data-testid=talk-badge]")).to_have_attribute(
            "data-count", "1", timeout=10_000
        )
        screenshot(dave_page, "talk-02-conversation-polling")
    finally:
        dave_context.close()
        erin_context.close()


def wait_for_stream(page) -> bool:
    """True once the page's EventSource is open (the sse extension marks it)."""
    page.wait_for_function(
        "() => { const s = htmx.find('body') && htmx.find('body')['htmx-internal-data'];"
        " return s && s.sseEventSource && s.sseEventSource.readyState === 1; }",
        timeout=10_000,
    )
    return True


def send(page, text: str) -> None:
    page.fill("[data-testid=talk-body]", text)
    page.click("[data-testid=talk-send]")
    expect(page.locator("[data-testid=messages]")).to_contain_text(text)
    expect(page.locator("[data-testid=talk-body]")).to_have_value("")
