"""PostgreSQL going away: the pool's health check replaces connections a restart killed, so
no request fails once the database is back; while it is unreachable pages answer a clean 503
with Retry-After. Real connections, really terminated or refused; nothing is mocked."""

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.smtp_server import closed_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def terminate_every_connection_to_the_test_database() -> int:
    """What a `pg_ctl restart -m fast` does to the pool's connections, on this database only
    (the shared server keeps running for everyone else)."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [params["NAME"]],
        ).fetchall()
    return len(rows)


def test_connections_killed_by_a_restart_cost_no_error_afterwards(alice, open_group):
    client = Client(raise_request_exception=False)
    client.force_login(alice, backend="profiles.backends.ModelBackend")
    # A pool of this test's own: earlier tests in the worker (threads, live servers) may hold
    # connections out of it, and the drill is about connections killed while in the pool.
    connection.close()
    connection.close_pool()
    # Fill the pool with a few connections, then kill them all under its feet.
    for _ in range(3):
        assert client.get("/gruppi/").status_code == 200
    connection.close()
    assert terminate_every_connection_to_the_test_database() >= 1

    statuses = [client.get(path).status_code for path in ["/gruppi/", "/", "/gruppi/"] * 3]
    assert statuses == [200] * 9


def test_an_unreachable_database_gives_a_503_page_then_recovers(open_group):
    client = Client(raise_request_exception=False)
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.close_pool()
    connection.settings_dict["PORT"] = closed_port()
    try:
        down = client.get("/gruppi/", headers={"Accept-Language": "en"})
        health = client.get("/healthz")
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict["PORT"] = real_port

    assert down.status_code == 503
    assert down["Retry-After"] == "30"
    assert "Gilda is temporarily unavailable" in down.content.decode()
    assert health.status_code == 503
    assert health.json()["database"] == "down"
    assert client.get("/gruppi/").status_code == 200
