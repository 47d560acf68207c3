"""config/env.py, in-process: the environment readers, GILDA_ENV, the prod startup checks and
MAIL_URL."""

import runpy

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    celery_eager,
    env_bool,
    env_int,
    env_list,
    env_str,
    gilda_env,
    mailers_from_url,
    secret_key,
)

PRODUCTION_ENV = {
    "GILDA_ENV": "prod",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-" + "y" * 20,
    "ALLOWED_HOSTS": "gilda.example.com",
    "DATABASE_URL": "postgres://gilda:gilda@127.0.0.1:5432/gilda",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MAIL_URL": "smtp://user:pass@smtp.example.com:587",
}
# Everything the settings read that the machine running the tests may have set.
READ_BY_SETTINGS = [
    "GILDA_ENV", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
    "CELERY_EAGER", "MAIL_URL", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS",
]  # fmt: skip


@pytest.fixture
def build_settings(monkeypatch):
    """Run config/settings.py afresh, in this process, on exactly the variables given."""

    def build(environ: dict[str, str]) -> dict:
        for name in READ_BY_SETTINGS:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(settings.BASE_DIR / "config" / "settings.py"))

    return build


def test_the_suite_runs_in_the_test_environment():
    assert settings.GILDA_ENV == "test"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


def test_prod_settings_are_strict(build_settings):
    prod = build_settings(PRODUCTION_ENV)

    assert prod["DEBUG"] is False
    assert prod["ALLOWED_HOSTS"] == ["gilda.example.com"]
    assert prod["CELERY_TASK_ALWAYS_EAGER"] is False
    assert prod["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert prod["CACHES"]["default"]["BACKEND"] == "config.cache.FailOpenRedisCache"
    assert prod["SECURE_SSL_REDIRECT"] and prod["SESSION_COOKIE_SECURE"]
    assert prod["SECURE_HSTS_SECONDS"] == 31536000
    assert prod["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert prod["WHITENOISE_USE_FINDERS"] is False


@pytest.mark.parametrize("missing", ["REDIS_URL", "SECRET_KEY"])
def test_prod_settings_refuse_to_load_without(build_settings, missing):
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    with pytest.raises(ImproperlyConfigured, match=f"{missing} must be set"):
        build_settings(environ)


def test_prod_settings_without_redis_load_when_eager_mode_is_asked_for(build_settings):
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}

    prod = build_settings(environ | {"CELERY_EAGER": "true"})

    assert prod["CELERY_TASK_ALWAYS_EAGER"] is True


def test_dev_settings_are_the_embedded_defaults(build_settings):
    dev = build_settings({})

    assert dev["GILDA_ENV"] == "dev"
    assert dev["DEBUG"] is True
    assert dev["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert dev["CELERY_TASK_ALWAYS_EAGER"] is True
    assert dev["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert dev["SECRET_KEY"].startswith("django-insecure-")
    assert dev["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert dev["SECURE_SSL_REDIRECT"] is False
    assert dev["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def test_an_unknown_gilda_env_stops_the_settings(build_settings):
    with pytest.raises(ImproperlyConfigured, match="GILDA_ENV='staging'"):
        build_settings({"GILDA_ENV": "staging"})


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_true_booleans(raw):
    assert env_bool("FLAG", environ={"FLAG": raw}) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off"])
def test_false_booleans(raw):
    assert env_bool("FLAG", default=True, environ={"FLAG": raw}) is False


def test_an_unset_or_blank_boolean_takes_the_default():
    assert env_bool("FLAG", default=True, environ={}) is True
    assert env_bool("FLAG", default=True, environ={"FLAG": "  "}) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "tru"])
def test_a_bad_boolean_fails_loudly(raw):
    with pytest.raises(ImproperlyConfigured, match=r"FLAG=.* is not a boolean"):
        env_bool("FLAG", environ={"FLAG": raw})


def test_integers():
    assert env_int("N", 7, environ={"N": "42"}) == 42
    assert env_int("N", 7, environ={"N": " "}) == 7
    assert env_int("N", 7, environ={}) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "5MB"])
def test_a_bad_integer_fails_loudly(raw):
    with pytest.raises(ImproperlyConfigured, match=r"N=.* is not an integer"):
        env_int("N", 7, environ={"N": raw})


def test_strings_and_lists_are_trimmed():
    assert env_str("S", environ={"S": "  value "}) == "value"
    assert env_str("S", "fallback", environ={}) == "fallback"
    assert env_list("HOSTS", environ={"HOSTS": " a.example , ,b.example,"}) == [
        "a.example",
        "b.example",
    ]
    assert env_list("HOSTS", "x,y", environ={}) == ["x", "y"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "dev"), ("", "dev"), ("dev", "dev"), ("test", "test"), (" prod ", "prod")],
)
def test_gilda_env_defaults_to_dev(raw, expected):
    environ = {} if raw is None else {"GILDA_ENV": raw}
    assert gilda_env(environ) == expected


@pytest.mark.parametrize("raw", ["production", "staging", "PROD", "development"])
def test_an_unknown_gilda_env_fails_loudly(raw):
    with pytest.raises(ImproperlyConfigured, match="is not one of dev, test, prod"):
        gilda_env({"GILDA_ENV": raw})


def test_prod_needs_a_secret_key():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        secret_key("prod", {})
    assert secret_key("prod", {"SECRET_KEY": "s3cret"}) == "s3cret"


@pytest.mark.parametrize("env", ["dev", "test"])
def test_dev_and_test_fall_back_to_an_insecure_key(env):
    assert secret_key(env, {}).startswith("django-insecure-")


def test_prod_without_redis_refuses_to_start():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be set"):
        celery_eager("prod", {})
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be set"):
        celery_eager("prod", {"CELERY_EAGER": "false"})


def test_prod_without_redis_runs_eagerly_only_when_asked():
    assert celery_eager("prod", {"CELERY_EAGER": "true"}) is True


def test_prod_with_redis_uses_the_worker():
    assert celery_eager("prod", {"REDIS_URL": "redis://127.0.0.1:6379/0"}) is False


def test_dev_is_eager_only_without_redis():
    assert celery_eager("dev", {}) is True
    assert celery_eager("dev", {"REDIS_URL": "redis://127.0.0.1:6379/0"}) is False
    assert celery_eager("dev", {"REDIS_URL": "redis://x", "CELERY_EAGER": "true"}) is True


def test_test_is_eager_even_on_redis_unless_told_otherwise():
    assert celery_eager("test", {"REDIS_URL": "redis://127.0.0.1:6379/9"}) is True
    assert celery_eager("test", {"REDIS_URL": "redis://x", "CELERY_EAGER": "false"}) is False


def test_mail_url_console_and_locmem():
    assert mailers_from_url("console://") == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }
    assert mailers_from_url("locmem://") == {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }


def test_mail_url_file():
    assert mailers_from_url("file:///var/mail/gilda") == {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": "/var/mail/gilda"},
        }
    }


def test_mail_url_smtp_uses_starttls_on_587_and_decodes_the_credentials():
    mailer = mailers_from_url("smtp://postmaster%40gilda.example:p%40ss@smtp.example.com")
    assert mailer["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["default"]["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "postmaster@gilda.example",
        "password": "p@ss",
        "use_ssl": False,
        "use_tls": True,
        "timeout": 10,
    }


def test_mail_url_smtp_without_tls():
    options = mailers_from_url("smtp://mail.local:25?tls=false")["default"]["OPTIONS"]
    assert (options["host"], options["port"], options["use_tls"], options["use_ssl"]) == (
        "mail.local",
        25,
        False,
        False,
    )
    assert (options["username"], options["password"]) == ("", "")


def test_mail_url_smtps_uses_ssl_on_465():
    options = mailers_from_url("smtps://u:p@smtp.example.com")["default"]["OPTIONS"]
    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


@pytest.mark.parametrize("url", ["sendmail://", "http://mail.example.com", "smtp+tls://x"])
def test_an_unknown_mail_url_scheme_fails_loudly(url):
    with pytest.raises(ImproperlyConfigured, match="MAIL_URL scheme .* is not supported"):
        mailers_from_url(url)
