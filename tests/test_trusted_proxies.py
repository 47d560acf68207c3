"""Rate limits key on the client's address: behind a trusted proxy, from X-Forwarded-For;
without one configured, the forgeable header is ignored."""

import pytest


@pytest.fixture
def two_signups_a_minute(settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}


def attempt(client, client_ip, proxy_ip="10.0.0.1"):
    return client.post(
        "/accounts/signup/",
        {"email": "non-valida"},
        REMOTE_ADDR=proxy_ip,
        HTTP_X_FORWARDED_FOR=client_ip,
    ).status_code


def test_behind_a_trusted_proxy_one_client_does_not_block_another(
    client, db, settings, two_signups_a_minute
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert [attempt(client, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert attempt(client, "198.51.100.9") == 200


def test_without_a_configured_proxy_a_forged_header_does_not_escape_the_limit(
    client, db, settings, two_signups_a_minute
):
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    statuses = [attempt(client, f"198.51.100.{n}", proxy_ip="203.0.113.7") for n in range(3)]
    assert statuses == [200, 200, 429]
