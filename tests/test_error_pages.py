"""Error pages: in the site layout, Italian and English, and without touching the database."""

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from config import errors


@pytest.mark.parametrize(
    ("language", "heading"),
    [("it", "Pagina non trovata"), ("en", "Page not found")],
)
def test_404_is_in_the_layout_and_the_language_without_queries(
    client, db, django_assert_num_queries, language, heading
):
    with django_assert_num_queries(0):
        response = client.get("/non-esiste/", headers={"Accept-Language": language})

    assert response.status_code == 404
    content = response.content.decode()
    assert heading in content
    assert f'<html lang="{language}">' in content
    assert 'class="brand"' in content  # the site's header


def test_a_logged_in_members_404_costs_no_query(alice_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = alice_client.get("/gruppi/inesistente-davvero/x/y/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()


@pytest.mark.parametrize(
    ("view", "status", "italian"),
    [
        (errors.bad_request, 400, "Non siamo riusciti a leggere questa richiesta"),
        (errors.permission_denied, 403, "Non hai il permesso di farlo"),
        (errors.too_many_requests, 429, "Troppi tentativi"),
        (errors.server_error, 500, "Qualcosa è andato storto"),
    ],
)
def test_each_error_page_renders_in_italian_without_queries(
    db, django_assert_num_queries, view, status, italian
):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = view(request)
    assert response.status_code == status
    assert italian in response.content.decode()


def test_an_oversized_form_gets_the_friendly_400(db):
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"login": "x" * 3_000_000, "password": "x"})
    assert response.status_code == 400
    assert "troppo grande" in response.content.decode()


def test_a_database_error_becomes_a_503_with_retry_after(db, django_assert_num_queries):
    request = RequestFactory().get("/gruppi/")
    with django_assert_num_queries(0):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = errors.server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporaneamente non disponibile" in response.content.decode()


def test_the_rate_limit_page_is_ours_with_retry_after(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for _ in range(2):
        assert client.post("/accounts/signup/", {"email": "non-valida"}).status_code == 200
    response = client.post("/accounts/signup/", {"email": "non-valida"})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert "Troppi tentativi" in response.content.decode()
