"""Benchmark of the outbox's dispatcher (common/outbox.py). Run by hand, not in the suite.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_bench .venv/bin/python bench/outbox.py [--messages 100000]
                                                                                          [--history 1000000]

It writes into the database's `common_outbox` (migrated; the rows it adds are deleted at the end): `--history`
delivered messages (a month of a busy book's reminders and tasks), then `--messages` pending ones, set-based, as a
nightly job's `INSERT ... SELECT` writes them, and times:

- the set-based INSERT of the pending messages;
- the claim of one batch (500) with the history beside it: the partial index on pending rows serves it;
- dispatching all of them with a handler that does nothing (the dispatcher's own cost: claim, deliver, mark sent);
- the operations page's backlog query, and the nightly purge of the history.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from common import outbox  # noqa: E402
from common.operations import outbox_backlog  # noqa: E402

KIND = "bench_noop"


def _timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed * 1000:,.0f} ms")
    return result, elapsed


def _sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()
    outbox.register_handler(KIND, lambda payload: None)
    _sql("DELETE FROM common_outbox WHERE kind = %s", [KIND])
    try:
        _timed(
            f"history: {args.history:,} delivered messages",
            lambda: _sql(
                "INSERT INTO common_outbox (kind, key, payload, state, sent_at, created_at)"
                " SELECT %s, 'bench:sent:' || n, jsonb_build_object('n', n), 'sent',"
                " now() - interval '40 days' + n * interval '1 second', now() - interval '40 days'"
                " FROM generate_series(1, %s) AS n",
                [KIND, args.history],
            ),
        )
        _sql("ANALYZE common_outbox")
        _, insert = _timed(
            f"INSERT ... SELECT of {args.messages:,} pending messages",
            lambda: _sql(
                "INSERT INTO common_outbox (kind, key, payload) SELECT %s, 'bench:' || n,"
                " jsonb_build_object('loan', n, 'step', 'reminder') FROM generate_series(1, %s) AS n"
                " ON CONFLICT (key) DO NOTHING",
                [KIND, args.messages],
            ),
        )
        _sql("ANALYZE common_outbox")
        _timed("the operations page's backlog query", outbox_backlog)
        claimed, claim = _timed("one claim of 500", lambda: outbox.claim(kinds=[KIND], limit=500))
        _sql(
            "UPDATE common_outbox SET state = 'pending', attempts = 0 WHERE id = ANY(%s)",
            [[r.id for r in claimed]],
        )
        started = time.perf_counter()
        sent = 0
        while True:
            counts = outbox.dispatch(kinds=[KIND], limit=500)
            sent += counts["sent"]
            if not counts["claimed"]:
                break
        elapsed = time.perf_counter() - started
        print(
            f"dispatch of {sent:,} messages (no-op handler): {elapsed:,.1f} s, {sent / elapsed:,.0f} messages/s"
        )
        _timed(
            "nightly purge of the history (delivered > 30 days ago)",
            lambda: outbox.purge_sent(before=timezone.now() - datetime.timedelta(days=30)),
        )
        print(f"(insert {args.messages / insert:,.0f} messages/s; claim {claim * 1000:.1f} ms per 500)")
    finally:
        _sql("DELETE FROM common_outbox WHERE kind = %s", [KIND])


if __name__ == "__main__":
    main()
