"""Sessions: PostgreSQL is the record, Redis the fast path (config/sessions.py). A private
redis-server, never the machine's shared one; nothing is mocked."""

import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.env import caches_from_url
from config.sessions import SESSION_CACHE_SECONDS
from tests.conftest import PASSWORD


def log_in(client, email="alice@example.com"):
    assert (
        client.post("/accounts/login/", {"login": email, "password": PASSWORD}).status_code == 302
    )


def cached_session_keys(server) -> list[bytes]:
    return redis.Redis.from_url(server.url).keys("*sessions.cached_db*")


def session_sql(client, path="/gruppi/") -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    assert response.context["user"].is_authenticated
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_logged_in_page_reads_its_session_from_redis(client, alice, settings, private_redis):
    settings.CACHES = caches_from_url(private_redis.url)
    log_in(client)

    assert session_sql(client) == []
    [key] = cached_session_keys(private_redis)
    # The cached copy is short-lived, whatever the session's own age (two weeks).
    ttl = redis.Redis.from_url(private_redis.url).ttl(key)
    assert 0 < ttl <= SESSION_CACHE_SECONDS < settings.SESSION_COOKIE_AGE


def test_with_redis_down_sessions_come_from_postgresql(client, alice, settings, private_redis):
    settings.CACHES = caches_from_url(private_redis.url)
    log_in(client)
    private_redis.stop()

    assert len(session_sql(client)) == 1  # read from the database: still logged in
    client.logout()
    assert client.get("/gruppi/").context["user"].is_anonymous


def test_logout_ends_the_session_in_redis_and_postgresql(client, alice, settings, private_redis):
    settings.CACHES = caches_from_url(private_redis.url)
    log_in(client)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert cached_session_keys(private_redis)

    client.post("/accounts/logout/")

    assert cached_session_keys(private_redis) == []
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/gruppi/").context["user"].is_anonymous
