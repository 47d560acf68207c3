"""Redis down: login, signup and pages keep working; the cache fails open; /healthz says
"degraded". Redis is a real closed port or a private redis-server stopped mid-test (never
the machine's shared one); nothing is mocked."""

import pytest
import redis

from config.cache import FailOpenRedisCacheClient
from config.env import caches_from_url
from tests.conftest import PASSWORD
from tests.smtp_server import closed_port


@pytest.fixture(autouse=True)
def _fresh_breaker():
    FailOpenRedisCacheClient.down_until = 0.0
    yield
    FailOpenRedisCacheClient.down_until = 0.0


def log_in(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def rate_limit_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "config.cache"
        and record.levelname == "WARNING"
        and "rate limits not enforced" in record.getMessage()
    ]


def test_login_and_signup_succeed_with_redis_unreachable(client, alice, settings, caplog):
    settings.CACHES = caches_from_url(f"redis://127.0.0.1:{closed_port()}/0")

    with caplog.at_level("WARNING", logger="config.cache"):
        response = log_in(client, "alice@example.com")
    assert response.status_code == 302
    # allauth's login rate limit read the cache first: it failed open, and said so.
    assert len(rate_limit_warnings(caplog)) == 1
    assert "Connection refused" in rate_limit_warnings(caplog)[0]
    assert client.get("/").context["user"] == alice

    client.logout()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "nuova@example.com",
            "password1": "una-password-lunga-2026",
            "password2": "una-password-lunga-2026",
        },
    )
    assert response.status_code == 302
    # The first refusal opened the breaker: later cache calls skip Redis instead of each
    # paying a connection attempt.
    assert FailOpenRedisCacheClient.down_until > 0


def test_a_stopped_private_redis_fails_open_and_recovers(
    client, alice, settings, private_redis, caplog
):
    settings.CACHES = caches_from_url(private_redis.url)
    # Up: the limits are enforced from Redis (5 failures per 5 minutes for one address).
    for _ in range(5):
        assert log_in(client, "alice@example.com", "sbagliata").status_code == 200
    assert redis.Redis.from_url(private_redis.url).dbsize() > 0
    blocked = log_in(client, "alice@example.com")
    assert blocked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session

    private_redis.stop()
    # Down: the limit's history is unreadable, so login goes through (logged); pages render.
    with caplog.at_level("WARNING", logger="config.cache"):
        assert log_in(client, "alice@example.com").status_code == 302
    assert rate_limit_warnings(caplog)
    assert client.get("/").status_code == 200
    assert client.get("/gruppi/").status_code == 200
    health = client.get("/healthz").json()
    assert (health["status"], health["cache"]) == ("degraded", "down")

    private_redis.start()
    FailOpenRedisCacheClient.down_until = 0.0  # skip the 5 s back-off window
    client.logout()
    assert log_in(client, "alice@example.com", "sbagliata").status_code == 200
    assert redis.Redis.from_url(private_redis.url).dbsize() > 0  # caching again


def test_healthz_reports_each_dependency_and_degraded(client, db, settings):
    from config.celery import app as celery_app

    dead = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = caches_from_url(dead)
    settings.CELERY_BROKER_URL = dead
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.task_always_eager = True
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "down",
        "broker": "down",
    }


def test_healthz_is_ok_with_a_live_redis(client, db, settings, private_redis):
    settings.CACHES = caches_from_url(private_redis.url)
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }
