"""The transactional outbox (DESIGN.md §5): work for later, written in the caller's transaction, delivered after
commit by a dispatcher that claims rows with a state-guarded UPDATE.

Writers
- `enqueue(kind, payload, key=...)`: one message, `INSERT ... ON CONFLICT (key) DO NOTHING` in the caller's
  transaction; True when it is new. The key is the idempotency key ("reminder:<loan>:<due>:<step>"): the same
  key twice is one message, so a re-run nightly job enqueues nothing twice.
- `enqueue_task(task_name, *args, key=None, **kwargs)`: a Celery task, as a message of kind `celery_task`. A
  request never talks to the broker before it answers: after the commit, the dispatcher is kicked for this one
  message with short timeouts; when Redis is down the kick fails at once, is logged, and the row stays pending.
- Nightly SQL writes messages set-based: `INSERT INTO common_outbox (kind, key, payload) SELECT ... ON CONFLICT
  (key) DO NOTHING`; every other column has a database default (docs/architecture.md, "The outbox table").

Delivery
- `register_handler(kind, fn)`: `fn(payload)` delivers one message; it raises to fail. A failed message is tried
  again with a growing delay (`backoff`), and after `max_attempts()` it is `failed`, shown in the admin, where an
  admin retries it. A handler that raises `Unavailable` (the broker is down) does not use up an attempt: the
  message waits `UNAVAILABLE_DELAY` and the dispatcher stops its batch.
- `dispatch(kinds=None, limit=None)` claims due pending rows (picked `FOR UPDATE SKIP LOCKED`, then `UPDATE ...
  SET state='sending' WHERE id = ANY(<picked>) AND <still due> RETURNING ...`: two dispatchers never claim one
  row), delivers each, and marks the batch's delivered rows `sent` with `sent_at`, each guarded by its own claim.
  A claim left `sending` by a dispatcher that died is taken again after `STALE_CLAIM`.
- Delivery is at least once: a dispatcher that dies after delivering and before marking the row sent leaves it to
  be delivered again. Handlers are idempotent (a Celery task of ours is: its service is; a message handler checks
  what it already sent).
- Who dispatches: `common.tasks.dispatch_outbox` (Celery beat, every minute), the embedded `run_scheduler` (each
  check), and the after-commit kick of `enqueue_task`.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

CELERY_TASK = "celery_task"
STALE_CLAIM = datetime.timedelta(minutes=15)
"""A message claimed longer ago than this and still `sending` belongs to a dispatcher that died: taken again."""
UNAVAILABLE_DELAY = datetime.timedelta(seconds=30)
"""How long a message waits when its handler found the far side away (the broker down); the setting
OUTBOX_UNAVAILABLE_DELAY (seconds) changes it."""
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_BATCH = 500
KICK_TIMEOUT = 0.5
"""Seconds a request's after-commit kick may wait for the broker before it leaves the message to the dispatcher."""

Handler = Callable[[dict], Any]
_handlers: dict[str, Handler] = {}


class Unavailable(Exception):
    """Raised by a handler when the far side is away (the broker down): try later, without using up an attempt."""


def register_handler(kind: str, fn: Handler) -> None:
    """`fn(payload)` delivers one message of this kind; it raises to fail. Register in `AppConfig.ready()`."""
    _handlers[kind] = fn


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def unavailable_delay() -> datetime.timedelta:
    seconds = getattr(settings, "OUTBOX_UNAVAILABLE_DELAY", None)
    return UNAVAILABLE_DELAY if seconds is None else datetime.timedelta(seconds=seconds)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... at most an hour."""
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# ------------------------------------------------------------------------------------------------ writers


def enqueue(kind: str, payload: dict, *, key: str, available_at: datetime.datetime | None = None) -> bool:
    """Write one message in the caller's transaction; True when it is new, False when its key was there already."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO common_outbox (kind, key, payload, available_at)"
            " VALUES (%s, %s, %s::jsonb, COALESCE(%s, statement_timestamp()))"
            " ON CONFLICT (key) DO NOTHING RETURNING id",
            [kind, key, _json(payload), available_at],
        )
        return cursor.fetchone() is not None


def enqueue_task(
    task_name: str, *args: Any, key: str | None = None, task_options: dict | None = None, **kwargs: Any
) -> bool:
    """Send a Celery task through the outbox: written now, published after the commit (kicked at once, with short
    timeouts; the dispatcher otherwise). `key` makes a second enqueue of the same work a no-op (default: a new
    key every time). `task_options` are `apply_async` options (e.g. `queue`). True when the message is new."""
    key = key or f"{CELERY_TASK}:{task_name}:{uuid.uuid4().hex}"
    payload = {"task": task_name, "args": list(args), "kwargs": kwargs, "options": task_options or {}}
    created = enqueue(CELERY_TASK, payload, key=key)
    if created:
        transaction.on_commit(lambda: kick(keys=[key]))
    return created


def kick(*, keys: Iterable[str]) -> None:
    """Deliver these messages now if the far side answers; never raises (the dispatcher delivers them later)."""
    try:
        dispatch(keys=list(keys), timeout=KICK_TIMEOUT)
    except Exception:  # noqa: BLE001 - a request must not fail because delivery did: the row is still pending
        logger.exception("outbox: kick failed; the dispatcher will deliver")


# ------------------------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    key: str
    payload: dict
    attempts: int
    claimed_at: datetime.datetime


def claim(
    *, kinds: Iterable[str] | None = None, keys: Iterable[str] | None = None, limit: int = DEFAULT_BATCH
) -> list[Claimed]:
    """Claim due messages: pending ones whose time has come, and stale claims. One statement; rows another
    dispatcher holds are skipped, and the outer `state` condition guards against a row that changed meanwhile."""
    conditions, params = [], []
    if kinds is not None:
        conditions.append("kind = ANY(%s)")
        params.append(list(kinds))
    if keys is not None:
        conditions.append("key = ANY(%s)")
        params.append(list(keys))
    where = "".join(f" AND {condition}" for condition in conditions)
    due = (
        "((state = 'pending' AND available_at <= statement_timestamp())"
        " OR (state = 'sending' AND claimed_at < statement_timestamp() - %s))"
    )
    # The rows are picked (and locked) once, in materialized CTEs: an `id IN (SELECT ... LIMIT)` may be planned as
    # a join that reads the subquery again and so updates more rows than the limit. Stale claims and pending rows
    # are picked apart, each in the order of its partial index, so that neither sorts the whole backlog.
    sql = (
        f"WITH stale AS MATERIALIZED (SELECT id FROM common_outbox"  # noqa: S608
        f" WHERE state = 'sending' AND claimed_at < statement_timestamp() - %s{where}"
        f" ORDER BY claimed_at LIMIT %s FOR UPDATE SKIP LOCKED),"
        f" pending AS MATERIALIZED (SELECT id FROM common_outbox"
        f" WHERE state = 'pending' AND available_at <= statement_timestamp(){where}"
        f" ORDER BY available_at, id LIMIT (SELECT %s - count(*) FROM stale) FOR UPDATE SKIP LOCKED),"
        f" picked AS (SELECT id FROM stale UNION ALL SELECT id FROM pending)"
        f" UPDATE common_outbox SET state = 'sending', claimed_at = clock_timestamp(), attempts = attempts + 1"
        # `= ANY(ARRAY(...))`: the primary key's index finds the picked rows (a join is planned as a hash over the
        # whole table, the CTE's size being unknown to the planner)
        f" WHERE id = ANY(ARRAY(SELECT id FROM picked)) AND {due}"
        f" RETURNING id, kind, key, payload, attempts, claimed_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [STALE_CLAIM, *params, limit, *params, limit, STALE_CLAIM])
        rows = cursor.fetchall()
    return sorted(
        (
            Claimed(id, kind, key, _load(payload), attempts, claimed)
            for id, kind, key, payload, attempts, claimed in rows
        ),
        key=lambda row: row.id,
    )


def dispatch(
    *,
    kinds: Iterable[str] | None = None,
    limit: int | None = None,
    keys: Iterable[str] | None = None,
    timeout: float | None = None,
) -> dict[str, int]:
    """Deliver what is due (of `kinds`, or these `keys`), at most `limit` messages (default 500); returns counts:
    claimed, sent, retry (failed, tried again later), failed (attempts used up), unavailable (put back).

    The batch's Celery tasks share one broker connection; the delivered rows are marked sent together at the end
    of the batch (or when the far side goes away in its middle), each guarded by its own claim."""
    counts = {"claimed": 0, "sent": 0, "retry": 0, "failed": 0, "unavailable": 0}
    rows = claim(kinds=kinds, keys=keys, limit=limit or DEFAULT_BATCH)
    counts["claimed"] = len(rows)
    delivered: list[Claimed] = []
    with _Broker(timeout=timeout) as broker:
        for index, row in enumerate(rows):
            handler = _handlers.get(row.kind)
            try:
                if handler is None:
                    raise LookupError(f"no outbox handler for kind {row.kind!r}")
                if row.kind == CELERY_TASK:
                    _celery_task(row.payload, timeout=timeout, broker=broker)
                else:
                    handler(row.payload)
            except Unavailable as exc:
                counts["sent"] += _sent(delivered)
                delivered = []
                # the far side is away: put this one and the rest of the batch back without using up an attempt
                for later in rows[index:]:
                    _release(later, error=f"unavailable: {exc}")
                counts["unavailable"] += len(rows) - index
                logger.warning(
                    "outbox: %s unavailable (%s); %d message(s) wait", row.kind, exc, len(rows) - index
                )
                break
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
                counts[_fail(row, error=f"{type(exc).__name__}: {exc}")] += 1
                logger.warning("outbox: %s %s failed (attempt %d): %s", row.kind, row.key, row.attempts, exc)
            else:
                delivered.append(row)
    counts["sent"] += _sent(delivered)
    return counts


def _guarded(row: Claimed) -> str:
    return "WHERE id = %s AND state = 'sending' AND claimed_at = %s"


def _sent(rows: list[Claimed]) -> int:
    """Mark delivered rows sent, in one statement; a row whose claim was re-taken meanwhile is left alone."""
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE common_outbox AS o SET state = 'sent', sent_at = statement_timestamp(), last_error = ''"
            " FROM unnest(%s::bigint[], %s::timestamptz[]) AS d(id, claimed_at)"
            " WHERE o.id = d.id AND o.state = 'sending' AND o.claimed_at = d.claimed_at",
            [[row.id for row in rows], [row.claimed_at for row in rows]],
        )
        return cursor.rowcount


def _release(row: Claimed, *, error: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE common_outbox SET state = 'pending', attempts = GREATEST(attempts - 1, 0),"  # noqa: S608
            f" available_at = statement_timestamp() + %s, last_error = %s {_guarded(row)}",
            [unavailable_delay(), error[:4000], row.id, row.claimed_at],
        )


def _fail(row: Claimed, *, error: str) -> str:
    final = row.attempts >= max_attempts()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE common_outbox SET state = %s, available_at = statement_timestamp() + %s,"  # noqa: S608
            f" last_error = %s {_guarded(row)}",
            ["failed" if final else "pending", backoff(row.attempts), error[:4000], row.id, row.claimed_at],
        )
    return "failed" if final else "retry"


def retry_failed(*, ids: Iterable[int] | None = None) -> int:
    """Give failed messages (these, or all) a new round of attempts, due now. Returns how many."""
    messages = OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED)
    if ids is not None:
        messages = messages.filter(id__in=list(ids))
    return messages.update(state=OutboxMessage.State.PENDING, attempts=0, available_at=timezone.now())


def purge_sent(*, before: datetime.datetime) -> int:
    """Delete messages sent before `before` (their work is done; the rows only grow the table). Returns how many.
    One statement; `state = 'sent'` is served by the index (state, created_at, id)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM common_outbox WHERE state = 'sent' AND sent_at < %s", [before])
        return cursor.rowcount


PURGE_JOB = "outbox_purge"
DEFAULT_KEEP_DAYS = 30


def outbox_purge_run(*, business_date: datetime.date, force: bool = False):
    """The nightly job (NIGHTLY_JOBS "outbox_purge"): delete the messages delivered more than OUTBOX_KEEP_DAYS
    (default 30) days before the business date; failed and waiting ones are kept. Once per business date."""
    from .jobs import job_run

    keep = int(getattr(settings, "OUTBOX_KEEP_DAYS", DEFAULT_KEEP_DAYS))

    def body(day: datetime.date) -> dict:
        midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        return {"deleted": purge_sent(before=midnight - datetime.timedelta(days=keep))}

    return job_run(job=PURGE_JOB, business_date=business_date, body=body, force=force)


# ------------------------------------------------------------------------------------------------ Celery tasks


class _Broker:
    """One broker connection for a dispatcher's batch, opened at the first Celery task (none in eager mode),
    with bounded waits: a dead broker answers "unavailable" at once, never a request held up."""

    def __init__(self, *, timeout: float | None = None):
        self.timeout = timeout
        self.connection = None

    def __enter__(self) -> _Broker:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection must not hide the batch's result
                logger.debug("outbox: closing the broker connection failed", exc_info=True)
            self.connection = None

    def get(self, app):
        if self.connection is None:
            connect_timeout = self.timeout if self.timeout is not None else app.conf.broker_connection_timeout
            bounded = {"socket_connect_timeout": connect_timeout, "socket_timeout": max(connect_timeout, 1.0)}
            connection = app.connection_for_write(connect_timeout=connect_timeout, transport_options=bounded)
            try:
                connection.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0, timeout=connect_timeout
                )
            except Exception:
                connection.release()
                raise
            self.connection = connection
        return self.connection


def _celery_task(payload: dict, *, timeout: float | None = None, broker: _Broker | None = None) -> None:
    """The built-in handler of `celery_task`: publish the task to the broker (run it in-process where there is no
    broker: the embedded default's eager mode). A broker that does not answer raises `Unavailable`."""
    from celery import current_app
    from kombu.exceptions import OperationalError as BrokerError

    app = current_app
    name, args, kwargs = payload["task"], payload.get("args", []), payload.get("kwargs", {})
    options = dict(payload.get("options") or {})
    if app.conf.task_always_eager:
        task = app.tasks.get(name)
        if task is None:
            from .jobs import resolve

            task = resolve(name)
        if hasattr(task, "apply"):
            task.apply(args=args, kwargs=kwargs, throw=True)
        else:  # a plain function at that path (the tests' nightly jobs)
            task(*args, **kwargs)
        return
    try:
        if broker is None:
            with _Broker(timeout=timeout) as own:
                app.send_task(name, args=args, kwargs=kwargs, connection=own.get(app), retry=False, **options)
        else:
            app.send_task(name, args=args, kwargs=kwargs, connection=broker.get(app), retry=False, **options)
    except (BrokerError, OSError, TimeoutError) as exc:
        if broker is not None:
            broker.__exit__(None, None, None)  # a broken connection is not used for the next message
        raise Unavailable(f"broker: {exc}") from exc


register_handler(CELERY_TASK, lambda payload: _celery_task(payload))


def _json(payload: dict) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder)


def _load(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value
