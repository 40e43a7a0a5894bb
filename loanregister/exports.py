"""Campaign exports of the filtered register (CSV in two dialects, XLSX), streamed in constant memory.

The web view and `manage.py export_maturities` both call `export_start` + the stream it returns (the command
through `export_to_file`), so the file is the same whichever way it was made. The CSV is written by the server
(`COPY ... TO STDOUT`, loanregister/exports_copy.py), and so are the XLSX sheet's rows, as SpreadsheetML that
Python zips around its fixed parts (loanregister/exports_xlsx.py). For the Python writers that the COPY paths are
tested against (`use_copy=False`: the csv module, openpyxl's write-only workbook), rows come from a server-side
cursor (`.iterator(chunk_size=...)`) of plain tuples, never model instances, and are written a chunk at a time. Every export writes an ExportLog row
first and fills in its row count when the stream ends (or marks it incomplete when the download breaks off).
Every text cell is neutralized against spreadsheet formulas on the way out (common/exports.py), in every format.

Order: event_date, then loan_number (then event, for a loan with two events on one date). The web list is
ordered (event_date, id) for its keyset pages; a campaign file is easier to check by loan number.
"""

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.exports import export_log_finish, export_log_start, neutralize
from common.models import ExportLog

from . import exports_copy, exports_xlsx
from .privacy import VIEW_CONTACT_DETAILS_PERMISSION

EXPORT_PERMISSION = "loanregister.export_register"
EXCEL_MAX_ROWS = 1_048_576  # rows on one Excel sheet, the header row included
CHUNK_SIZE = 2000

# (header, ORM path from RegisterEvent). Loan fields come from the copies on the event where there are any.
COLUMNS: list[tuple[str, str]] = [
    ("loan_number", "loan_number"),
    ("event", "kind"),
    ("event_date", "event_date"),
    ("borrower_name", "borrower__name"),
    ("borrower_address", "borrower__address"),
    ("email", "borrower__email"),
    ("phone", "borrower__phone"),
    ("preferred_language", "borrower__preferred_language"),
    ("property_address", "loan__property__address"),
    ("loan_type", "loan_type"),
    ("currency", "currency"),
    ("outstanding_balance", "outstanding_balance"),
    ("maturity_date", "loan__maturity_date"),
    ("office", "office__code"),
    ("office_name", "office__name"),
    ("officer", "officer__username"),
    ("officer_email", "officer__email"),
    ("servicer", "servicer__name"),
]
HEADER = [name for name, _path in COLUMNS]
CONTACT_COLUMNS = {"borrower_address", "email", "phone"}

# The XLSX a person downloads from the register page labels its columns in their language; files made without a
# person (the command, scripts) keep the codes of HEADER, the contract other systems read (docs/register.md).
COLUMN_LABELS = {
    "loan_number": _("Loan number"),
    "event": _("Event"),
    "event_date": _("Event date"),
    "borrower_name": _("Borrower"),
    "borrower_address": _("Borrower's address"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "preferred_language": _("Preferred language"),
    "property_address": _("Property address"),
    "loan_type": _("Loan type"),
    "currency": _("Currency"),
    "outstanding_balance": _("Outstanding balance"),
    "maturity_date": _("Maturity date"),
    "office": _("Office"),
    "office_name": _("Office name"),
    "officer": _("Officer"),
    "officer_email": _("Officer e-mail"),
    "servicer": _("Servicer"),
}
# The XLSX sheet: each column's width in characters (wider when its header is longer).
XLSX_WIDTHS = {
    "loan_number": 14,
    "event": 17,
    "event_date": 12,
    "borrower_name": 30,
    "borrower_address": 36,
    "email": 28,
    "phone": 16,
    "preferred_language": 10,
    "property_address": 36,
    "loan_type": 16,
    "currency": 9,
    "outstanding_balance": 18,
    "maturity_date": 12,
    "office": 10,
    "office_name": 24,
    "officer": 16,
    "officer_email": 28,
    "servicer": 28,
}
# The balance is a number with thousands separators and two decimals. (Dates need nothing: openpyxl writes a date
# as a date cell in the format yyyy-mm-dd.)
XLSX_AMOUNT_FORMAT = "#,##0.00"
XLSX_SHEET_TITLE = "maturities"


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    decimal: str
    bom: bool


DIALECTS = {
    # comma, decimal point, UTF-8: what programs and most mail-merge tools read
    "plain": Dialect("plain", ",", ".", False),
    # what a Danish Excel opens by double-click: semicolon, decimal comma, and a BOM so that æøå show
    "excel_da": Dialect("excel_da", ";", ",", True),
}
FORMATS = ("csv", "xlsx")


class ExportError(Exception):
    """The export cannot be made as asked (the message says what to do instead)."""


def xlsx_max_rows() -> int:
    return getattr(settings, "REGISTER_XLSX_MAX_ROWS", EXCEL_MAX_ROWS)


def can_export(user) -> bool:
    return user is not None and user.has_perm(EXPORT_PERMISSION)


def _ordered_rows(*, events: QuerySet, include_do_not_contact: bool) -> QuerySet:
    rows = events.order_by()
    if not include_do_not_contact:
        rows = rows.filter(borrower__do_not_contact=False)
    return rows.order_by("event_date", "loan_number", "kind")


def export_queryset(*, events: QuerySet, include_do_not_contact: bool = False) -> QuerySet:
    """The rows of the file, as tuples in HEADER order, in the documented order."""
    rows = _ordered_rows(events=events, include_do_not_contact=include_do_not_contact)
    return rows.values_list(*[path for _name, path in COLUMNS])


def _file_name(fmt: str, filters: dict) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    window = "_".join(str(filters.get(key) or "open") for key in ("date_from", "date_to"))
    return f"maturities_{window}_{stamp}.{fmt}"


def _json_filters(data) -> dict:
    """The filter as applied (a QueryDict or dict): the register's filter fields only, without empty values,
    for the audit record."""
    from .filters import RegisterFilter

    result: dict = {}
    keys = data.keys() if hasattr(data, "keys") else []
    for key in keys:
        if key not in RegisterFilter.base_filters:
            continue
        values = data.getlist(key) if hasattr(data, "getlist") else data[key]
        if not isinstance(values, list | tuple):
            values = [values]
        values = [str(v) for v in values if v not in (None, "")]
        if values:
            result[key] = values[0] if len(values) == 1 else values
    return result


@dataclass
class Export:
    log: ExportLog
    content_type: str
    file_name: str
    chunks: Iterator[bytes]
    # set when the file can be written more directly than from `chunks` (COPY into the file): export_to_file
    # then calls it with the open binary file, and `chunks` is never started
    write_into: Callable[[BinaryIO], None] | None = None


def export_start(
    *,
    events: QuerySet,
    user,
    fmt: str = "csv",
    dialect: str = "plain",
    include_do_not_contact: bool = False,
    filters=None,
    source: str = ExportLog.Source.WEB,
    contact_details: bool | None = None,
    use_copy: bool = True,
    header_labels: bool | None = None,
) -> Export:
    """Log the export and return its stream. Raises ExportError for an unknown format/dialect or an XLSX that
    would not fit on an Excel sheet. `contact_details` defaults to the user's permission (True with no user:
    the command run by an operator on the server). `use_copy=False` writes with Python (the csv module, or
    openpyxl's write-only workbook) instead of from PostgreSQL's COPY: the same CSV bytes and the same XLSX cells,
    slower; the tests compare the two. `header_labels` (XLSX only): the
    header row in the active language (COLUMN_LABELS) instead of the codes of HEADER; by default for a web
    export by a signed-in user, never for the command."""
    if fmt not in FORMATS:
        raise ExportError(_("Unknown format %(fmt)s: use csv or xlsx.") % {"fmt": fmt})
    if fmt == "csv" and dialect not in DIALECTS:
        raise ExportError(_("Unknown CSV dialect %(d)s: use plain or excel_da.") % {"d": dialect})
    if contact_details is None:
        contact_details = user is None or user.has_perm(VIEW_CONTACT_DETAILS_PERMISSION)
    rows = export_queryset(events=events, include_do_not_contact=include_do_not_contact)
    if fmt == "xlsx":
        limit = xlsx_max_rows() - 1  # the header takes one row
        if rows[: limit + 1].count() > limit:
            raise ExportError(
                _(
                    "The list has more than %(limit)s rows, more than an Excel sheet holds. "
                    "Narrow the filter or export CSV instead."
                )
                % {"limit": f"{limit:,}"}
            )
    filter_json = _json_filters(filters or {})
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.REGISTER,
        source=source,
        fmt=fmt,
        dialect=dialect if fmt == "csv" else "",
        params=filter_json,
        include_do_not_contact=include_do_not_contact,
        with_contact_details=contact_details,
        file_name=_file_name(fmt, filter_json),
    )
    write_into = None
    if fmt == "csv":
        if use_copy:
            ordered = _ordered_rows(events=events, include_do_not_contact=include_do_not_contact)
            chunks, write_into = _copy_csv(log, ordered, DIALECTS[dialect], contact_details)
        else:
            chunks = _logged(log, _csv_chunks(rows, DIALECTS[dialect], contact_details))
        content_type = "text/csv; charset=utf-8"
    else:
        if header_labels is None:
            header_labels = source == ExportLog.Source.WEB and user is not None and user.is_authenticated
        # The labels are read now, in the request's language, not later while the response streams.
        header = [str(COLUMN_LABELS[name]) for name in HEADER] if header_labels else HEADER
        if use_copy:
            ordered = _ordered_rows(events=events, include_do_not_contact=include_do_not_contact)
            chunks, write_into = _copy_xlsx(log, ordered, contact_details, header)
        else:
            chunks = _logged(log, _xlsx_chunks(rows, contact_details, header))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Export(
        log=log, content_type=content_type, file_name=log.file_name, chunks=chunks, write_into=write_into
    )


class _Counter:
    rows = 0


def _logged(log: ExportLog, produce) -> Iterator[bytes]:
    """Run a chunk producer and record its row count in the log when it ends, however it ends."""
    counter = _Counter()
    completed = False
    try:
        yield from produce(counter)
        completed = True
    finally:
        export_log_finish(log, rows=counter.rows, completed=completed)


def _copy_csv(log: ExportLog, ordered: QuerySet, dialect: Dialect, contact_details: bool):
    """The COPY path: (the web's chunk stream, the command's write-into-file), both logged like the Python path."""
    using = ordered.db
    blank = set() if contact_details else CONTACT_COLUMNS
    queryset = exports_copy.copy_queryset(rows=ordered, columns=COLUMNS, blank=blank, decimal=dialect.decimal)
    sql = exports_copy.copy_sql(queryset=queryset, delimiter=dialect.delimiter, using=using)
    head = _csv_head(dialect)

    def stream(counter: _Counter) -> Iterator[bytes]:
        yield head
        # A thread of its own can only see committed rows: inside a transaction (a test, ATOMIC_REQUESTS) the
        # COPY runs on the caller's connection instead, into a temporary file that is then streamed.
        if not connection_in_atomic_block(using):
            yield from exports_copy.copy_stream(sql=sql, counter=counter, using=using)
            return
        with tempfile.TemporaryFile(prefix="register-export-") as spool:
            counter.rows = exports_copy.copy_into_file(sql=sql, out=spool, using=using)
            spool.seek(0)
            while chunk := spool.read(exports_copy.CHUNK_BYTES):
                yield chunk

    def write_into(out: BinaryIO) -> None:
        def produce(counter: _Counter) -> Iterator[bytes]:
            out.write(head)
            counter.rows = exports_copy.copy_into_file(sql=sql, out=out, using=using)
            yield from ()

        for _chunk in _logged(log, produce):
            pass

    return _logged(log, stream), write_into


def _copy_xlsx(log: ExportLog, ordered: QuerySet, contact_details: bool, header: list[str]):
    """The XLSX from the COPY stream (exports_xlsx.py): (the web's chunk stream, the command's write-into-file)."""
    using = ordered.db
    blank = set() if contact_details else CONTACT_COLUMNS
    queryset = exports_xlsx.rows_queryset(rows=ordered, columns=COLUMNS, blank=blank)
    sql = exports_xlsx.copy_sql(queryset=queryset, columns=COLUMNS, using=using)
    widths = [max(XLSX_WIDTHS[name], len(label) + 3) for name, label in zip(HEADER, header, strict=True)]
    layout = {"header": header, "widths": widths, "using": using, "sheet_title": XLSX_SHEET_TITLE}

    def stream(counter: _Counter) -> Iterator[bytes]:
        yield from exports_xlsx.xlsx_stream(
            sql=sql, counter=counter, in_atomic_block=connection_in_atomic_block(using), **layout
        )

    def write_into(out: BinaryIO) -> None:
        def produce(counter: _Counter) -> Iterator[bytes]:
            exports_xlsx.xlsx_into_file(
                out=out, sql=sql, counter=counter, in_atomic_block=connection_in_atomic_block(using), **layout
            )
            yield from ()

        for _chunk in _logged(log, produce):
            pass

    return _logged(log, stream), write_into


def connection_in_atomic_block(using: str) -> bool:
    from django.db import connections

    return connections[using].in_atomic_block


def _csv_writer(buffer, dialect: Dialect):
    # lineterminator "\r\n" makes the writer quote a cell holding CR or LF, as COPY does; each row's "\r\n" is
    # then cut to the "\n" COPY ends its lines with (see _LineSink).
    return csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")


class _LineSink:
    """A file for csv.writer: the writer makes one write() per row, ending in "\r\n"; kept as "...\n"."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line[:-2] + "\n")

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines = []
        return text


def _csv_head(dialect: Dialect) -> bytes:
    sink = _LineSink()
    _csv_writer(sink, dialect).writerow(HEADER)
    return (("\ufeff" if dialect.bom else "") + sink.take()).encode("utf-8")


def _blank_contacts(contact_details: bool) -> list[int]:
    if contact_details:
        return []
    return [index for index, name in enumerate(HEADER) if name in CONTACT_COLUMNS]


# Columns that need more than csv's own str(): the balance gets the dialect's decimal separator. (Dates
# already print as ISO and None as an empty field, so every other cell goes to the C writer untouched.)
_BALANCE = HEADER.index("outstanding_balance")


def _csv_chunks(rows: QuerySet, dialect: Dialect, contact_details: bool):
    def produce(counter: _Counter) -> Iterator[bytes]:
        yield _csv_head(dialect)
        sink = _LineSink()
        writer = _csv_writer(sink, dialect)
        blank = _blank_contacts(contact_details)
        comma = dialect.decimal != "."
        source = rows.iterator(chunk_size=CHUNK_SIZE)
        while batch := list(islice(source, CHUNK_SIZE)):
            writer.writerows([_adapt(row, blank, comma) for row in batch])
            counter.rows += len(batch)
            yield sink.take().encode("utf-8")

    return produce


def _adapt(row: tuple, blank: list[int], comma: bool) -> list:
    cells = [neutralize(cell) for cell in row]
    for index in blank:
        cells[index] = None
    if comma and cells[_BALANCE] is not None:
        cells[_BALANCE] = f"{cells[_BALANCE]:.2f}".replace(".", ",")
    return cells


def _xlsx_chunks(rows: QuerySet, contact_details: bool, header: list[str]):
    """The sheet: a bold header row that stays in view (frozen) with an autofilter over the data, set column
    widths, dates as date cells and the balance as a number with two decimals."""

    def produce(counter: _Counter) -> Iterator[bytes]:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        # write_only keeps memory flat (openpyxl "Optimised modes"); the file goes to disk, then out.
        handle, path = tempfile.mkstemp(prefix="register-export-", suffix=".xlsx")
        os.close(handle)
        try:
            book = Workbook(write_only=True)
            sheet = book.create_sheet(title=XLSX_SHEET_TITLE)
            # A write-only sheet writes its columns and panes before the first row: they are set first.
            for number, (name, label) in enumerate(zip(HEADER, header, strict=True), start=1):
                width = max(XLSX_WIDTHS[name], len(label) + 3)  # room for the header and its filter button
                sheet.column_dimensions[get_column_letter(number)].width = width
            sheet.freeze_panes = "A2"
            bold = Font(bold=True)
            header_cells = []
            for label in header:
                cell = WriteOnlyCell(sheet, value=label)
                cell.font = bold
                header_cells.append(cell)
            sheet.append(header_cells)
            blank = _blank_contacts(contact_details)
            for row in rows.iterator(chunk_size=CHUNK_SIZE):
                cells = [neutralize(cell) for cell in row]
                for index in blank:
                    cells[index] = None
                if cells[_BALANCE] is not None:
                    cell = WriteOnlyCell(sheet, value=cells[_BALANCE])
                    cell.number_format = XLSX_AMOUNT_FORMAT
                    cells[_BALANCE] = cell
                sheet.append(cells)
                counter.rows += 1
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{counter.rows + 1}"
            book.save(path)
            with open(path, "rb") as stream:
                while chunk := stream.read(64 * 1024):
                    yield chunk
        finally:
            os.unlink(path)

    return produce


def export_to_file(export: Export, path) -> int:
    """Write an export's stream to a file (the command); returns the row count."""
    with open(path, "wb") as out:
        if export.write_into is not None:
            export.write_into(out)
        else:
            for chunk in export.chunks:
                out.write(chunk)
    return export.log.row_count or 0
