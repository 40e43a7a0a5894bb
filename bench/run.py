"""Benchmark of the maturity register at a million loans (issue 3, item 7). Run by hand, not in the test suite.

    .venv/bin/python bench/run.py [--loans 1000000] [--database-url postgres://postgres@127.0.0.1:5432/lr_bench]
                                  [--reuse] [--repeat 7] [--seed 2026] [--export-rows 100000] [--json PATH]

1. Seeds the book (`seed_demo --without-ledger`) into a dedicated PostgreSQL database, which it DROPS and
   creates anew, unless `--reuse` finds it already holds the loans; then a `CHECKPOINT`, so that the seed's
   writes are not flushed while pages are timed.
2. Times, server-side through Django's test Client with a signed-in retention-team user: the register's first
   page, its 1,000th page (keyset cursor), a filtered page, a borrower-name search and the maturity ladder.
   Beside each: the same SQL (captured with CaptureQueriesContext) run by `psql` with `\\timing`.
3. Times a 100,000-row CSV export with `export_maturities` (in-process, as the ratio's numerator; and in a
   subprocess under `/usr/bin/time -v` for its peak memory) beside `psql -c "COPY (same query) TO STDOUT"`.
4. Prints a table of medians and ratios (Django / psql); `--json` also writes them to a file.

The results and how to read them are in docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TIME = shutil.which("time") or "/usr/bin/time"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_bench"),
        help="a dedicated PostgreSQL database: it is dropped and created anew unless --reuse",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already holds the loans"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per page (median reported)")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def run(cmd: list[str], env: dict, *, input_text: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, env=env, input=input_text, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result


def timed_subprocess(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in kB (from /usr/bin/time -v) and stdout of a command."""
    started = time.perf_counter()
    result = run([TIME, "-v", *cmd], env)
    seconds = time.perf_counter() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return seconds, int(match.group(1)) if match else 0, result.stdout


# --- 1. the book ------------------------------------------------------------------------------------------


def database_and_admin_url(database_url: str) -> tuple[str, str]:
    """The database's name, and a URL of the same server's `postgres` database (to drop and create it)."""
    url = urlparse(database_url)
    return url.path.lstrip("/"), url._replace(path="/postgres").geturl()


def loans_in(database_url: str) -> int:
    result = subprocess.run(
        ["psql", "-X", "-At", "-d", database_url, "-c", "SELECT count(*) FROM loanregister_loan"],
        capture_output=True,
        text=True,
    )
    return int(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else 0


def seed_book(args: argparse.Namespace, env: dict) -> dict:
    if args.reuse and loans_in(args.database_url) >= args.loans:
        print(
            f"reusing {args.database_url} ({loans_in(args.database_url):,} loans); migrating it", flush=True
        )
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        return {"reused": True}
    name, admin_url = database_and_admin_url(args.database_url)
    print(f"creating {name} afresh and seeding {args.loans:,} loans …", flush=True)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}"'], env)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'CREATE DATABASE "{name}"'], env)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([PYTHON, "manage.py", "create_demo_users"], env)
    seconds, rss, out = timed_subprocess(
        [
            PYTHON,
            "manage.py",
            "seed_demo",
            "--loans",
            str(args.loans),
            "--seed",
            str(args.seed),
            "--without-ledger",
        ],
        env,
    )
    print(out.strip().splitlines()[-1])
    print(f"seed: {seconds:.0f} s wall, peak RSS {rss / 1024:.0f} MB")
    return {
        "reused": False,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(rss / 1024),
        "output": out,
        "checkpoint_seconds": checkpoint(args.database_url, env),
    }


def checkpoint(database_url: str, env: dict) -> float | None:
    """Write out what the seed left in PostgreSQL's buffers and WAL before anything is timed, so that the
    checkpointer's writes do not land in the pages' timings (a run started right after a seed measured one warm
    page at 3.56× its SQL, and 2.77× a few minutes later). Needs a superuser (or pg_checkpoint); without one the
    run goes on and says so."""
    started = time.perf_counter()
    result = subprocess.run(
        ["psql", "-X", "-q", "-d", database_url, "-c", "CHECKPOINT"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        print(
            f"no checkpoint after the seed ({result.stderr.strip()}): the first timings may include its writes"
        )
        return None
    seconds = time.perf_counter() - started
    print(f"checkpoint after the seed: {seconds:.1f} s")
    return round(seconds, 1)


# --- 2. pages ---------------------------------------------------------------------------------------------

# A server-side cursor (QuerySet.iterator) is captured as its DECLARE; psql runs the SELECT inside it.
_DECLARE = re.compile(r"^\s*DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+", re.I | re.S)
_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK|BEGIN|COMMIT)\b", re.I)
# The database cache's own writes (a cold page files its sums): replayed they would collide with the stored key.
_CACHE_WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?register_cache\b", re.I)


def psql_request_ms(database_url: str, statements: list[str], repeat: int) -> tuple[float, float]:
    """Median and best over `repeat` runs of the summed `\\timing` of the statements, in one warm session."""
    statements = [
        _DECLARE.sub("", s).strip().rstrip(";")
        for s in statements
        if not _TRANSACTION_CONTROL.match(s) and not _CACHE_WRITE.match(s)
    ]
    body = "".join(f"{s};\n" for s in statements)
    script = "SET TIME ZONE 'UTC';\n\\timing on\n\\o /dev/null\n" + body * (repeat + 1)
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr}\n{body}")
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", result.stdout)]
    n = len(statements)
    per_request = [sum(times[i * n : (i + 1) * n]) for i in range(repeat + 1)][1:]  # the first run warms up
    return statistics.median(per_request), min(per_request)


def time_page(client, url: str, repeat: int, *, cold: bool) -> dict:
    """Median server time of a page. `cold` moves the register's version on before every request (as any write to
    the register does), so nothing the register cached is read: the totals, ladder and export note are computed
    as on the first view of a filter; warm, they come from the cache as when paging. (The version, and not
    `cache.clear()`, so that a shared Redis is never flushed.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def prepare() -> None:
        if cold:
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval('loanregister_register_version')")

    prepare()
    response = client.get(url)  # warm up (templates, plans, PostgreSQL's buffers)
    assert response.status_code == 200, (url, response.status_code)
    prepare()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    # Copy now: every request start empties the connection's query log (django.db.reset_queries).
    queries = list(captured.captured_queries)
    timings = []
    for _ in range(repeat):
        prepare()
        started = time.perf_counter()
        response = client.get(url)
        _ = response.content
        timings.append((time.perf_counter() - started) * 1000)
    statements = [q["sql"] for q in queries]
    slowest = max(queries, key=lambda q: float(q["time"]))
    return {
        "url": url,
        "django_ms": statistics.median(timings),
        "django_best_ms": min(timings),
        "queries": len(statements),
        "statements": statements,
        "slowest_sql": slowest["sql"],
        "slowest_ms": float(slowest["time"]) * 1000,
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "rows_on_page": response.content.count(b"data-event-id="),
        "ladder_months": response.content.count(b"<tr data-month="),
    }


def page_scenarios(today: datetime.date) -> dict:
    """URLs of the pages to time, built from the book (the 1,000th page's cursor needs a seek to find)."""
    from loanregister import register
    from loanregister.models import Office

    start, end = register.default_window(today)
    window = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    events = register.register_events(filterset=register.register_filterset(data=window))
    # Page 1,000 starts after the 49,950th event (50 a page); found once with OFFSET, then used as a cursor.
    day, pk = events.order_by("event_date", "id").values_list("event_date", "id")[
        999 * register.PAGE_SIZE - 1
    ]
    aarhus = Office.objects.get(code="BR-AAR").pk
    return {
        "first page": "/register/",
        "page 1,000 (keyset)": "/register/?" + urlencode({**window, "after": f"{day.isoformat()}_{pk}"}),
        "filtered page": "/register/?"
        + urlencode({**window, "loan_type": "adjustable", "office": aarhus, "balance_min": "1000000"}),
        "name search": "/register/?" + urlencode({**window, "q": "jensen"}),
        "ladder (maturities, 12 months)": "/register/?" + urlencode({**window, "kind": "maturity"}),
    }


# --- 3. export --------------------------------------------------------------------------------------------


def export_window(today: datetime.date, rows: int) -> tuple[datetime.date, datetime.date, int]:
    """From today, the shortest window of maturity events whose export (do-not-contact left out) has at
    least `rows` rows; the last day's ties may add a few thousand."""
    from django.db.models import Count

    from loanregister import exports, register

    far = today.replace(year=today.year + 30)
    filterset = register.register_filterset(
        data={"date_from": today.isoformat(), "date_to": far.isoformat(), "kind": ["maturity"]}
    )
    queryset = exports.export_queryset(events=register.register_events(filterset=filterset))
    total = 0
    for day, n in (
        queryset.order_by()
        .values_list("event_date")
        .annotate(n=Count("id"))
        .order_by("event_date")
        .iterator()
    ):
        total += n
        if total >= rows:
            return today, day, total
    return today, far, total


def time_export(args: argparse.Namespace, env: dict, today: datetime.date) -> dict:
    """The CSV and the XLSX export of ~`--export-rows` maturities beside psql's COPY of the CSV's SELECT: each round
    runs the three one after the other (CSV, XLSX, psql), so a change in the machine's load falls on all three
    alike; medians of `--repeat` rounds after a warm-up round. Then the peak memory of each as a command."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    date_from, date_to, expected = export_window(today, args.export_rows)
    out_dir = Path(tempfile.mkdtemp(prefix="lr-bench-"))

    def command(fmt: str) -> list[str]:
        return [
            "export_maturities",
            "--from",
            date_from.isoformat(),
            "--to",
            date_to.isoformat(),
            "--kind",
            "maturity",
            "--format",
            fmt,
        ]

    def export_once(fmt: str, path: Path) -> float:
        started = time.perf_counter()
        call_command(*command(fmt), "--output", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
        return time.perf_counter() - started

    # The export streams through `COPY ... TO STDOUT` on PostgreSQL, which Django's query log does not see:
    # record the statement the export runs, and time exactly that statement in psql.
    from loanregister import exports_copy

    seen: dict = {}
    original = exports_copy.copy_into_file

    def recording(*, sql: str, out, using: str = "default") -> int:
        seen.setdefault("sql", sql)
        seen["rows"] = original(sql=sql, out=out, using=using)
        return seen["rows"]

    exports_copy.copy_into_file = recording
    try:
        export_once("csv", out_dir / "captured.csv")
    finally:
        exports_copy.copy_into_file = original
    if "sql" in seen:
        rows = seen["rows"]
        copy_sql = seen["sql"]
    else:  # no COPY path (another database): fall back to the largest captured SELECT
        with CaptureQueriesContext(connection) as captured:
            export_once("csv", out_dir / "captured.csv")
        big = max(captured.captured_queries, key=lambda q: len(q["sql"]))
        copy_sql = f"COPY ({_DECLARE.sub('', big['sql'])}) TO STDOUT WITH (FORMAT csv, HEADER)"
        rows = expected

    def psql_once() -> float:
        started = time.perf_counter()
        with open(os.devnull, "w") as sink:
            subprocess.run(
                ["psql", "-X", "-q", "-d", args.database_url, "-c", copy_sql], stdout=sink, check=True
            )
        return time.perf_counter() - started

    runs: dict[str, list[float]] = {"csv": [], "xlsx": [], "psql": []}
    for round_ in range(max(3, args.repeat) + 1):  # interleaved; the first round warms up
        timed = {
            "csv": export_once("csv", out_dir / "run.csv"),
            "xlsx": export_once("xlsx", out_dir / "run.xlsx"),
            "psql": psql_once(),
        }
        if round_:
            for name, seconds in timed.items():
                runs[name].append(seconds)
    xlsx_bytes = (out_dir / "run.xlsx").stat().st_size
    csv_bytes = (out_dir / "run.csv").stat().st_size

    # Peak memory: each command in a process of its own, beside the same process exporting one day.
    subprocess_seconds, rss, _out = timed_subprocess(
        [PYTHON, "manage.py", *command("csv"), "--output", str(out_dir / "rss.csv")], env
    )
    xlsx_subprocess_seconds, xlsx_rss, _out = timed_subprocess(
        [PYTHON, "manage.py", *command("xlsx"), "--output", str(out_dir / "rss.xlsx")], env
    )
    _s, baseline_rss, _o = timed_subprocess(
        [
            PYTHON,
            "manage.py",
            "export_maturities",
            "--from",
            date_from.isoformat(),
            "--to",
            date_from.isoformat(),
            "--format",
            "csv",
            "--output",
            str(out_dir / "tiny.csv"),
        ],
        env,
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "window": [date_from.isoformat(), date_to.isoformat()],
        "rows": rows,
        "expected_rows": expected,
        "django_s": statistics.median(runs["csv"]),
        "xlsx_s": statistics.median(runs["xlsx"]),
        "psql_copy_s": statistics.median(runs["psql"]),
        "django_best_s": min(runs["csv"]),
        "xlsx_best_s": min(runs["xlsx"]),
        "psql_copy_best_s": min(runs["psql"]),
        "runs": runs,
        "csv_bytes": csv_bytes,
        "xlsx_bytes": xlsx_bytes,
        "subprocess_s": subprocess_seconds,
        "xlsx_subprocess_s": xlsx_subprocess_seconds,
        "peak_rss_mb": rss / 1024,
        "xlsx_peak_rss_mb": xlsx_rss / 1024,
        "baseline_rss_mb": baseline_rss / 1024,
        "copy_sql": copy_sql,
    }


# --- main -------------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",  # as in production: no debug cursor, no debug toolbar
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    seeding = seed_book(args, env)

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    today = timezone.localdate()
    user = get_user_model().objects.get(username="retention-team")  # view + export, like a campaign user
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "testserver")
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM loanregister_loan")
        loans = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM loanregister_registerevent")
        events = cursor.fetchone()[0]
    load = os.getloadavg()
    print(
        f"\nbook: {loans:,} loans, {events:,} register events; today {today}; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n"
    )

    pages: dict[str, dict] = {}
    print(
        f"{'page':32} {'cache':5} {'Django ms':>10} {'psql ms':>8} {'ratio':>6} "
        f"{'best D/psql ms':>15} {'ratio':>6} {'queries':>8} {'slowest query ms':>17}"
    )
    for name, url in page_scenarios(today).items():
        for cold in (True, False):
            figures = time_page(client, url, args.repeat, cold=cold)
            figures["psql_ms"], figures["psql_best_ms"] = psql_request_ms(
                args.database_url, figures["statements"], args.repeat
            )
            figures["ratio"] = figures["django_ms"] / figures["psql_ms"] if figures["psql_ms"] else None
            figures["best_ratio"] = figures["django_best_ms"] / figures["psql_best_ms"]
            pages[f"{name} ({'cold' if cold else 'warm'})"] = figures
            print(
                f"{name:32} {'cold' if cold else 'warm':5} {figures['django_ms']:10.1f} "
                f"{figures['psql_ms']:8.1f} {figures['ratio']:6.2f} "
                f"{figures['django_best_ms']:7.1f}/{figures['psql_best_ms']:<7.1f} {figures['best_ratio']:6.2f} "
                f"{figures['queries']:8d} "
                f"{figures['slowest_ms']:17.1f}",
                flush=True,
            )

    print(
        "\nissue 9's page targets (same run): warm page <= 3x its SQL (target 1), cold <= 2x warm (target 2)"
    )
    for name in page_scenarios(today):
        cold, warm = pages[f"{name} (cold)"], pages[f"{name} (warm)"]
        print(
            f"  {name:32} warm {warm['django_ms']:6.1f} ms = {warm['ratio']:5.2f}x its SQL; "
            f"cold {cold['django_ms']:6.1f} ms = {cold['django_ms'] / warm['django_ms']:5.2f}x warm"
        )
        cold["cold_to_warm"] = cold["django_ms"] / warm["django_ms"]

    export = time_export(args, env, today)
    export["ratio"] = export["django_s"] / export["psql_copy_s"]
    export["xlsx_to_csv"] = export["xlsx_s"] / export["django_s"]
    export["load_average_after"] = os.getloadavg()
    print(
        f"\nCSV export {export['rows']:,} rows ({export['window'][0]}..{export['window'][1]}, maturities): "
        f"export_maturities {export['django_s']:.2f} s in-process ({export['subprocess_s']:.2f} s as a "
        f"command), psql COPY {export['psql_copy_s']:.2f} s, ratio {export['ratio']:.2f} "
        f"(best {export['django_best_s']:.2f} / {export['psql_copy_best_s']:.2f} s); "
        f"peak RSS {export['peak_rss_mb']:.0f} MB (one-day export: {export['baseline_rss_mb']:.0f} MB)\n"
        f"XLSX export, same rows: {export['xlsx_s']:.2f} s in-process ({export['xlsx_subprocess_s']:.2f} s as a "
        f"command), {export['xlsx_to_csv']:.2f}x the CSV (target <= 3), {export['xlsx_bytes'] / 1e6:.1f} MB "
        f"(CSV {export['csv_bytes'] / 1e6:.1f} MB); peak RSS {export['xlsx_peak_rss_mb']:.0f} MB (target < 150)"
    )
    print(f"load average after: {export['load_average_after'][0]:.1f}")
    if args.json:
        for figures in pages.values():
            figures.pop("statements")
        Path(args.json).write_text(
            json.dumps(
                {
                    "loans": loans,
                    "events": events,
                    "today": today.isoformat(),
                    "load_average_before": load,
                    "seed": seeding,
                    "pages": pages,
                    "export": export,
                },
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
