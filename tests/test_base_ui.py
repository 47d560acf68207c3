import re

import pytest


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_send_a_strict_csp_with_a_nonce(client, db, path):
    response = client.get(path)

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "style-src 'self'" in policy
    scripts = re.findall(rb"<script[^>]*>", response.content)
    assert scripts, "htmx and the site script are loaded"
    for tag in scripts:
        assert f'nonce="{nonce}"'.encode() in tag
    assert b" style=" not in response.content
    assert b"<style" not in response.content
    assert not re.search(rb"\son[a-z]+=", response.content)


def test_htmx_is_loaded_with_eval_off_and_csrf_header(client, db):
    content = client.get("/").content.decode()

    assert "htmx" in content
    assert '"allowEval": false' in content
    assert '"includeIndicatorStyles": false' in content
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", content)


def test_pico_is_served_locally_with_its_licence(client, db):
    content = client.get("/").content.decode()

    assert "/static/vendor/pico/pico.min.css" in content
    # No address elsewhere (a CDN): every src and href is the site's own. (Not a search for
    # "cdn" in the whole page: a random CSRF token contains it now and then.)
    addresses = re.findall(r'(?:src|href)="([^"]*)"', content)
    assert addresses
    assert not [address for address in addresses if "//" in address or "cdn" in address.lower()]


def test_italian_is_the_default_language(client, db):
    response = client.get("/")

    assert response["Content-Language"] == "it"
    assert b'<html lang="it">' in response.content
    assert b"Accedi" in response.content


def test_english_is_a_switch_away(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302

    page = client.get("/")

    assert page["Content-Language"] == "en"
    assert b'<html lang="en">' in page.content
    assert b"Log in" in page.content


def test_browser_language_is_honoured(client, db):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert b'<html lang="en">' in page.content


def test_user_menu_shows_the_member_name(alice_client):
    content = alice_client.get("/").content.decode()

    assert "Alice Romano" in content
    assert 'data-testid="logout"' in content


def test_healthz_reports_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "eager",
    }


def test_home_rejects_post(client, db):
    assert client.post("/").status_code == 405
