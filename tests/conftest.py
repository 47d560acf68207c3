"""Shared fixtures: the personas of ../shared/STYLE.md and their logged-in clients.

Groups-specific roles (alice's closed group, carol's pending request, the moderator's seat)
are added by the groups fixtures as those features land; here every persona is a verified
member with a known password.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import translation

from config.celery import app as celery_app
from profiles import gazetteer
from profiles.models import Profile, User
from tests import xss_payloads as xss_corpus
from tests.smtp_server import SMTPServer, closed_port

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    """A fast password hasher, and each pytest-xdist worker its own Redis db (base + number).

    The cache is cleared around every test and the worker-fault test runs a real Celery
    worker: two test processes sharing one db would clear each other's rate limits and
    consume each other's tasks. The test databases get a per-worker suffix from pytest-django.
    """
    # Django's PBKDF2 costs most of a second per hash by design; signups, logins and the demo
    # seed hash dozens of passwords. Tests prove the flows, not the hasher's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not (worker and settings.REDIS_URL):
        return
    parts = urlsplit(settings.REDIS_URL)
    db = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if db > 15:
        raise pytest.UsageError(f"Redis db {db} for {worker} is past Redis's 16 dbs.")
    url = urlunsplit(parts._replace(path=f"/{db}"))
    os.environ["REDIS_URL"] = settings.REDIS_URL = url
    settings.CACHES["default"]["LOCATION"] = url
    settings.CELERY_BROKER_URL = celery_app.conf.broker_url = url


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache; one test's attempts must not throttle the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. LocaleMiddleware activates the language of
    each request in the thread and leaves it there: a test client's English request must not
    decide the language of whatever the next test on that worker renders outside a request."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _rate_limits(request, settings):
    """Rate limits are off unless a test is marked rate_limits: personas are minutes-old
    accounts, and many tests write more in a second than a new member may in an hour."""
    settings.RATE_LIMITS_ENABLED = request.node.get_closest_marker("rate_limits") is not None


@pytest.fixture(scope="session")
def password_hash(django_db_setup, django_db_blocker) -> str:
    # Hashing once per session keeps persona creation fast.
    return make_password(PASSWORD)


@pytest.fixture(scope="session")
def new_user(password_hash):
    """new_user(email, name): a verified member; for fixtures that hold database access
    themselves (a class- or module-scoped world). Tests use make_user."""

    def make(email: str, display_name: str = "", *, verified: bool = True, **extra) -> User:
        user = User.objects.create(
            email=email, display_name=display_name, password=password_hash, **extra
        )
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return make


@pytest.fixture
def make_user(db, new_user):
    return new_user


@pytest.fixture
def password() -> str:
    """Every persona's password, for the login forms."""
    return PASSWORD


@pytest.fixture
def alice(make_user) -> User:
    return make_user("alice@example.com", "Alice Romano")


@pytest.fixture
def bob(make_user) -> User:
    return make_user("bob@example.com", "Roberto Bianchi")


@pytest.fixture
def carol(make_user) -> User:
    return make_user("carol@example.com", "Carolina Esposito")


@pytest.fixture
def dave(make_user) -> User:
    return make_user("dave@example.com", "Davide Ricci")


@pytest.fixture
def moderator(make_user) -> User:
    return make_user("moderator@example.com", "Monica Moderatrice")


@pytest.fixture
def staff(make_user) -> User:
    return make_user("staff@example.com", "Stefano Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def logged_in():
    """logged_in(user): a new client with its own session, for several at once."""
    return _client_for


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="profiles.backends.ModelBackend")
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def carol_client(carol) -> Client:
    return _client_for(carol)


@pytest.fixture
def dave_client(dave) -> Client:
    return _client_for(dave)


@pytest.fixture
def moderator_client(moderator) -> Client:
    return _client_for(moderator)


@pytest.fixture
def staff_client(staff) -> Client:
    return _client_for(staff)


def pytest_collection_modifyitems(config, items):
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    needs_postgres = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, full-text search): set DATABASE_URL, CI step 2"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(needs_postgres)


# Groups personas: alice owns a closed group where bob is a member, the moderator moderates
# and carol waits on a pending request; alice also owns an open group.


@pytest.fixture
def sector(db):
    from groups.models import Sector

    # get_or_create: transactional tests flush the seeded sectors.
    return Sector.objects.get_or_create(
        slug="scrittura-ed-editoria",
        defaults={"name": "Scrittura ed editoria", "name_en": "Writing & publishing"},
    )[0]


@pytest.fixture
def closed_group(alice, bob, carol, moderator, sector):
    from groups.models import Group, Membership

    group = Group.create_with_owner(
        alice,
        name="Copywriter Italia",
        slug="copywriter-italia",
        sector=sector,
        visibility=Group.Visibility.CLOSED,
        membership_question="Per chi scrivi oggi?",
        description="Il gruppo di chi scrive per **mestiere**.",
        rules="1. Rispetto.\n2. Niente autopromozione.",
    )
    group.add_member(bob)
    group.set_role(group.add_member(moderator), Membership.Role.MODERATOR, by=alice)
    group.request_to_join(carol, answer="Schede prodotto per l'e-commerce.")
    group.refresh_from_db()
    return group


@pytest.fixture
def open_group(alice, sector):
    from groups.models import Group

    return Group.create_with_owner(
        alice,
        name="Social media manager",
        slug="social-media-manager",
        sector=sector,
        visibility=Group.Visibility.OPEN,
        description="Strategie e strumenti.",
    )


# The XSS corpus (tests/xss_payloads.py): a test taking `xss_payload` runs once per payload.


def pytest_generate_tests(metafunc):
    if "xss_payload" in metafunc.fixturenames:
        metafunc.parametrize("xss_payload", xss_corpus.XSS_PAYLOADS)


@pytest.fixture
def xss_payloads() -> list[str]:
    return xss_corpus.XSS_PAYLOADS


@pytest.fixture
def unsafe_parts():
    """unsafe_parts(html): every tag, attribute or link scheme rendered Markdown must not have."""
    return xss_corpus.unsafe_parts


@pytest.fixture
def settle():
    """settle(user, city, region_only=False, **profile_fields): give a member a city from the
    gazetteer (or none), optionally shown as region only."""

    def settle(user, city: str | None, *, region_only: bool = False, **fields) -> Profile:
        profile = user.profile
        profile.set_location(gazetteer.find(city) if city else None)
        if region_only:
            profile.location_visibility = Profile.LocationVisibility.REGION
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.save()
        return profile

    return settle


@pytest.fixture
def dead_broker():
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "task_always_eager": celery_app.conf.task_always_eager,
    }
    # A real local port with nothing listening: the connection is genuinely refused.
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.update(saved)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


# Races (PostgreSQL only, transaction=True): real threads released together.


@pytest.fixture
def all_at_once():
    """all_at_once(calls): run the callables in parallel threads released together; return
    their results (or the exception each raised)."""

    def all_at_once(calls):
        barrier = threading.Barrier(len(calls))
        results = [None] * len(calls)

        def run(index, call):
            try:
                barrier.wait()
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - the test asserts on it
                results[index] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results

    return all_at_once


# Real services for fault tests: a loopback SMTP server and a Celery worker process.


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def start_celery_worker(tmp_path):
    """start_celery_worker(name, **env): a real Celery worker (one process) on this test's
    PostgreSQL database and REDIS_URL; returns (process, log path). Stopped after the test."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL: a real worker on Redis (CI step 2)")
    started = []

    def start(name: str, **extra_env):
        db = settings.DATABASES["default"]
        env = {k: v for k, v in os.environ.items() if k not in {"CELERY_EAGER", "GILDA_ENV"}}
        env |= {
            "GILDA_ENV": "dev",
            "CELERY_EAGER": "false",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": redis_url,
            **extra_env,
        }
        log_path = tmp_path / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
             "--loglevel", "INFO", "--without-mingle", "--without-gossip",
             "--hostname", f"{name}-{os.getpid()}@%h"],
            cwd=Path(__file__).resolve().parents[1], env=env, stdout=log_path.open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        celery_app.conf.task_always_eager = False
        return process, log_path

    yield start
    celery_app.conf.task_always_eager = True
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# A private redis-server (never the machine's shared one), stopped and started by a test.


class PrivateRedis:
    def __init__(self, tmp_path):
        self.port = closed_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    from config.cache import FailOpenRedisCacheClient

    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
    # Stopping it opened the fail-open breaker: the next test starts with Redis trusted again.
    FailOpenRedisCacheClient.down_until = 0.0


@pytest.fixture
def unreachable_redis(settings):
    """The cache pointed at a closed port, the fail-open client's breaker reset around the
    test; yields a callable that says whether Redis was tried (and failed open)."""
    from config.cache import FailOpenRedisCacheClient

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    FailOpenRedisCacheClient.down_until = 0.0
    yield lambda: FailOpenRedisCacheClient.down_until > 0
    FailOpenRedisCacheClient.down_until = 0.0


@pytest.fixture
def rendered_pages(settings):
    """No shared copies of the pages members share: the test counts or inspects a rendered
    page (tests/test_shared_pages.py covers the copies)."""
    settings.SHARED_PAGE_SECONDS = 0


@pytest.fixture
def without_tokens():
    """without_tokens(response): the page without its CSRF tokens and nonces, which each
    response has anew, to compare a page read back from cached fragments with one rendered."""

    def without_tokens(response) -> str:
        html = re.sub(r'nonce="[A-Za-z0-9_-]+"', "", response.content.decode())
        return re.sub(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])", "", html)

    return without_tokens


@pytest.fixture
def within_one_minute():
    """Member pages and the home's blocks are kept per minute (config.page_cache): the test
    starts as a minute does, so that two requests of one test never fall either side of one,
    however slow the machine."""
    import time_machine
    from django.utils import timezone

    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        yield
