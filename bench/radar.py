"""Benchmark of the nightly maturity radar at a million loans (issue 10). Run by hand, not in the test suite.

    .venv/bin/python bench/radar.py [--loans 1000000] [--database-url postgres://postgres@127.0.0.1:5432/lr_radar_bench]
                                    [--reuse] [--keep] [--repeat 3] [--seed 2026] [--json PATH]

1. Seeds the book (`seed_demo --without-ledger`) into a dedicated PostgreSQL database, which it DROPS and creates
   anew unless `--reuse` finds it already holds the loans.
2. Times, in-process (`maturity_radar_apply`, the nightly job's body, for today's business date):
   - the **first run** (no lead yet; the lead and lead history tables emptied before each timed run);
   - the **re-run** for the same date (every lead there: nothing to create, update or close);
   - the **next night** (the business date a day later: a day's worth of new leads);
   - the **dry run** (`maturity_radar_preview`: the three steps' counts and first rows, nothing written).
   Beside them, with `psql` and `\\timing`: **one plain `INSERT … SELECT`** of the same selection (the due events
   with their owner, into the empty lead table, inside a transaction rolled back), and the radar's own three
   statements as it ran them (captured), so that Django's share is visible.
3. Prints medians and ratios (radar ÷ plain statement); `--json` writes them; the database is dropped at the end
   unless `--keep`.

The figures and how to read them are in docs/benchmarks.md ("The maturity radar").
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# The book is seeded the way bench/run.py seeds it (the script's folder is first on sys.path).
from run import database_and_admin_url, run, seed_book  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "RADAR_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_radar_bench"
        ),
        help="a dedicated PostgreSQL database: dropped and created anew unless --reuse, dropped at the end unless --keep",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already holds the loans"
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median reported)")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def drop(database_url: str, env: dict) -> None:
    name, admin_url = database_and_admin_url(database_url)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env)
    print(f"dropped {name}")


def psql_ms(database_url: str, setup: str, statements: list[str], repeat: int) -> list[float]:
    """`repeat` timings (ms) of `BEGIN; statements; COMMIT` in one psql session, each round after `setup` (not
    timed), after a warm-up round: the statements as they commit, like the radar's own transaction."""
    body = "".join(f"{s.strip().rstrip(';')};\n" for s in statements)
    round_ = f"{setup}\n\\timing on\nBEGIN;\n{body}COMMIT;\n\\timing off\n"
    script = "SET TIME ZONE 'UTC';\n\\o /dev/null\n" + round_ * (repeat + 1)
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr}\n{body}")
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", result.stdout)]
    n = len(statements) + 2  # BEGIN and COMMIT too
    rounds = [sum(times[i * n : (i + 1) * n]) for i in range(repeat + 1)]
    return rounds[1:]  # the first round warms up


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def main() -> int:
    args = parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    seeding = seed_book(args, env)
    try:
        figures = measure(args, env)
    finally:
        if not args.keep:
            drop(args.database_url, env)
    figures["seeding"] = seeding
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


def measure(args: argparse.Namespace, env: dict) -> dict:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from loanregister.leads import radar
    from loanregister.models import Lead

    day = timezone.localdate()
    history = Lead.history.model._meta.db_table

    def scalar(sql: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return cursor.fetchone()[0]

    def empty_leads() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Lead._meta.db_table}, {history} CASCADE")  # the contact log: empty
            cursor.execute(f"ANALYZE {Lead._meta.db_table}")

    book = {
        "loans": scalar("SELECT count(*) FROM loanregister_loan"),
        "register_events": scalar("SELECT count(*) FROM loanregister_registerevent"),
        "horizons": dict(radar.RadarHorizon.objects.values_list("event", "days")),
        "business_date": day.isoformat(),
    }
    # the radar's selection of due events with their owner (its own step adds only "and no lead yet")
    window = radar._window(day)
    due_sql = f"""FROM {radar._DUE_FROM} WHERE e.status = 'active'
                  AND e.event_date BETWEEN %(day)s AND %(until)s AND e.event_date <= %(day)s::date + h.days"""
    book["due_events"] = scalar(f"SELECT count(*) {due_sql}", window)
    print(f"book: {book}", flush=True)

    # The plain statement: the same selection (due events and their owner) into the empty lead table.
    truncate = f"TRUNCATE {Lead._meta.db_table}, {history} CASCADE; ANALYZE {Lead._meta.db_table};"
    plain = f"""INSERT INTO {Lead._meta.db_table} (loan_id, event, event_date, officer_id, status, found_on,
                    status_changed_at, created_at, updated_at)
                SELECT e.loan_id, e.kind, e.event_date, {radar._OWNER}, 'new', %(day)s, now(), now(), now()
                {due_sql}"""
    with connection.cursor() as cursor:
        plain_sql = cursor.mogrify(plain, window).decode()
    plain_ms = psql_ms(args.database_url, truncate, [plain_sql], args.repeat)
    print(f"plain INSERT … SELECT in psql: {plain_ms} ms", flush=True)

    # The radar's first run: its own statements captured once, then timed in-process and in psql.
    first_ms, first_counts, captured = [], None, []
    for attempt in range(args.repeat + 1):
        empty_leads()
        started = time.perf_counter()
        if attempt == 0:
            with CaptureQueriesContext(connection) as queries:
                first_counts = radar.maturity_radar_apply(business_date=day)
            captured = [q["sql"] for q in queries.captured_queries]
        else:
            first_counts = radar.maturity_radar_apply(business_date=day)
        elapsed = (time.perf_counter() - started) * 1000
        if attempt:  # the first attempt warms up (and captures)
            first_ms.append(elapsed)
    print(f"radar first run: {first_ms} ms, {first_counts}", flush=True)
    statements = [
        sql for sql in captured if re.match(r"^\s*(WITH|SELECT pg_advisory|SET LOCAL|ANALYZE)", sql)
    ]
    first_psql_ms = psql_ms(args.database_url, truncate, statements, args.repeat)
    print(f"radar's statements in psql (first run): {first_psql_ms} ms", flush=True)

    # Re-runs for the same date: every lead is there.
    empty_leads()
    radar.maturity_radar_apply(business_date=day)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Lead._meta.db_table}")
    rerun_ms, rerun_counts = [], None
    for _ in range(args.repeat):
        started = time.perf_counter()
        rerun_counts = radar.maturity_radar_apply(business_date=day)
        rerun_ms.append((time.perf_counter() - started) * 1000)
    print(f"radar re-run: {rerun_ms} ms, {rerun_counts}", flush=True)
    rerun_psql_ms = psql_ms(args.database_url, "", statements, args.repeat)

    # The dry run, on the full lead table, for the next night; then the next night itself.
    next_day = day + datetime.timedelta(days=1)
    preview_ms, preview_counts = [], None
    for _ in range(args.repeat):
        started = time.perf_counter()
        preview_counts = radar.maturity_radar_preview(business_date=next_day).counts()
        preview_ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    next_counts = radar.maturity_radar_apply(business_date=next_day)
    next_ms = (time.perf_counter() - started) * 1000
    print(
        f"dry run for {next_day}: {preview_ms} ms, {preview_counts}; the run: {next_ms:.0f} ms, {next_counts}"
    )

    plain = _median(plain_ms)
    return {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "postgres": scalar("SHOW server_version"),
        "book": book,
        "plain_insert_select_psql_ms": {"median": plain, "runs": plain_ms},
        "first_run": {
            "median_ms": _median(first_ms),
            "runs": first_ms,
            "counts": first_counts,
            "ratio_to_plain": round(_median(first_ms) / plain, 2),
            "statements_in_psql_ms": _median(first_psql_ms),
        },
        "re_run": {
            "median_ms": _median(rerun_ms),
            "runs": rerun_ms,
            "counts": rerun_counts,
            "ratio_to_plain": round(_median(rerun_ms) / plain, 2),
            "statements_in_psql_ms": _median(rerun_psql_ms),
        },
        "dry_run_next_night": {"median_ms": _median(preview_ms), "counts": preview_counts},
        "next_night": {"ms": round(next_ms, 1), "counts": next_counts},
    }


def report(figures: dict) -> None:
    book, plain = figures["book"], figures["plain_insert_select_psql_ms"]["median"]
    print()
    print(
        f"{book['loans']:,} loans, {book['register_events']:,} register events, {book['due_events']:,} due on "
        f"{book['business_date']} (horizons {book['horizons']})"
    )
    print(f"{'':44} {'median ms':>10} {'ratio':>7}")
    print(f"{'plain INSERT … SELECT (psql)':44} {plain:>10.0f} {1:>7.2f}")
    for name, key in (("radar, first run", "first_run"), ("radar, re-run (same date)", "re_run")):
        part = figures[key]
        print(f"{name:44} {part['median_ms']:>10.0f} {part['ratio_to_plain']:>7.2f}   {part['counts']}")
        print(f"{'  its statements in psql':44} {part['statements_in_psql_ms']:>10.0f}")
    print(
        f"{'dry run (next night)':44} {figures['dry_run_next_night']['median_ms']:>10.0f}"
        f"          {figures['dry_run_next_night']['counts']}"
    )
    print(
        f"{'radar, next night':44} {figures['next_night']['ms']:>10.0f}          {figures['next_night']['counts']}"
    )


if __name__ == "__main__":
    sys.exit(main())
