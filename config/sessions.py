"""Sessions in PostgreSQL, read through the (fail-open) cache.

Every logged-in request reads its session: from Redis that is one GET instead of an ORM query
(about 1 ms of each page on the large data set). PostgreSQL stays the record, so a Redis
outage logs nobody out: reads miss and fall back to the database, writes reach the database.

A cached copy lives at most SESSION_CACHE_SECONDS. Django keeps it as long as the session
(two weeks); but a logout or a key rotation during a Redis outage deletes the row while its
cached copy, unreachable then, survives. Capping its life bounds how long such a copy could
outlive the outage.
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

SESSION_CACHE_SECONDS = 300


class SessionStore(CachedDBStore):
    def load(self):
        data = self._cache.get(self.cache_key)
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache.set(self.cache_key, data, self._cache_seconds(row.expire_date))
        return data

    def save(self, must_create=False):
        # The database first (DBStore.save), then the cache, as Django's cached_db does.
        super(CachedDBStore, self).save(must_create)
        self._cache.set(self.cache_key, self._session, self._cache_seconds())

    def _cache_seconds(self, expiry=None) -> int:
        age = self.get_expiry_age(expiry=expiry) if expiry else self.get_expiry_age()
        return max(0, min(age, SESSION_CACHE_SECONDS))
