"""Login lockout (issue 19, item 10): failed attempts lock a place, never the owner."""

import re

from django.core import mail

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


def login(client, password, ip, email="alice@example.com"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, alice):
    for _ in range(8):
        login(client, "not-her-password", ATTACKER)

    response = login(client, PASSWORD, OWNER)

    assert response.status_code == 302
    assert client.get("/").context["user"] == alice


def test_the_locked_place_is_told_how_to_get_in(client, alice):
    for _ in range(5):
        assert login(client, "wrong", OWNER).status_code == 200

    response = login(client, PASSWORD, OWNER)

    assert response.status_code == 200
    assert not client.get("/").context["user"].is_authenticated
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Troppi tentativi" in errors or "Too many wrong passwords" in errors
    assert "Password dimenticata?" in errors or "Forgot your password?" in errors


def test_other_accounts_behind_the_same_address_can_still_log_in(client, alice, bob):
    for _ in range(6):
        login(client, "wrong", OWNER, email="alice@example.com")

    response = login(client, PASSWORD, OWNER, email="bob@example.com")

    assert response.status_code == 302


def test_a_password_reset_gets_the_locked_owner_in(
    client, alice, django_capture_on_commit_callbacks
):
    for _ in range(6):
        login(client, "wrong", OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "alice@example.com"}, REMOTE_ADDR=OWNER)
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    form_page = client.get(link.group(1), REMOTE_ADDR=OWNER, follow=True)
    new_password = "una-nuova-password-2026"

    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
        REMOTE_ADDR=OWNER,
    )
    client.logout()
    response = login(client, new_password, OWNER)

    assert response.status_code == 302
    assert client.get("/").context["user"] == alice
