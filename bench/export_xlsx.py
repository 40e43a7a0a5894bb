"""Time the register's XLSX export (loanregister.exports, the one the web download and `export_maturities
--format xlsx` share) over a given number of rows, and its memory.

    DATABASE_URL=postgres://.../scratch .venv/bin/python bench/export_xlsx.py [--rows 20000] [--runs 3] [--labels]

Seeds a demo book (seed_demo, without the ledger) when the database holds fewer register events than asked for,
so point it at a throw-away database. Reports, per run, the wall and CPU time of writing the whole file, rows per
second and the file's size; then one more run under tracemalloc for the peak of Python's allocations while the
file is written (it stays flat whatever the row count: since issue 9 the sheet's rows come from PostgreSQL's COPY
and are zipped as they stream, loanregister/exports_xlsx.py; bench/run.py times it beside the CSV).
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from common.models import ExportLog  # noqa: E402
from loanregister import exports  # noqa: E402
from loanregister.demo import seed_demo_book  # noqa: E402
from loanregister.models import RegisterEvent  # noqa: E402
from loanregister.register import register_events, register_filterset  # noqa: E402

WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}


def _events(rows: int):
    first = RegisterEvent.objects.order_by("id").values("id")[:rows]
    return register_events(filterset=register_filterset(data=WIDE)).filter(id__in=first)


def _write(rows: int, labels: bool) -> tuple[float, float, int, int]:
    options = {"header_labels": True} if labels else {}
    export = exports.export_start(
        events=_events(rows),
        user=None,
        fmt="xlsx",
        include_do_not_contact=True,
        source=ExportLog.Source.COMMAND,
        **options,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.xlsx"
        wall, cpu = time.perf_counter(), time.process_time()
        written = exports.export_to_file(export, path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return wall, cpu, written, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labels", action="store_true", help="translated header labels (the web download)")
    args = parser.parse_args()
    if RegisterEvent.objects.count() < args.rows:
        print(f"seeding a demo book for {args.rows:,} register events ...", flush=True)
        seed_demo_book(loans=args.rows, seed=7, ledger=False)
    for run in range(1, args.runs + 1):
        wall, cpu, written, size = _write(args.rows, args.labels)
        print(
            f"run {run}: {written:,} rows in {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({written / wall:,.0f} rows/s), {size / 1e6:.2f} MB"
        )
    for rows in (args.rows // 4, args.rows):
        tracemalloc.start()
        _write(rows, args.labels)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak Python allocations while writing {rows:,} rows: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
