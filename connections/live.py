"""The push channel: server-sent events for open pages, served by uvicorn (config/asgi.py),
next to the WSGI site.

One process holds one Redis pub/sub connection (pattern talk:u:*) and fans each event out to
the member's open streams through in-memory queues. A stream authenticates with the signed
token its page carries (connections.conversations.stream_token), so it needs no database:
events only name what changed ("conv-12", "badge"), and the page fetches the fragment from the
WSGI site, through the same access checks as every other read. If Redis is unreachable the
stream answers 503, EventSource retries with backoff, and the pages' polling carries on.
"""

import asyncio
import logging
from collections import defaultdict
from urllib.parse import parse_qs

from django.conf import settings

from connections.conversations import CHANNEL_PREFIX, user_from_stream_token

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
QUEUE_SIZE = 100
RETRY_MS = 2000


class Hub:
    """Redis pub/sub → the open streams of this process."""

    def __init__(self, redis_url: str):
        self.redis_url = redis_url
        self.streams: dict[int, set[asyncio.Queue]] = defaultdict(set)
        self.reader: asyncio.Task | None = None
        self.ready = asyncio.Event()

    @property
    def open_streams(self) -> int:
        return sum(len(queues) for queues in self.streams.values())

    async def start(self) -> None:
        if self.reader is None or self.reader.done():
            self.ready.clear()
            self.reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self.ready.wait(), timeout=2)
        except TimeoutError:
            raise ConnectionError("Redis pub/sub is not reachable") from None

    async def _read(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=2)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
            self.ready.set()
            async for item in pubsub.listen():
                if item.get("type") != "pmessage":
                    continue
                channel = item["channel"].decode()
                user_id = int(channel.removeprefix(CHANNEL_PREFIX))
                names = item["data"].decode().split()
                for queue in list(self.streams.get(user_id, ())):
                    for name in names:
                        if queue.full():
                            break  # a stuck client: it will refetch on its next event
                        queue.put_nowait(name)
        except Exception as error:  # noqa: BLE001 - logged; the streams end and reconnect
            logger.warning("Push channel lost Redis: %s", error)
        finally:
            self.ready.clear()
            # End every stream: their pages reconnect (or poll) and miss nothing, since what
            # they fetch is the current state.
            for queues in list(self.streams.values()):
                for queue in list(queues):
                    queue.put_nowait(None)
            await client.aclose()

    def join(self, user_id: int) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.streams[user_id].add(queue)
        return queue

    def leave(self, user_id: int, queue: asyncio.Queue) -> None:
        queues = self.streams.get(user_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.streams[user_id]


hub: Hub | None = None


def get_hub() -> Hub:
    global hub
    if hub is None:
        hub = Hub(settings.REDIS_URL)
    return hub


async def respond(send, status: int, body: bytes = b"", headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def cors_headers(scope) -> list[tuple[bytes, bytes]]:
    """EventSource opens with credentials: a page from another origin listed in
    TALK_STREAM_ORIGINS (the site itself when the stream has its own host) may read it."""
    origin = dict(scope.get("headers") or []).get(b"origin", b"")
    if origin and origin.decode("latin-1") in settings.TALK_STREAM_ORIGINS:
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
    return []


async def stream(scope, receive, send) -> None:
    if scope["method"] != "GET":
        await respond(send, 405, b"GET only", [(b"allow", b"GET")])
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    user_id = user_from_stream_token((query.get("t") or [""])[0])
    cors = cors_headers(scope)
    if user_id is None:
        # 403 makes EventSource stop: the page polls.
        await respond(send, 403, b"A valid stream token is needed.", cors)
        return
    the_hub = get_hub()
    try:
        await the_hub.start()
    except ConnectionError:
        await respond(send, 503, b"The push channel is down; pages poll.", cors)
        return
    queue = the_hub.join(user_id)
    disconnected = asyncio.Event()

    async def watch_disconnect():
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected.set()
                queue.put_nowait(None) if not queue.full() else None
                return

    watcher = asyncio.create_task(watch_disconnect())
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache, no-transform"),
                    # nginx-style proxies: don't buffer the stream.
                    (b"x-accel-buffering", b"no"),
                    *cors,
                ],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": f"retry: {RETRY_MS}\n: open\n\n".encode(),
                "more_body": True,
            }
        )
        while not disconnected.is_set():
            try:
                name = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                chunk = b": ping\n\n"
            else:
                if name is None:
                    break
                chunk = f"event: {name}\ndata: {name}\n\n".encode()
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if not disconnected.is_set():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        pass  # the client went away mid-write
    finally:
        watcher.cancel()
        the_hub.leave(user_id, queue)


async def status(scope, receive, send) -> None:
    """For the benchmark and the smoke test: how many streams this process holds."""
    count = hub.open_streams if hub else 0
    await respond(send, 200, f"streams {count}\n".encode())
