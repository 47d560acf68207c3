"""The settings module as production loads it, in a fresh process. The readers in
config/env.py are tested in-process in test_settings_env.py."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "GILDA_ENV": "prod",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-" + "y" * 20,
    "ALLOWED_HOSTS": "gilda.example.com",
    "DATABASE_URL": "postgres://gilda:gilda@127.0.0.1:5432/gilda",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MAIL_URL": "smtp://user:pass@smtp.example.com:587",
}


def run_manage(*args, extra_env=None):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "GILDA_ENV",
            "CELERY_EAGER",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]

    result = run_manage("check", extra_env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_redis():
    env = dict(PRODUCTION_ENV)
    del env["REDIS_URL"]

    result = run_manage("check", extra_env=env)

    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr


def test_production_uses_the_postgres_pool_and_redis():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], 'pool' in d['OPTIONS'], "
        "settings.CACHES['default']['BACKEND'], settings.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_manage("shell", "-c", code, extra_env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert (
        "django.db.backends.postgresql 0 True config.cache.FailOpenRedisCache False"
        in result.stdout
    )
