"""Error pages: in the site layout, Italian and English, and without touching the database."""

import sqlite3

import psycopg
import psycopg_pool
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path
from django.utils import translation

from config import errors
from tests.smtp_server import closed_port


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
    # LocaleMiddleware picks the language for the request these views answer; a test that
    # ran earlier on this worker may have left another one active in the thread.
    request = RequestFactory().get("/")
    with translation.override("it"), django_assert_num_queries(0):
        response = view(request)
    assert response.status_code == status
    assert italian in response.content.decode()


def test_an_oversized_form_gets_the_friendly_400(db):
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"login": "x" * 3_000_000, "password": "x"})
    assert response.status_code == 400
    assert "troppo grande" in response.content.decode()


def django_error_from(driver_error: Exception, django_class=OperationalError) -> Exception:
    """What Django's DatabaseErrorWrapper raises for a driver's error: the same message, the
    driver's error as __cause__."""
    try:
        raise django_class(*driver_error.args) from driver_error
    except django_class as wrapped:
        return wrapped


def a_refused_postgresql_connection() -> Exception:
    try:
        psycopg.connect(f"host=127.0.0.1 port={closed_port()} user=x dbname=x connect_timeout=2")
    except psycopg.OperationalError as error:
        return django_error_from(error)
    raise AssertionError("a closed port accepted a connection")


def an_sqlite_sql_error() -> Exception:
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table")
    except sqlite3.OperationalError as error:
        return django_error_from(error)
    raise AssertionError("the table exists")


def server_error_while_handling(error: Exception):
    request = RequestFactory().get("/gruppi/")
    try:
        raise error
    except type(error):
        return errors.server_error(request)


def test_an_unreachable_database_becomes_a_503_with_retry_after(db, django_assert_num_queries):
    error = a_refused_postgresql_connection()
    with django_assert_num_queries(0):
        response = server_error_while_handling(error)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporaneamente non disponibile" in response.content.decode()


def test_a_terminated_connection_and_a_pool_timeout_are_503s(db):
    terminated = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    pool_timeout = psycopg_pool.PoolTimeout("couldn't get a connection after 5.00 sec")
    closed = InterfaceError("connection already closed")
    for error in (django_error_from(terminated), django_error_from(pool_timeout), closed):
        assert server_error_while_handling(error).status_code == 503, error


def test_an_sql_error_stays_a_500_not_a_database_down_page(db):
    response = server_error_while_handling(an_sqlite_sql_error())
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Qualcosa è andato storto" in response.content.decode()


def test_a_deadlock_or_a_statement_timeout_on_postgresql_stays_a_500(db):
    for driver_error in (
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
    ):
        assert isinstance(driver_error, psycopg.OperationalError)  # what made them 503s before
        response = server_error_while_handling(django_error_from(driver_error))
        assert response.status_code == 500, driver_error


def view_with_broken_sql(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM gilda_no_such_table")
    return HttpResponse("unreachable")


urlpatterns = [path("broken-sql/", view_with_broken_sql), path("", include("config.urls"))]
handler500 = "config.errors.server_error"


@pytest.mark.urls(__name__)
def test_a_broken_query_in_a_view_is_a_logged_500_on_either_database(db, caplog):
    """Through the whole handler: SQLite calls it an OperationalError, PostgreSQL a
    ProgrammingError; either way a 500 (not "database down"), logged with its traceback."""
    client = Client(raise_request_exception=False)
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/broken-sql/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Qualcosa è andato storto" in response.content.decode()
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert logged and "gilda_no_such_table" in str(logged[-1].exc_info[1])


def test_the_rate_limit_page_is_ours_with_retry_after(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for _ in range(2):
        assert client.post("/accounts/signup/", {"email": "non-valida"}).status_code == 200
    response = client.post("/accounts/signup/", {"email": "non-valida"})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert "Troppi tentativi" in response.content.decode()
