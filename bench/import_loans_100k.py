"""Time `import_loans` on a generated book: a first import (all new), the same file again (nothing changes),
and a file in which every loan changed (rate and balance).

    DATABASE_URL=postgres://... .venv/bin/python bench/import_loans_100k.py [--rows 100000] [--keep]

Loans are numbered BENCH-nnnnnnn; the script writes to the database DATABASE_URL names, so point it at a
throw-away one.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from stdnum.dk import cvr  # noqa: E402

from common.users import system_user  # noqa: E402
from loanregister.loan_import import ALL_COLUMNS, loans_import  # noqa: E402
from loanregister.models import Office, Servicer  # noqa: E402

CATEGORIES = ["owner_occupied"] * 6 + ["private_rental", "cooperative", "office_retail", "agriculture"]
TYPES = ["adjustable", "adjustable", "fixed", "fixed", "capped_floating", "index_linked"]


def national_id(n: int) -> str:
    """A valid CPR (or, for every tenth borrower, CVR) number, different for every n."""
    if n % 10 == 0:
        return next(
            str(c) for c in range(10_000_000 + n * 100, 10_000_000 + n * 100 + 100) if cvr.is_valid(str(c))
        )
    born = date(1940, 1, 1) + timedelta(days=n % 21900)
    return f"{born:%d%m%y}{n // 21900:04d}"  # serial 0xxx-3xxx: born in the 1900s


def write_file(path: Path, rows: int, *, rate_shift: str = "0") -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALL_COLUMNS)
        for n in range(1, rows + 1):
            rng_row = random.Random(n)  # the same loan gets the same values in every file
            origination = date(2000, 1, 1) + timedelta(days=rng_row.randrange(0, 26 * 365))
            loan_type = rng_row.choice(TYPES)
            principal = rng_row.randrange(200_000, 8_000_000)
            interest_only = rng_row.random() < 0.1
            row = {
                "loan_number": f"BENCH-{n:07d}",
                "borrower_name": f"Låntager {n}",
                "borrower_id": national_id(n),
                "borrower_email": f"laantager{n}@example.dk",
                "borrower_phone": f"+45 {rng_row.randrange(20000000, 99999999)}",
                "borrower_address": f"Vejen {n % 300 + 1}, {1000 + n % 8000} By",
                "borrower_do_not_contact": "yes" if n % 50 == 0 else "no",
                "loan_type": loan_type,
                "currency": "EUR" if n % 20 == 0 else "DKK",
                "principal": f"{principal}.00",
                "interest_rate": str(Decimal(rng_row.randrange(500, 6000)) / 1000 + Decimal(rate_shift)),
                "origination_date": origination.isoformat(),
                "maturity_date": (
                    origination + timedelta(days=365 * rng_row.choice([10, 20, 30]))
                ).isoformat(),
                "property_id": f"BFE-{n:08d}",
                "property_category": rng_row.choice(CATEGORIES),
                "property_address": f"Vejen {n % 300 + 1}",
                "jurisdiction": "DK",
                "office": f"B{n % 5}",
                "officer": "",
                "servicer": "",
                "outstanding_balance": f"{principal * rng_row.randrange(30, 100) // 100}.00",
                "balance_date": "2026-01-01",
                "payments_per_year": "4",
                "amortization": "interest_only" if interest_only else "annuity",
                "first_payment_date": "",
                "rate_reset_date": (origination + timedelta(days=365 * 5)).isoformat()
                if loan_type == "adjustable"
                else "",
                "interest_only_until": (origination + timedelta(days=365 * 10)).isoformat()
                if interest_only
                else "",
                "recourse": "yes",
                "status": "active",
            }
            writer.writerow([row[column] for column in ALL_COLUMNS])


def backend_cpu() -> float | None:
    """CPU seconds the PostgreSQL backend serving this connection has used, when it runs on this machine.

    On a busy machine wall time measures the neighbours; Python's CPU plus the backend's CPU is what the import
    itself costs, and close to its wall time on an idle machine (the two take turns, they do not overlap).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, path: Path, user) -> None:
    started, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu()
    with path.open("rb") as handle:
        result = loans_import(file=handle, user=user, file_name=path.name)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db = f"{backend_cpu() - db_cpu:5.1f} s" if db_cpu is not None else "  n/a"
    assert result.ok, result.errors[:10]
    print(
        f"{label:<24} wall {elapsed:6.1f} s  cpu: python {cpu:5.1f} s + postgres {db}  "
        f"created {result.created:>6}  updated {result.updated:>6}  unchanged {result.unchanged:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    Servicer.objects.get_or_create(code="OWN", defaults={"name": "Own servicing", "is_own": True})
    for n in range(5):
        Office.objects.get_or_create(code=f"B{n}", defaults={"name": f"Branch {n}", "kind": "branch"})
    user = system_user()
    print(
        f"{args.rows} rows on PostgreSQL {connection.pg_version // 10000}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
    )
    with tempfile.TemporaryDirectory() as tmp:
        first, changed = Path(tmp) / "loans.csv", Path(tmp) / "loans_changed.csv"
        started = time.perf_counter()
        write_file(first, args.rows)
        write_file(changed, args.rows, rate_shift="0.125")
        print(
            f"{'files generated':<28} {time.perf_counter() - started:6.1f} s  ({first.stat().st_size // 1024} KiB)"
        )
        timed("first import (all new)", first, user)
        timed("same file again", first, user)
        timed("every rate changed", changed, user)


if __name__ == "__main__":
    main()
