import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from profiles.models import OutgoingEmail, User

language_migration = importlib.import_module("profiles.migrations.0014_user_language_offered")

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
GOOD_PASSWORD = "una-password-lunga-2026"


def signup(client, email, password1=GOOD_PASSWORD, password2=None):
    return client.post(
        SIGNUP,
        {"email": email, "password1": password1, "password2": password2 or password1},
    )


def test_signup_creates_unverified_user_and_emails_a_code(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "nuova@example.com")

    assert response.status_code == 302
    user = User.objects.get(email="nuova@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nuova@example.com"]
    assert re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", mail.outbox[0].body)
    assert OutgoingEmail.objects.get(to="nuova@example.com").sent_at is not None


def test_code_verifies_the_email_and_logs_in(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "nuova@example.com")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[0].body).group(1)

    response = client.post("/accounts/confirm-email/", {"code": code})

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nuova@example.com").verified
    assert client.get("/").context["user"].is_authenticated


def test_unverified_account_cannot_log_in(client, make_user, password):

    make_user("nonverificata@example.com", verified=False)

    response = client.post(LOGIN, {"login": "nonverificata@example.com", "password": password})

    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert not client.get("/").context["user"].is_authenticated


def test_verified_account_logs_in(client, alice, password):

    response = client.post(LOGIN, {"login": "ALICE@example.com", "password": password})

    assert response.status_code == 302
    assert client.get("/").context["user"] == alice


@pytest.mark.parametrize(
    ("email", "password1", "password2", "field"),
    [
        ("not-an-email", GOOD_PASSWORD, GOOD_PASSWORD, "email"),
        ("", GOOD_PASSWORD, GOOD_PASSWORD, "email"),
        ("a@example.com", "short", "short", "password1"),
        ("a@example.com", "12345678901", "12345678901", "password1"),
        ("a@example.com", GOOD_PASSWORD, GOOD_PASSWORD + "x", "password2"),
        ("nul\x00byte@example.com", GOOD_PASSWORD, GOOD_PASSWORD, "email"),
        ("x" * 5000 + "@example.com", GOOD_PASSWORD, GOOD_PASSWORD, "email"),
    ],
)
def test_bad_signup_input_gets_a_form_error_not_a_500(
    client, db, email, password1, password2, field
):
    response = signup(client, email, password1, password2)

    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert b'aria-invalid="true"' in response.content
    assert not User.objects.exists()
    assert mail.outbox == []


def test_duplicate_signup_does_not_reveal_the_account_exists(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Alice@Example.com")

    # Same redirect as a fresh signup (enumeration prevention); the owner gets a warning mail.
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_email_uniqueness_is_case_insensitive_in_the_database(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@EXAMPLE.COM")


def test_password_reset_answers_the_same_for_unknown_addresses(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        unknown = client.post("/accounts/password/reset/", {"email": "nessuno@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["nessuno@example.com"]]
    assert "reset" in mail.outbox[0].body.lower() or "password" in mail.outbox[0].body.lower()


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_reaches_the_admin(staff_client):
    assert staff_client.get("/admin/").status_code == 200


def test_non_staff_member_is_kept_out_of_the_admin(bob_client):
    response = bob_client.get("/admin/")

    # The admin sends a member without is_staff to its login page, which is allauth's.
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"site-name" not in response.content


def test_linkedin_button_is_hidden_without_credentials(client, db):
    response = client.get(LOGIN)

    assert b"LinkedIn" not in response.content


def test_linkedin_button_shows_when_configured(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "linkedin",
                    "name": "LinkedIn",
                    "client_id": "id",
                    "secret": "secret",
                    "settings": {"server_url": "https://www.linkedin.com/oauth"},
                }
            ]
        }
    }

    response = client.get(LOGIN)

    assert b"LinkedIn" in response.content


def test_mfa_setup_offers_totp_after_reauthentication(alice_client, password):

    first = alice_client.get(reverse("mfa_activate_totp"))
    assert first.status_code == 302
    assert "reauthenticate" in first["Location"]

    alice_client.post("/accounts/reauthenticate/", {"password": password})
    response = alice_client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    assert b"otpauth://" in response.content or b"data:image/svg" in response.content
    assert b" style=" not in response.content


def test_logout_requires_post(alice_client):
    assert alice_client.post("/accounts/logout/").status_code == 302
    assert not alice_client.get("/").context["user"].is_authenticated


def test_signup_with_an_existing_email_does_the_same_work_as_a_new_one(
    client, alice, django_capture_on_commit_callbacks
):
    """Timing is not measured (noisy on a shared machine); the work that dominates it is: one
    password hash and one queued mail on each path."""
    from unittest import mock

    from django.contrib.auth.hashers import get_hasher

    hasher_class = type(get_hasher())
    paths = {}
    for email in ("nuova@example.com", "alice@example.com"):
        OutgoingEmail.objects.all().delete()
        with (
            mock.patch.object(
                hasher_class, "encode", autospec=True, wraps=hasher_class.encode
            ) as encode,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = signup(client, email)
        client.logout()
        paths[email] = (
            response.status_code,
            response["Location"],
            encode.call_count,
            list(OutgoingEmail.objects.values_list("to", flat=True)),
        )

    assert paths["nuova@example.com"] == (302, "/accounts/confirm-email/", 1, ["nuova@example.com"])
    assert paths["alice@example.com"] == (302, "/accounts/confirm-email/", 1, ["alice@example.com"])


# The confirm-email page offers a new code (for a code lost to an SMTP outage), rate limited.
CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")


def test_a_new_code_can_be_requested_and_works_but_not_in_a_burst(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "nuova@example.com")
    page = client.get("/accounts/confirm-email/")
    assert 'name="action" value="resend"' in page.content.decode()

    # Right after the first mail: refused by the confirm_email limit (1 per 3 minutes).
    with django_capture_on_commit_callbacks(execute=True):
        burst = client.post("/accounts/confirm-email/", {"action": "resend"})
    assert len(mail.outbox) == 1
    assert burst.status_code == 429
    assert "Troppi tentativi" in burst.content.decode()

    cache.clear()  # three minutes later, as far as the limit can tell
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/confirm-email/", {"action": "resend"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    first, second = (CODE.search(m.body).group(1) for m in mail.outbox)
    assert first != second

    response = client.post("/accounts/confirm-email/", {"code": second})
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated


def test_a_new_account_keeps_the_language_it_was_made_in(
    client, db, django_capture_on_commit_callbacks
):
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "english@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        signup(Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8"), "browser@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        signup(Client(), "italiana@example.com")

    languages = dict(User.objects.values_list("email", "language"))
    assert languages == {
        "english@example.com": "en",
        "browser@example.com": "en",
        "italiana@example.com": "it",
    }
    # Its emails are written in it.
    [english_mail] = [m for m in mail.outbox if m.to == ["english@example.com"]]
    [italian_mail] = [m for m in mail.outbox if m.to == ["italiana@example.com"]]
    assert english_mail.subject != italian_mail.subject


def test_logging_in_switches_the_site_to_the_saved_language(alice, password):
    alice.language = "en"
    alice.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="it")  # a new browser, in Italian

    response = client.post(LOGIN, {"login": "alice@example.com", "password": password})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Successfully signed in" in page  # the message too, not only the pages after it


def test_logging_in_where_the_language_already_matches_changes_nothing(alice, password):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "it"

    response = client.post(LOGIN, {"login": "alice@example.com", "password": password})

    assert response.status_code == 302
    assert "django_language" not in response.cookies
    assert '<html lang="it">' in client.get("/").content.decode()


def test_a_wrong_password_leaves_the_language_as_it_was(alice):
    alice.language = "en"
    alice.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="it")

    response = client.post(LOGIN, {"login": "alice@example.com", "password": "sbagliata-2026"})

    assert response.status_code == 200
    assert "django_language" not in response.cookies
    assert '<html lang="it">' in response.content.decode()


def test_the_switcher_saves_only_a_language_the_site_offers(alice_client, alice):
    alice_client.post(reverse("set_language"), {"language": "en-gb", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "en"  # the variant the site offers

    response = alice_client.post(reverse("set_language"), {"language": "de", "next": "/"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "en"  # as it was


def test_the_database_keeps_a_members_language_one_the_site_offers(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=alice.pk).update(language="de")


@pytest.mark.parametrize(
    ("saved", "kept"), [("en-gb", "en"), ("EN-us", "en"), ("it-ch", "it"), ("de", "it")]
)
def test_the_migration_turns_an_unoffered_saved_language_into_an_offered_one(saved, kept):
    assert language_migration.fallback(saved) == kept
