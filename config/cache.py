"""A Redis cache that fails open: when Redis is unreachable every read is a miss and every
write is dropped, with a logged warning, instead of an exception. allauth's rate limits live in
the cache, so with the plain backend a Redis outage turned every login and signup into a 500.

After a failure the cache skips Redis for a few seconds (per process), so an outage costs one
connection timeout now and then, not one per cache call.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0


class _RedisDown(Exception):
    pass


class FailOpenRedisCacheClient(RedisCacheClient):
    down_until = 0.0  # monotonic time; shared by the process's clients

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        """One redis-py client per connection pool, kept: Django makes a new one for every
        cache call, and each builds its ~170 response callbacks (0.7 ms of every page with
        three cache calls). A client is thread-safe; its pool hands out the connections."""
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client

    def _guard(self, call, *args):
        if time.monotonic() < FailOpenRedisCacheClient.down_until:
            raise _RedisDown
        try:
            return call(*args)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            FailOpenRedisCacheClient.down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "Cache unavailable, failing open for %ss (rate limits not enforced meanwhile): %s",
                RETRY_AFTER_SECONDS,
                error,
            )
            raise _RedisDown from error

    def _or(self, fallback, call, *args):
        try:
            return self._guard(call, *args)
        except _RedisDown:
            return fallback

    # A miss behaves like an empty cache: add succeeds (allauth's lock is then "taken"),
    # reads return nothing, writes vanish.
    def add(self, key, value, timeout):
        return self._or(True, super().add, key, value, timeout)

    def get(self, key, default):
        return self._or(default, super().get, key, default)

    def set(self, key, value, timeout):
        return self._or(None, super().set, key, value, timeout)

    def touch(self, key, timeout):
        return self._or(False, super().touch, key, timeout)

    def delete(self, key):
        return self._or(False, super().delete, key)

    def get_many(self, keys):
        return self._or({}, super().get_many, keys)

    def has_key(self, key):
        return self._or(False, super().has_key, key)

    def incr(self, key, delta):
        try:
            return self._guard(super().incr, key, delta)
        except _RedisDown:
            raise ValueError(f"Key '{key}' not found.") from None

    def set_many(self, data, timeout):
        return self._or(None, super().set_many, data, timeout)

    def delete_many(self, keys):
        return self._or(None, super().delete_many, keys)

    def clear(self):
        return self._or(False, super().clear)

    def is_up(self) -> bool:
        """For /healthz: one PING, bypassing the fail-open window."""
        try:
            return bool(self.get_client(None).ping())
        except (RedisConnectionError, RedisTimeoutError, OSError):
            return False


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
