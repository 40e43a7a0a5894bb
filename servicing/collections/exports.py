"""`export_delinquency` and `export_reminders` (issue 11 items 1 and 3): CSV or XLSX files with the contract's
codes as the header, every text cell neutralized, logged like every export (common.exports).

- delinquency: one row per active or defaulted loan we service with days past due ≥ 1 as of D, header
  `loan_number,oldest_unpaid_due_date,days_past_due,amount_past_due,bucket,fees_due,currency`, ordered by days past
  due descending, then loan number.
- reminders: one row per reminder sent in the window (by the business date of the run that sent it or handed it
  to the mail room), header `loan_number,due_date,step,channel,sent_on,days,amount_past_due,currency`, ordered by
  sent_on, loan_number, due_date, then the step's days.
"""

from __future__ import annotations

import csv
import datetime
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from django.db import connection
from django.utils import timezone

from common.exports import export_log_finish, export_log_start, neutralize
from common.models import ExportLog

from .delinquency import _params, delinquency_sql

FORMATS = ("csv", "xlsx")
EXPORT_PERMISSION = "servicing.export_collections"
FETCH = 2000

DELINQUENCY_HEADER = [
    "loan_number",
    "oldest_unpaid_due_date",
    "days_past_due",
    "amount_past_due",
    "bucket",
    "fees_due",
    "currency",
]
REMINDERS_HEADER = [
    "loan_number",
    "due_date",
    "step",
    "channel",
    "sent_on",
    "days",
    "amount_past_due",
    "currency",
]


class CollectionsExportError(Exception):
    pass


def _fetch(sql: str, params) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def delinquency_rows(*, as_of: datetime.date) -> Iterator[tuple]:
    """The delinquency file's rows (HEADER order) in the file's order."""
    sql = f"""
        SELECT d.loan_number, d.due_date, d.days, d.unsettled, d.bucket, d.fees, d.currency
        FROM ({delinquency_sql()}) AS d (loan_id, loan_number, due_date, days, unsettled, fees, currency, bucket)
        WHERE d.days >= 1
        ORDER BY d.days DESC, d.loan_number
    """
    return _fetch(sql, _params(as_of))


def reminder_rows(*, date_from: datetime.date, date_to: datetime.date) -> Iterator[tuple]:
    sql = """
        SELECT l.loan_number, r.due_date, s.code, r.channel, r.business_date, r.step_days, r.amount_past_due,
               r.currency
        FROM servicing_reminder r
        JOIN loanregister_loan l ON l.id = r.loan_id
        JOIN servicing_reminderstep s ON s.id = r.step_id
        WHERE r.state = 'sent' AND r.business_date BETWEEN %s AND %s
        ORDER BY r.business_date, l.loan_number, r.due_date, r.step_days
    """
    return _fetch(sql, [date_from, date_to])


def _write_csv(header: list[str], rows: Iterable[tuple], out: BinaryIO) -> int:
    class _Sink:
        parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    sink = _Sink()
    sink.parts = []
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
        count += 1
        if len(sink.parts) >= FETCH:
            out.write("".join(sink.parts).encode("utf-8"))
            sink.parts.clear()
    out.write("".join(sink.parts).encode("utf-8"))
    return count


def _write_xlsx(header: list[str], rows: Iterable[tuple], out: BinaryIO, title: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)  # constant memory: rows go to disk as they come
    sheet = book.create_sheet(title=title)
    sheet.freeze_panes = "A2"
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            value = neutralize(value)
            if isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                value = cell
            cells.append(value)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def _export(
    *,
    path: str,
    fmt: str,
    user,
    kind: str,
    params: dict,
    header: list[str],
    rows: Iterable[tuple],
    source: str,
) -> tuple[int, ExportLog]:
    if fmt not in FORMATS:
        raise CollectionsExportError(f"unknown format {fmt!r}: use csv or xlsx")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    log = export_log_start(
        user=user,
        kind=kind,
        source=source,
        fmt=fmt,
        params=params,
        file_name=f"{kind}_{stamp}.{fmt}" if source == ExportLog.Source.WEB else os.path.basename(path),
    )
    count, completed = 0, False
    try:
        with open(path, "wb") as out:
            count = _write_csv(header, rows, out) if fmt == "csv" else _write_xlsx(header, rows, out, kind)
        completed = True
    finally:
        export_log_finish(log, rows=count, completed=completed)
    return count, log


def delinquency_export_to_file(
    *, path: str, fmt: str, as_of: datetime.date, user=None, source: str = ExportLog.Source.COMMAND
) -> tuple[int, ExportLog]:
    """Write the delinquent loans as of the date to `path`; returns (rows, the export log)."""
    return _export(
        path=path,
        fmt=fmt,
        user=user,
        kind=ExportLog.Kind.DELINQUENCY,
        params={"date": as_of.isoformat()},
        header=DELINQUENCY_HEADER,
        rows=delinquency_rows(as_of=as_of),
        source=source,
    )


def reminders_export_to_file(
    *,
    path: str,
    fmt: str,
    date_from: datetime.date,
    date_to: datetime.date,
    user=None,
    source: str = ExportLog.Source.COMMAND,
) -> tuple[int, ExportLog]:
    """Write the reminders sent from `date_from` to `date_to` to `path`; returns (rows, the export log)."""
    if date_to < date_from:
        raise CollectionsExportError("--to is before --from")
    return _export(
        path=path,
        fmt=fmt,
        user=user,
        kind=ExportLog.Kind.REMINDERS,
        params={"from": date_from.isoformat(), "to": date_to.isoformat()},
        header=REMINDERS_HEADER,
        rows=reminder_rows(date_from=date_from, date_to=date_to),
        source=source,
    )
