"""`export_pipeline`: the application pipeline as CSV or XLSX, logged like every export (docs/requirements.md §5).

Header (the contract's codes): `application_number,office,state,entered_state_on,requested_amount,currency,product`
then `term_months,loan_number`; office and product as their codes, the state as its code. Ordered by office, the
workflow's order of states, entered_state_on, application_number. No personal data (no names, no CPR numbers).
Every text cell goes through `common.exports.neutralize`; the export log row is written first and given its row
count when the file is complete.
"""

import csv
import io
import os

from django.utils import timezone

from common.exports import export_log_finish, export_log_start, neutralize
from common.models import ExportLog

from .selectors import pipeline_for_export

FORMATS = ("csv", "xlsx")
EXPORT_PERMISSION = "origination.export_pipeline"
HEADER = [
    "application_number",
    "office",
    "state",
    "entered_state_on",
    "requested_amount",
    "currency",
    "product",
    "term_months",
    "loan_number",
]


class PipelineExportError(Exception):
    pass


def pipeline_rows(applications=None):
    """The file's rows after the header, in the documented order, cells neutralized (`applications`: only these,
    a queryset of what a page's user may see; None: all)."""
    for a in pipeline_for_export(applications).iterator(chunk_size=2000):
        yield [
            neutralize(a.number),
            neutralize(a.office.code),
            a.state,
            a.entered_on,
            a.requested_amount,
            a.currency,
            neutralize(a.product.code),
            a.term_months,
            neutralize(a.loan.loan_number) if a.loan_id else "",
        ]


def _csv(out, applications=None) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for row in pipeline_rows(applications):
        writer.writerow([cell.isoformat() if hasattr(cell, "isoformat") else cell for cell in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _xlsx(out, applications=None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="pipeline")
    sheet.append(HEADER)
    count = 0
    for row in pipeline_rows(applications):
        cell = WriteOnlyCell(sheet, value=row[3])
        cell.number_format = "yyyy-mm-dd"
        row[3] = cell
        sheet.append(row)
        count += 1
    book.save(out)
    return count


def pipeline_export_to_file(
    *, path: str, fmt: str, user=None, source: str = ExportLog.Source.COMMAND, applications=None
) -> tuple[int, ExportLog]:
    """Write the pipeline to `path` (csv or xlsx); returns (rows, the export log). `applications`: only these (the
    page exports what its user may see: their office's, or all at the home office)."""
    if fmt not in FORMATS:
        raise PipelineExportError(f"unknown format {fmt!r}: use csv or xlsx")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.PIPELINE,
        source=source,
        fmt=fmt,
        params={},
        file_name=f"pipeline_{stamp}.{fmt}" if source == ExportLog.Source.WEB else os.path.basename(path),
    )
    count, completed = 0, False
    try:
        with open(path, "wb") as out:
            count = (_csv if fmt == "csv" else _xlsx)(out, applications)
        completed = True
    finally:
        export_log_finish(log, rows=count, completed=completed)
    return count, log
