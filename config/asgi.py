"""The ASGI entry point (uvicorn): the conversations' push channel (connections/live.py) at
its path, and Django itself for anything else. Production runs it as the `talk` service and
the proxy routes only the push channel's path to it; the pages stay on gunicorn."""

import os
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)
django_application = get_asgi_application()

from connections import live  # noqa: E402  (needs the apps loaded)

STREAM_PATH = urlsplit(settings.TALK_STREAM_URL).path or "/rete/messaggi/eventi/"
STATUS_PATH = STREAM_PATH.rstrip("/") + "/stato"


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        return await live.stream(scope, receive, send)
    if scope["type"] == "http" and scope["path"] == STATUS_PATH:
        return await live.status(scope, receive, send)
    return await django_application(scope, receive, send)
