"""`export_leads`: leads as CSV or XLSX, in constant memory, logged like every export (docs/requirements.md §5).

One row per lead of every status unless narrowed, ordered by event_date, loan_number, event. The header uses the
contract's codes (`loan_number,event,event_date,officer,status,…`); event codes are those of `export_maturities`;
`officer` is a username, blank for the unassigned queue. Every text cell goes through `common.exports.neutralize`.
The export log row is written first (common.exports.export_log_start) and given its row count when the file is
complete (export_log_finish), or marked incomplete when it breaks off.
"""

import csv
import os
from collections.abc import Iterator
from itertools import islice
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils import timezone

from common.exports import export_log_finish, export_log_start, neutralize
from common.models import ExportLog

from ..models import Lead

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx")
EXPORT_PERMISSION = "loanregister.export_leads"

# (header, ORM path from Lead)
COLUMNS: list[tuple[str, str]] = [
    ("loan_number", "loan__loan_number"),
    ("event", "event"),
    ("event_date", "event_date"),
    ("officer", "officer__username"),
    ("status", "status"),
    ("found_on", "found_on"),
    ("closed_on", "closed_on"),
    ("borrower_name", "loan__borrower__name"),
    ("office", "loan__office__code"),
    ("loan_type", "loan__loan_type"),
    ("currency", "loan__currency"),
    ("outstanding_balance", "loan__outstanding_balance"),
]
HEADER = [name for name, _path in COLUMNS]


class LeadExportError(Exception):
    pass


def leads_for_export(
    *,
    status: str | None = None,
    officer: str | None = None,
    event: str | None = None,
    leads: QuerySet | None = None,
) -> QuerySet:
    """The rows of the file as tuples in HEADER order, in the documented order: of `leads` (the web page's filter)
    or of every lead, narrowed by the command's options."""
    leads = Lead.objects.all() if leads is None else leads
    if status:
        leads = leads.filter(status=status)
    if officer:
        leads = leads.filter(officer__username=officer)
    if event:
        leads = leads.filter(event=event)
    return leads.order_by("event_date", "loan__loan_number", "event").values_list(
        *[path for _n, path in COLUMNS]
    )


def _cells(row: tuple) -> list:
    cells = [neutralize(cell) for cell in row]
    cells[HEADER.index("officer")] = cells[HEADER.index("officer")] or ""
    return cells


def _csv(rows: QuerySet, out: BinaryIO) -> int:
    class _Sink:
        def __init__(self):
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    sink = _Sink()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    source = rows.iterator(chunk_size=CHUNK_SIZE)
    while batch := list(islice(source, CHUNK_SIZE)):
        writer.writerows(_cells(row) for row in batch)
        count += len(batch)
        out.write("".join(sink.parts).encode("utf-8"))
        sink.parts.clear()
    out.write("".join(sink.parts).encode("utf-8"))
    return count


def _xlsx(rows: QuerySet, out: BinaryIO) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)  # openpyxl's optimised mode: rows go to disk as they come
    sheet = book.create_sheet(title="leads")
    sheet.freeze_panes = "A2"
    sheet.append(HEADER)
    dates = {HEADER.index(name) for name in ("event_date", "found_on", "closed_on")}
    count = 0
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        cells = _cells(row)
        for index in dates:
            if cells[index] is not None:
                cell = WriteOnlyCell(sheet, value=cells[index])
                cell.number_format = "yyyy-mm-dd"
                cells[index] = cell
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def leads_export_to_file(
    *,
    path: str,
    fmt: str,
    user=None,
    status: str | None = None,
    officer: str | None = None,
    event: str | None = None,
    source: str = ExportLog.Source.COMMAND,
) -> tuple[int, ExportLog]:
    """Write the leads to `path` (csv or xlsx); returns (rows, the export log)."""
    if fmt not in FORMATS:
        raise LeadExportError(f"unknown format {fmt!r}: use csv or xlsx")
    params = {
        key: value for key, value in (("status", status), ("officer", officer), ("event", event)) if value
    }
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.LEADS,
        source=source,
        fmt=fmt,
        params=params,
        file_name=f"leads_{stamp}.{fmt}" if source == ExportLog.Source.WEB else os.path.basename(path),
    )
    rows, count, completed = leads_for_export(status=status, officer=officer, event=event), 0, False
    try:
        with open(path, "wb") as out:
            count = (_csv if fmt == "csv" else _xlsx)(rows, out)
        completed = True
    finally:
        export_log_finish(log, rows=count, completed=completed)
    return count, log


def leads_export_write(
    *, leads: QuerySet, out: BinaryIO, fmt: str, user, params: dict, source: str = ExportLog.Source.WEB
) -> tuple[int, ExportLog, str]:
    """The web download: the leads of the "My leads" filter (`leads`, already what the user may see) written to
    `out` as the command writes them, logged with the filter (`params`); returns (rows, the log, the file name)."""
    if fmt not in FORMATS:
        raise LeadExportError(f"unknown format {fmt!r}: use csv or xlsx")
    file_name = f"leads_{timezone.localtime().strftime('%Y%m%d-%H%M%S')}.{fmt}"
    log = export_log_start(
        user=user, kind=ExportLog.Kind.LEADS, source=source, fmt=fmt, params=params, file_name=file_name
    )
    count, completed = 0, False
    try:
        count = (_csv if fmt == "csv" else _xlsx)(leads_for_export(leads=leads), out)
        completed = True
    finally:
        export_log_finish(log, rows=count, completed=completed)
    return count, log, file_name


def export_rows(**filters) -> Iterator[list]:
    """The file's rows after the header, as the file has them (for tests and checks)."""
    for row in leads_for_export(**filters).iterator(chunk_size=CHUNK_SIZE):
        yield _cells(row)
