"""The shared cache on Redis, which a page may never depend on.

The register keeps its totals in the cache (loanregister/register_cache.py), but the cache is only a shortcut: with
Redis down (the broker restarting, a network blip) a page must still answer, from the database, within a second.
Django's RedisCache raises on a refused connection; this one logs the failure (once a minute) and answers as a miss,
with short socket timeouts so a dead host costs a fraction of a second, not the kernel's connect timeout.
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
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
