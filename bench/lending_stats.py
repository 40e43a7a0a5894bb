"""Benchmark of the monthly lending statistics (issue 13). Run by hand, not in the test suite.

    .venv/bin/python bench/lending_stats.py [--loans 1000000] [--database-url postgres://…/lr_stats_bench]
                                            [--reuse] [--keep] [--repeat 3] [--seed 2026] [--json PATH]

1. Seeds the demo book into a dedicated database (dropped and created anew unless `--reuse`): `seed_demo --loans N
   --without-ledger` (the loans and EUR rates), then every loan's opening balance (`opening_balances_post`, the
   set-based hook `seed_demo` runs with its ledger) and the statistics' demo seeder's year of flows
   (`stats.demo.demo_flows_seed`: new loans, transfers, redemptions, extra repayments, afdrag, category changes, EUR
   loans, the months before last closed). The other apps' demo seeders (arrears, applications) are left out: they
   add nothing the statistics read and take long at a million loans.
2. Times one month (last month, open: computed from the ledger) in-process with `stats.figures.month_figures`
   (the flows query, the balances query, the rates and the rounding), and `month_close` (the same and storing it).
3. Beside it, with psql and `\\timing`, the **core GROUP BY**: the month's flows summed by kind, loan type and
   currency, and every loan's principal up to the month's end summed by loan type and currency, with none of the
   rules (no transfer test, no category history, no reversal check): the floor of what any such report costs.
4. Prints medians and the ratio; `--json` writes them; the database is dropped at the end unless `--keep`.

Figures: docs/statistics.md ("Speed").
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
            "STATS_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_stats_bench"
        ),
    )
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    return parser.parse_args()


def seed(args: argparse.Namespace, env: dict) -> dict:
    if args.reuse and loans_in(args.database_url) >= args.loans:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        return {"reused": True}
    name, admin_url = database_and_admin_url(args.database_url)
    print(f"creating {name} afresh and seeding {args.loans:,} loans with their ledger …", flush=True)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env)
    run(["psql", "-X", "-q", "-d", admin_url, "-c", f'CREATE DATABASE "{name}"'], env)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
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
    print(out.strip())
    print(f"seed: {seconds:.0f} s wall, peak RSS {rss / 1024:.0f} MB", flush=True)
    script = (
        "import time, django; django.setup()\n"
        "from django.db import transaction\n"
        "from django.utils import timezone\n"
        "from loanregister.models import Loan\n"
        "from servicing.ledger import opening_balances_post\n"
        "from stats.demo import demo_flows_seed\n"
        "t = time.monotonic()\n"
        "with transaction.atomic():\n"
        "    n = opening_balances_post(loan_ids=None)\n"
        "print(f'opening balances: {n:,} in {time.monotonic() - t:.0f} s', flush=True)\n"
        "t = time.monotonic()\n"
        "ids = Loan.objects.order_by('id').values_list('id', flat=True)\n"
        "first, last = ids.first(), ids.last()\n"
        "with transaction.atomic():\n"
        f"    print(demo_flows_seed(loan_ids=range(first, last + 1), today=timezone.localdate(), seed={args.seed}, "
        "ledger=True))\n"
        "print(f'flows and closes: {time.monotonic() - t:.0f} s', flush=True)\n"
    )
    ledger_seconds, _rss, ledger_out = timed_subprocess([PYTHON, "-c", script], env)
    print(ledger_out.strip(), flush=True)
    return {"reused": False, "seconds": round(seconds, 1), "ledger_seconds": round(ledger_seconds, 1)}


CORE_FLOWS = """
SELECT l.loan_type, p.currency, p.kind, SUM(p.amount * COALESCE(p.price, 100) / 100)
  FROM servicing_posting p JOIN loanregister_loan l ON l.id = p.loan_id
 WHERE p.effective_date BETWEEN '{first}' AND '{last}'
   AND p.kind IN ('disbursement', 'redemption', 'extra_repayment', 'scheduled_payment_due', 'scheduled_repayment')
 GROUP BY 1, 2, 3
"""
CORE_BALANCES = """
SELECT l.loan_type, p.currency,
       SUM(CASE WHEN p.debit_account IN ('principal', 'principal_due') THEN p.amount ELSE 0 END
           - CASE WHEN p.credit_account IN ('principal', 'principal_due') THEN p.amount ELSE 0 END)
  FROM servicing_posting p JOIN loanregister_loan l ON l.id = p.loan_id
 WHERE p.effective_date <= '{last}'
   AND (p.debit_account IN ('principal', 'principal_due') OR p.credit_account IN ('principal', 'principal_due'))
 GROUP BY 1, 2
"""


def psql_ms(database_url: str, statements: list[str], repeat: int) -> list[float]:
    body = "".join(f"{s.strip()};\n" for s in statements)
    script = "\\o /dev/null\n" + ("\\timing on\n" + body + "\\timing off\n") * (repeat + 1)
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr}")
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", result.stdout)]
    n = len(statements)
    return [sum(times[i * n : (i + 1) * n]) for i in range(repeat + 1)][1:]


def measure(args: argparse.Namespace, env: dict) -> dict:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from stats.figures import Month, month_figures
    from stats.services import month_close

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE servicing_posting")
        cursor.execute("SELECT count(*) FROM servicing_posting")
        postings = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM loanregister_loan")
        loans = cursor.fetchone()[0]
    this_month = Month(timezone.localdate().replace(day=1))
    figures = {"loans": loans, "postings": postings, "months": {}}
    # last month (closed by the demo, computed afresh here) and this month, whose bond debt holds every loan's
    # opening balance (the demo book's loans enter the ledger on the seed date)
    for month in (this_month.previous(), this_month):
        month_figures(month)  # warm-up
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = month_figures(month)
            runs.append((time.perf_counter() - started) * 1000)
        close_runs = []
        for _ in range(args.repeat):
            with transaction.atomic():
                started = time.perf_counter()
                month_close(month=month, user=None)
                close_runs.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
        core = psql_ms(
            args.database_url,
            [CORE_FLOWS.format(first=month.first, last=month.last), CORE_BALANCES.format(last=month.last)],
            args.repeat,
        )
        figures["months"][month.label] = {
            "rows": len(result.rows),
            "flow_postings": result.flow_postings,
            "balance_postings": result.balance_postings,
            "loans_with_balance": result.loans_with_balance,
            "month_figures_ms": round(statistics.median(runs), 1),
            "month_close_ms": round(statistics.median(close_runs), 1),
            "core_group_by_ms": round(statistics.median(core), 1),
            "ratio": round(statistics.median(runs) / statistics.median(core), 2),
        }
    return figures


def main() -> int:
    args = parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    seeding = seed(args, env)
    try:
        figures = measure(args, env)
    finally:
        if not args.keep:
            name, admin_url = database_and_admin_url(args.database_url)
            run(
                ["psql", "-X", "-q", "-d", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                env,
            )
    figures["seeding"] = {k: v for k, v in seeding.items() if k != "output"}
    print(json.dumps(figures, indent=2, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
