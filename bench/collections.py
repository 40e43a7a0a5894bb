"""Benchmark of the nightly collection reminders over the demo book with arrears (issue 11). By hand, not in tests.

    .venv/bin/python bench/collections.py [--loans 1000000] [--database-url postgres://postgres@127.0.0.1:5432/lr_coll_bench]
                                          [--reuse] [--keep] [--repeat 3] [--seed 2026] [--json PATH]

1. Seeds the book with its ledger (`seed_demo`: opening balances, and servicing's demo seeder gives about 5% of the
   loans arrears across the buckets: notices, billed installments, partial payments) into a dedicated database,
   which it DROPS and creates anew unless `--reuse` finds it holding the loans.
2. Times, in-process, for today's business date (each run on a clean slate: the night's reminders and their outbox
   messages deleted before it):
   - **reminders**: `reminders_record`, the selection recorded as reminders and their outbox messages (one
     statement) and the escalations of the legal step;
   - **night**: the whole nightly body (`collection_reminders_night`: hardship review, delinquency refresh of the
     whole book, the queue's cases and promises, the reminders);
   - **delinquency**: `delinquency_refresh` alone;
   - **delivery**: the outbox handler for up to 2,000 of the night's messages (Django's locmem e-mail backend),
     per message.
   Beside them, with `psql` and `\\timing`: **the same selection in one SQL statement** (`selection_sql()`,
   counted), and the delinquency statement alone.
3. Prints medians and ratios; `--json` writes them; the database is dropped at the end unless `--keep`.

Figures and how to read them: docs/collections.md ("At a million loans").
"""

import argparse
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

from run import database_and_admin_url, loans_in, run, timed_subprocess  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "COLLECTIONS_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_coll_bench"
        ),
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already holds the loans"
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def seed(args, env) -> dict:
    if args.reuse and loans_in(args.database_url) >= args.loans:
        print(f"reusing {args.database_url}; migrating it", flush=True)
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        return {"reused": True}
    name, admin_url = database_and_admin_url(args.database_url)
    print(f"creating {name} and seeding {args.loans:,} loans with their ledger and arrears …", flush=True)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}"'], env)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'CREATE DATABASE "{name}"'], env)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    seconds, rss, out = timed_subprocess(
        [PYTHON, "manage.py", "seed_demo", "--loans", str(args.loans), "--seed", str(args.seed)], env
    )
    print(out.strip())
    print(f"seed: {seconds:.0f} s wall, peak RSS {rss / 1024:.0f} MB", flush=True)
    run(["psql", "-X", "-q", "-d", args.database_url, "-c", "VACUUM ANALYZE"], env)
    return {"reused": False, "seconds": round(seconds, 1), "output": out}


def psql_ms(database_url: str, sql: str, repeat: int) -> float:
    """Median milliseconds of one statement in psql (`\\timing`)."""
    script = "\\timing on\n" + "".join(f"{sql};\n" for _ in range(repeat))
    result = subprocess.run(
        ["psql", "-X", "-q", "-d", database_url], input=script, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(result.stderr)
    times = [float(m) for m in re.findall(r"Time: ([\d.]+) ms", result.stdout)]
    return statistics.median(times)


def main() -> int:
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    figures: dict = {"loans": args.loans, "seed": seed(args, env)}
    os.environ.update({"DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from servicing.collections import reminders
    from servicing.collections.delinquency import _params as delinquency_params
    from servicing.collections.delinquency import delinquency_refresh, delinquency_sql
    from servicing.models import LoanDelinquency, Reminder

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()

    def clean() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM servicing_collectionscontact WHERE reminder_id IS NOT NULL")
            cursor.execute("DELETE FROM servicing_escalation")
            cursor.execute("DELETE FROM servicing_reminder")
            cursor.execute("DELETE FROM common_outbox WHERE kind = %s", [reminders.OUTBOX_KIND])

    def timed(fn, *, before=None) -> tuple[float, object]:
        times, result = [], None
        for _ in range(args.repeat):
            if before:
                before()
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times), result

    delinquency_refresh(business_date=today)  # the state the night finds
    figures["delinquent_loans"] = LoanDelinquency.objects.filter(days_past_due__gte=1).count()
    by_bucket = dict(LoanDelinquency.objects.values_list("bucket").annotate(n=Count("pk")).order_by("bucket"))
    figures["by_bucket"] = by_bucket
    print(f"{figures['delinquent_loans']:,} delinquent loans: {by_bucket}", flush=True)

    seconds, result = timed(lambda: reminders.reminders_record(business_date=today), before=clean)
    figures["reminders_s"], figures["reminders_result"] = round(seconds, 2), result
    seconds, _ = timed(lambda: delinquency_refresh(business_date=today))
    figures["delinquency_s"] = round(seconds, 2)
    seconds, night = timed(lambda: reminders.collection_reminders_night(today), before=clean)
    figures["night_s"] = round(seconds, 2)
    figures["night_result"] = night

    # delivery of a sample of the night's messages, per message
    ids = list(Reminder.objects.filter(state="sent").values_list("pk", flat=True)[:2000])
    started = time.perf_counter()
    for pk in ids:
        reminders.reminder_deliver({"reminder": pk})
    if ids:
        figures["delivery_ms_per_message"] = round((time.perf_counter() - started) * 1000 / len(ids), 2)

    # psql: the same selection in one statement, and the delinquency statement alone
    params = reminders._params(today)
    with connection.cursor() as cursor:
        selection = cursor.mogrify(f"SELECT count(*) FROM ({reminders.selection_sql()}) s", params).decode()
        delinquency = cursor.mogrify(
            f"SELECT count(*) FROM ({delinquency_sql()}) d", delinquency_params(today)
        ).decode()
    figures["psql_selection_s"] = round(psql_ms(args.database_url, selection, args.repeat) / 1000, 2)
    figures["psql_delinquency_s"] = round(psql_ms(args.database_url, delinquency, args.repeat) / 1000, 2)
    figures["ratio_reminders_to_selection"] = round(figures["reminders_s"] / figures["psql_selection_s"], 2)
    figures["ratio_delinquency_to_statement"] = round(
        figures["delinquency_s"] / figures["psql_delinquency_s"], 2
    )

    print(
        f"\nreminders (record + outbox): {figures['reminders_s']} s   one SQL statement (psql): "
        f"{figures['psql_selection_s']} s   ratio {figures['ratio_reminders_to_selection']}x"
    )
    print(
        f"delinquency refresh: {figures['delinquency_s']} s   statement (psql): {figures['psql_delinquency_s']} s   "
        f"ratio {figures['ratio_delinquency_to_statement']}x"
    )
    print(
        f"the whole night's body: {figures['night_s']} s; delivery {figures.get('delivery_ms_per_message')} ms/message"
    )
    print(f"result: {figures['reminders_result']}")
    connection.close()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    if not args.keep:
        name, admin_url = database_and_admin_url(args.database_url)
        run(["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}"'], env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
