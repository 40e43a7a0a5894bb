"""The month's figures as CSV, JSON and XLSX, each export logged (common.exports) and neutralized.

CSV and JSON carry the contract's codes (issue 13 item 2): the header
`month,property_category,loan_type,gross_lending,…,bond_debt_outstanding`, amounts with two decimals. The web XLSX
labels its header in the user's language and writes amounts as numbers.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.exports import export_log_finish, export_log_start, neutralize_row
from common.models import ExportLog

from .figures import CSV_HEADER, FIGURES, Result

FIGURE_LABELS = {
    "gross_lending": gettext_lazy("Gross lending"),
    "transfers": gettext_lazy("Transfers"),
    "extraordinary_redemptions": gettext_lazy("Extraordinary redemptions"),
    "net_new_lending": gettext_lazy("Net new lending"),
    "ordinary_repayments": gettext_lazy("Ordinary repayments"),
    "net_lending": gettext_lazy("Net lending"),
    "bond_debt_outstanding": gettext_lazy("Bond debt outstanding"),
}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def result_records(result: Result) -> list[dict[str, str]]:
    return [
        {
            "month": result.month.label,
            "property_category": row.property_category,
            "loan_type": row.loan_type,
            **{name: _money(getattr(row, name)) for name in FIGURES},
        }
        for row in result.rows
    ]


def result_csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for record in result_records(result):
        # the codes are text (neutralized); the amounts are numbers and stay as they are (a negative is a number)
        writer.writerow(
            neutralize_row(record[name] for name in CSV_HEADER[:3]) + [record[n] for n in FIGURES]
        )
    return out.getvalue()


def result_json(result: Result) -> str:
    return json.dumps(result_records(result), indent=2) + "\n"


def result_xlsx(result: Result, *, labels: bool) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from loanregister.choices import LoanType, PropertyCategory

    book = Workbook()
    sheet = book.active
    sheet.title = result.month.label
    if labels:
        header = [
            _("Month"),
            _("Property category"),
            _("Loan type"),
            *(str(FIGURE_LABELS[n]) for n in FIGURES),
        ]
    else:
        header = list(CSV_HEADER)
    sheet.append([str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in result.rows:
        category = str(PropertyCategory(row.property_category).label) if labels else row.property_category
        loan_type = str(LoanType(row.loan_type).label) if labels else row.loan_type
        sheet.append(
            neutralize_row([result.month.label, category, loan_type]) + [getattr(row, n) for n in FIGURES]
        )
        for cell in sheet[sheet.max_row][3:]:
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 30
    for letter in "DEFGHIJ":
        sheet.column_dimensions[letter].width = 20
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def statistics_export(
    *, result: Result, fmt: str, user, source: str, recompute: bool = False
) -> tuple[bytes, str]:
    """The figures in `fmt` (csv, json, xlsx), logged as a statistics export. Returns the bytes and the file name."""
    file_name = f"lending-statistics-{result.month.label}.{fmt}"
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.STATISTICS,
        source=source,
        fmt=fmt,
        params={"month": result.month.label, "format": fmt, "recompute": recompute},
        file_name=file_name,
    )
    if fmt == "csv":
        data = result_csv(result).encode("utf-8")
    elif fmt == "json":
        data = result_json(result).encode("utf-8")
    else:
        data = result_xlsx(result, labels=source == ExportLog.Source.WEB)
    export_log_finish(log, rows=len(result.rows))
    return data, file_name
