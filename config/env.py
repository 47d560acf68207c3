"""Reading the environment: typed helpers that fail loudly, GILDA_ENV, and MAIL_URL.

Kept apart from settings.py so that tests call them in-process with a plain dict. Every
helper takes the mapping to read (`environ`), os.environ unless told otherwise.
"""

import os
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = ("dev", "test", "prod")
DEV_SECRET_KEY = "django-insecure-gilda-development-only-key-do-not-use-in-production"


def env_str(name: str, default: str = "", environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(name, default).strip()


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] = os.environ) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def env_list(name: str, default: str = "", environ: Mapping[str, str] = os.environ) -> list[str]:
    return [item.strip() for item in env_str(name, default, environ).split(",") if item.strip()]


def gilda_env(environ: Mapping[str, str] = os.environ) -> str:
    """GILDA_ENV: dev (the default, so a fresh checkout runs), test or prod."""
    value = env_str("GILDA_ENV", "dev", environ) or "dev"
    if value not in ENVIRONMENTS:
        raise ImproperlyConfigured(f"GILDA_ENV={value!r} is not one of {', '.join(ENVIRONMENTS)}.")
    return value


def secret_key(env: str, environ: Mapping[str, str] = os.environ) -> str:
    key = env_str("SECRET_KEY", environ=environ)
    if key:
        return key
    if env == "prod":
        raise ImproperlyConfigured("SECRET_KEY must be set when GILDA_ENV=prod.")
    return DEV_SECRET_KEY


def celery_eager(env: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether Celery runs tasks in the calling process instead of on the REDIS_URL broker."""
    has_redis = bool(env_str("REDIS_URL", environ=environ))
    if env == "test":
        # Tests run tasks eagerly even on Redis; the CI smoke test proves the real worker path.
        return env_bool("CELERY_EAGER", default=True, environ=environ)
    if env == "dev":
        return env_bool("CELERY_EAGER", default=not has_redis, environ=environ)
    # Without a broker, every email would be sent inside the web request that caused it, and
    # allauth's rate limits would be counted per process: only by explicit choice.
    eager = env_bool("CELERY_EAGER", default=False, environ=environ)
    if not has_redis and not eager:
        raise ImproperlyConfigured(
            "REDIS_URL must be set when GILDA_ENV=prod "
            "(or CELERY_EAGER=true to run tasks inside web requests)."
        )
    return eager


def caches_from_url(redis_url: str) -> dict:
    """CACHES: Redis that fails open (config/cache.py) with short timeouts, or local memory."""
    if not redis_url:
        # Room for the kept pages and every member's generations: at Django's default of 300
        # entries, culling evicted sessions and generations mid-page.
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            }
        }
    return {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def mailers_from_url(url: str) -> dict:
    """Turn MAIL_URL into Django 6.1's MAILERS.

    console://  locmem://  file:///path  smtp://user:pass@host:587?tls=true  smtps://…
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "console":
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if scheme == "locmem":
        return {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    if scheme == "file":
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": parts.path},
            }
        }
    if scheme in {"smtp", "smtps"}:
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if scheme == "smtps" else 587),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": scheme == "smtps",
            "use_tls": scheme == "smtp" and query.get("tls", "true") == "true",
            "timeout": 10,
        }
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": options,
            }
        }
    raise ImproperlyConfigured(f"MAIL_URL scheme {scheme!r} is not supported.")
