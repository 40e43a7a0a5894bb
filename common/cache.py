"""The shared cache: on Redis, which a page may never depend on; or in the database, written in one statement.

The register keeps its totals in the cache (loanregister/register_cache.py), but the cache is only a shortcut: with
Redis down (the broker restarting, a network blip) a page must still answer, from the database, within a second.
Django's RedisCache raises on a refused connection; this one logs the failure (once a minute) and answers as a miss,
with short socket timeouts so a dead host costs a fraction of a second, not the kernel's connect timeout.
"""

import base64
import datetime
import itertools
import logging
import pickle
import time
from functools import wraps

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# what a dead or unreachable Redis raises: the client's own errors and the socket's
UNAVAILABLE = (RedisError, OSError)
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
_WARN_EVERY = 60.0
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY:
        _last_warning = now
        logger.warning("cache unavailable (%s: %s): pages answer from the database", operation, error)


def _answering(fallback):
    """Run the cache operation; on an unavailable Redis, log and return what `fallback(*args, **kwargs)` gives."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                _warn(method.__name__, error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})

    get = _answering(_default)(RedisCache.get)
    get_many = _answering(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _answering(lambda *a, **k: False)(RedisCache.has_key)
    add = _answering(lambda *a, **k: False)(RedisCache.add)
    set = _answering(lambda *a, **k: None)(RedisCache.set)
    set_many = _answering(lambda keys, *a, **k: list(keys))(RedisCache.set_many)
    touch = _answering(lambda *a, **k: False)(RedisCache.touch)
    delete = _answering(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _answering(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _answering(lambda *a, **k: False)(RedisCache.clear)


# --- the database cache of the embedded default ----------------------------------------------------------------


class UpsertDatabaseCache(DatabaseCache):
    """Django's database cache, with `set` in one statement.

    Django's `set` takes five: a `COUNT(*)` of the table to decide on culling, then a transaction that reads the
    key's row and updates or inserts it. A first view of a register filter files two entries (its totals and its
    export note), so ten of its two dozen statements were the cache's (issue 9, target 4). Here a `set` is one
    `INSERT … ON CONFLICT (cache_key) DO UPDATE`, and the table is counted (and culled as Django culls it) on one
    set in `CULL_CHECK_EVERY` per process, so it may pass MAX_ENTRIES by at most that many rows between checks.
    `add` and `touch` stay Django's. A failed write raises nothing, as with Django's (`_base_set` answers False),
    and leaves a caller's transaction usable (a savepoint when inside one).
    """

    CULL_CHECK_EVERY = 50

    def __init__(self, table, params):
        super().__init__(table, params)
        self._sets = itertools.count()

    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        if mode != "set":
            return super()._base_set(mode, key, value, timeout)
        timeout = self.get_backend_timeout(timeout)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        now = tz_now().replace(microsecond=0)
        tz = datetime.UTC if settings.USE_TZ else None
        expires = (
            datetime.datetime.max.replace(tzinfo=tz)
            if timeout is None
            else datetime.datetime.fromtimestamp(timeout, tz=tz)
        )
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        with connection.cursor() as cursor:
            if next(self._sets) % self.CULL_CHECK_EVERY == 0:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, now, count)
            upsert = (
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s)"
                " ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires"
            )
            try:
                if connection.in_atomic_block:
                    with transaction.atomic(using=db):
                        cursor.execute(upsert, [key, encoded, expires])
                else:
                    cursor.execute(upsert, [key, encoded, expires])
            except DatabaseError:
                return False  # as Django's: a cache write may fail without failing the page
        return True
