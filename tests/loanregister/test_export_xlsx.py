"""The register's XLSX is ready to work in (issue 8 item 10; docs/register.md, "Export"): a bold header row that
stays in view, an autofilter over the data, column widths, dates as dates and amounts in a number format, from the
web download and the command alike; the web labels its header in the user's language while the command keeps the
contract's codes; the sheet is written from PostgreSQL's COPY stream (issue 9), so memory stays flat, with the cells
openpyxl's writer made. Each file is opened with openpyxl."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from common.models import ExportLog
from loanregister.exports import COLUMN_LABELS, HEADER, XLSX_WIDTHS, export_start
from loanregister.register import register_events, register_filterset
from loanregister.services import user_language_set

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
LAST_COLUMN = "R"  # 18 columns


@pytest.fixture
def book():
    make.loan("L-1", maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("1234567.89"))
    make.loan("L-2", maturity_date=D(2029, 6, 30), rate_reset_date=D(2027, 1, 1), currency="EUR")
    make.loan("L-3", maturity_date=D(2031, 1, 1), outstanding_balance=Decimal("0.50"))


@pytest.fixture
def retention(make_user, client):
    user = make_user("retention", "retention_team")
    client.force_login(user)
    return user


def _command_export(tmp_path) -> openpyxl.Workbook:
    output = tmp_path / "out.xlsx"
    call_command(
        "export_maturities", "--from=2000-01-01", "--to=2099-12-31", "--format=xlsx", f"--output={output}",
        stdout=io.StringIO(),
    )  # fmt: skip
    return load_workbook(output)


def _web_export(client) -> openpyxl.Workbook:
    response = client.get(reverse("loanregister:export"), {**WIDE, "format": "xlsx"})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_command_keeps_the_contracts_codes_in_a_bold_frozen_header_with_an_autofilter(tmp_path, book):
    sheet = _command_export(tmp_path).active
    header = list(sheet[1])
    # the header: the contract's codes, bold
    assert [cell.value for cell in header] == HEADER
    assert all(cell.font.b for cell in header)
    # and the data rows are not bold
    assert not any(cell.font.b for cell in sheet[2])
    # the header row stays in view, and the filter covers the header and every data row
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 5  # the header and four events
    assert sheet.auto_filter.ref == f"A1:{LAST_COLUMN}5"


def test_every_column_has_a_width_that_holds_its_header(tmp_path, book):
    sheet = _command_export(tmp_path).active
    for cell in sheet[1]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert width >= max(XLSX_WIDTHS[HEADER[cell.column - 1]], len(cell.value) + 3), cell.value


def test_dates_are_date_cells_and_amounts_numbers_with_two_decimals(tmp_path, book):
    sheet = _command_export(tmp_path).active
    column = {name: index for index, name in enumerate(HEADER)}
    rows = list(sheet.iter_rows(min_row=2))
    by_loan = {(row[column["loan_number"]].value, row[column["event"]].value): row for row in rows}
    first = by_loan[("L-1", "maturity")]
    # dates: date cells (not text) with a date number format
    for name in ("event_date", "maturity_date"):
        cell = first[column[name]]
        assert cell.is_date and cell.data_type == "d", name
        assert cell.number_format == "yyyy-mm-dd"
        assert cell.value.date() == D(2030, 1, 1)
    reset = by_loan[("L-2", "rate_reset")]
    assert (reset[column["event_date"]].value.date(), reset[column["maturity_date"]].value.date()) == (
        D(2027, 1, 1),
        D(2029, 6, 30),
    )
    # amounts: numbers with thousands separators and two decimals
    balance = first[column["outstanding_balance"]]
    assert balance.data_type == "n" and balance.number_format == "#,##0.00"
    assert Decimal(str(balance.value)) == Decimal("1234567.89")  # read back as a float
    small = by_loan[("L-3", "maturity")][column["outstanding_balance"]]
    assert small.data_type == "n" and small.number_format == "#,##0.00" and small.value == Decimal("0.5")
    # and text stays text in the general format
    assert first[column["loan_number"]].number_format == "General"


def test_the_web_download_labels_the_header_in_the_users_language(client, retention, book):
    # in English
    user_language_set(user=retention, language="en")
    sheet = _web_export(client).active
    with translation.override("en"):
        expected = [str(COLUMN_LABELS[name]) for name in HEADER]
    assert [cell.value for cell in sheet[1]] == expected
    assert (
        expected[0] == "Loan number"
        and expected[HEADER.index("outstanding_balance")] == "Outstanding balance"
    )
    # in Danish
    user_language_set(user=retention, language="da")
    sheet = _web_export(client).active
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Lånenummer" and header[HEADER.index("outstanding_balance")] == "Restgæld"
    # with the same layout as the command's file
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{LAST_COLUMN}5"
    assert sheet.cell(row=2, column=HEADER.index("event_date") + 1).is_date
    assert ExportLog.objects.filter(format="xlsx", user=retention).count() == 2


def test_the_header_labels_can_be_asked_for_or_refused_explicitly(book):
    events = register_events(filterset=register_filterset(data=WIDE))

    def header(**options) -> list:
        export = export_start(events=events, user=None, fmt="xlsx", **options)
        return [cell.value for cell in load_workbook(io.BytesIO(b"".join(export.chunks))).active[1]]

    # no user: the codes, unless labels are asked for
    assert header() == HEADER
    with translation.override("en"):
        assert header(header_labels=True)[0] == "Loan number"
    assert header(source=ExportLog.Source.COMMAND, header_labels=False) == HEADER


def test_the_workbook_is_written_from_postgresqls_copy_stream_not_by_openpyxl(tmp_path, book, monkeypatch):
    # issue 9: the rows come out of COPY as SpreadsheetML; no openpyxl workbook (1.8M cell objects per 100k rows)
    made = []
    real = openpyxl.Workbook

    def spy(*args, **kwargs):
        made.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "Workbook", spy)
    assert _command_export(tmp_path).active.max_row == 5
    assert made == []


def _cells(export) -> list[list]:
    sheet = load_workbook(io.BytesIO(b"".join(export.chunks))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_copy_written_workbook_holds_what_openpyxl_wrote_for_awkward_text(book):
    # given text that XML, COPY or a spreadsheet would each take for something else
    awkward = [
        "Ærø & Søn <ApS> \\ \"quoted\" 'single'",
        '=HYPERLINK("http://x")',
        "  leading and trailing  ",
        "line one\nline two\ttab\rreturn",
        "@SUM(A1)",
        "+45 12 34 56 78",
    ]
    for n, name in enumerate(awkward):
        make.loan(
            f"W-{n}", maturity_date=D(2032, 1, 1 + n), borrower=make.borrower(name, address=f"-{n} Vej")
        )
    events = register_events(filterset=register_filterset(data=WIDE))
    # when the same export is written from COPY and by openpyxl
    from_copy = _cells(export_start(events=events, user=None, fmt="xlsx"))
    by_openpyxl = _cells(export_start(events=events, user=None, fmt="xlsx", use_copy=False))
    # then every cell is the same, with its type (dates as datetimes, the balance a number), and the text is
    # neutralized as the CSV's is (a leading ' before = + - @, not before a phone number)
    assert from_copy == by_openpyxl
    names = {row[HEADER.index("loan_number")]: row[HEADER.index("borrower_name")] for row in from_copy[1:]}
    assert names["W-1"] == '\'=HYPERLINK("http://x")' and names["W-4"] == "'@SUM(A1)"
    assert names["W-0"] == awkward[0] and names["W-2"] == awkward[2] and names["W-3"] == awkward[3]
    assert names["W-5"] == "'+45 12 34 56 78"  # as the CSV has it: only a bare E.164 number stays as it is
    assert isinstance(from_copy[1][HEADER.index("event_date")], datetime.datetime)
    assert isinstance(from_copy[1][HEADER.index("outstanding_balance")], float | int)
    # characters XML cannot hold are left out (openpyxl refuses the whole file for them)
    make.loan("W-9", maturity_date=D(2033, 1, 1), borrower=make.borrower("bell\x07 and \x1f gone"))
    events = register_events(filterset=register_filterset(data=WIDE))
    rows = _cells(export_start(events=events, user=None, fmt="xlsx"))
    assert rows[-1][HEADER.index("borrower_name")] == "bell and  gone"


def test_the_copy_written_workbook_blanks_contact_details_for_those_without_the_right(book):
    events = register_events(filterset=register_filterset(data=WIDE))
    rows = _cells(export_start(events=events, user=None, fmt="xlsx", contact_details=False))
    for name in ("borrower_address", "email", "phone"):
        assert {row[HEADER.index(name)] for row in rows[1:]} == {None}, name
    assert {row[HEADER.index("borrower_name")] for row in rows[1:]} != {None}


@pytest.mark.django_db(transaction=True)
def test_the_web_stream_runs_the_copy_in_its_own_thread_and_the_file_opens(client, make_user):
    # outside a transaction (as in production) the COPY streams through exports_copy's thread and bounded queue
    make.loan("T-1", maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("10.25"))
    make.loan("T-2", maturity_date=D(2030, 2, 1))
    client.force_login(make_user("retention", "retention_team"))
    response = client.get(reverse("loanregister:export"), {**WIDE, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["T-1", "T-2"]
    assert sheet.cell(row=2, column=HEADER.index("outstanding_balance") + 1).value == 10.25
    assert ExportLog.objects.get(format="xlsx").row_count == 2


def test_the_register_page_shows_an_exports_progress_with_its_script(client, retention, book):
    # issue 9: a long export shows its progress (loanregister/static/loanregister/export-progress.js streams the
    # download with fetch and says how much has arrived); the texts come translated from the page
    user_language_set(user=retention, language="en")
    html = client.get(reverse("loanregister:register"), WIDE).content.decode()
    assert 'id="export-progress"' in html and 'role="status"' in html
    assert 'data-progress="Exporting: %(size)s received (%(seconds)s s)…"' in html
    script = re.search(r'<script src="([^"]+export-progress\.js)"', html).group(1)
    served = client.get(script)
    assert served.status_code == 200
    assert b"getReader" in b"".join(served.streaming_content if served.streaming else [served.content])
