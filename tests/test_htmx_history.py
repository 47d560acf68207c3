"""htmx Back navigation (issue 19, item 16): a history-restore request gets the full page, and
every response varies on HX-Request so no cache mixes fragments and pages."""

import json
import re

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}
# What htmx 2 sends to restore a page after Back when the page is not in its history cache:
# with historyRestoreAsHxRequest on (its default), HX-Request too.
RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.fixture
def pushed_urls(closed_group):
    # Pages whose htmx search pushes its URL into the history.
    return [
        reverse("groups:list") + "?q=copy",
        reverse("groups:search") + "?q=scheda",
        reverse("groups:threads", args=[closed_group.slug]) + "?ordine=top",
    ]


def test_a_history_restore_request_gets_the_full_page(bob_client, pushed_urls):
    for url in pushed_urls:
        assert "<html" not in bob_client.get(url, **HTMX).content.decode()  # the fragment

        response = bob_client.get(url, **RESTORE)

        assert response.status_code == 200
        assert "<html" in response.content.decode(), url


def test_every_page_and_fragment_varies_on_hx_request(bob_client, client, pushed_urls):
    for response in (
        *(bob_client.get(url) for url in pushed_urls),
        *(bob_client.get(url, **HTMX) for url in pushed_urls),
        client.get(reverse("home")),
    ):
        vary = [part.strip().lower() for part in response.get("Vary", "").split(",")]
        assert "hx-request" in vary


def test_base_turns_htmx_history_restore_as_hx_request_off(client, db):
    html = client.get(reverse("home")).content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config is not None
    settings = json.loads(config.group(1))
    assert settings["historyRestoreAsHxRequest"] is False
    assert settings["allowEval"] is False
