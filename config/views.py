"""Site-wide views: /healthz and uploaded media (the home page lives in connections)."""

import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django.views.static import serve

logger = logging.getLogger(__name__)


def _database_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _redis_up(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        with client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _cache_up() -> bool:
    client = getattr(cache, "_cache", None)
    return client.is_up() if hasattr(client, "is_up") else True


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each dependency, cheaply (one query, two PINGs). Without the database the site is
    down (503); without Redis it is degraded but serving (200: rate limits off, background
    work waiting in the outbox), so the orchestrator does not restart healthy web workers."""
    broker = settings.CELERY_BROKER_URL
    checks = {
        "database": "ok" if _database_up() else "down",
        "cache": "ok" if _cache_up() else "down",
        "broker": "eager"
        if settings.CELERY_TASK_ALWAYS_EAGER or not broker.startswith(("redis://", "rediss://"))
        else ("ok" if _redis_up(broker) else "down"),
    }
    if checks["database"] == "down":
        status = "down"
    elif "down" in checks.values():
        status = "degraded"
    else:
        status = "ok"
    if status != "ok":
        logger.warning("healthz: %s %s", status, checks)
    return JsonResponse({"status": status, **checks}, status=503 if status == "down" else 200)


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files (avatars), read from MEDIA_ROOT at request time."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
