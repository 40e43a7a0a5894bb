"""`export_leads` (issue 10 item 2): one row per lead, in the documented order and header, equal to the leads in the
database, every text cell neutralized, and logged like every export (docs/requirements.md §5)."""

import csv
import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from common.models import ExportLog
from loanregister.leads.radar import maturity_radar_apply
from loanregister.leads.work import lead_status_set
from loanregister.models import Lead

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def leads(make_user):
    olga = make_user("olga", "loan_officer")
    make.loan("L-3", officer=olga, maturity_date=D + 5 * DAY)
    make.loan("L-1", officer=olga, maturity_date=D + 5 * DAY, borrower=make.borrower('=HYPERLINK("x")'))
    make.loan("L-2", maturity_date=D + 2 * DAY, loan_type="adjustable", rate_reset_date=D + 5 * DAY)
    maturity_radar_apply(business_date=D)
    lead_status_set(lead=Lead.objects.get(loan__loan_number="L-3"), status="won", user=olga)
    return olga


def _export(tmp_path, *args: str, fmt: str = "csv") -> tuple[list[list[str]], str]:
    path = tmp_path / f"leads.{fmt}"
    out = StringIO()
    call_command("export_leads", *args, "--format", fmt, "--output", str(path), stdout=out)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).active
        return [
            ["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)
        ], out.getvalue()
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle)), out.getvalue()


def _expected() -> list[list[str]]:
    leads = Lead.objects.select_related("loan", "officer", "loan__borrower").order_by(
        "event_date", "loan__loan_number", "event"
    )
    return [
        [
            lead.loan.loan_number,
            lead.event,
            lead.event_date.isoformat(),
            lead.officer.username if lead.officer else "",
            lead.status,
        ]
        for lead in leads
    ]


def test_reg2_the_export_equals_the_leads_of_every_status_in_order(tmp_path, leads):
    rows, out = _export(tmp_path)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["loan_number", "event", "event_date", "officer", "status"]
    assert [row[:5] for row in body] == _expected()
    assert [row[:5] for row in body] == [
        ["L-2", "maturity", "2027-03-03", "", "new"],
        ["L-1", "maturity", "2027-03-06", "olga", "new"],
        ["L-2", "rate_reset", "2027-03-06", "", "new"],
        ["L-3", "maturity", "2027-03-06", "olga", "won"],
    ]
    assert out.strip().startswith("4 rows written to ")


def test_reg2_the_export_narrows_by_status_officer_and_event(tmp_path, leads):
    assert [row[0] for row in _export(tmp_path, "--status", "won")[0][1:]] == ["L-3"]
    assert [row[0] for row in _export(tmp_path, "--officer", "olga")[0][1:]] == ["L-1", "L-3"]
    assert [row[:2] for row in _export(tmp_path, "--event", "rate_reset")[0][1:]] == [["L-2", "rate_reset"]]
    with pytest.raises(CommandError, match="no user nobody"):
        _export(tmp_path, "--officer", "nobody")


def test_reg2_every_text_cell_of_the_export_is_neutralized(tmp_path, leads):
    rows, _out = _export(tmp_path, "--officer", "olga")
    name = rows[0].index("borrower_name")
    assert rows[1][name] == '\'=HYPERLINK("x")'


def test_reg2_the_xlsx_export_has_the_same_rows(tmp_path, leads):
    rows, _out = _export(tmp_path, fmt="xlsx")
    assert rows[0][:5] == ["loan_number", "event", "event_date", "officer", "status"]
    as_text = [
        [cell.date().isoformat() if isinstance(cell, datetime.datetime) else cell for cell in row[:5]]
        for row in rows[1:]
    ]
    assert as_text == _expected()


def test_reg2_the_export_is_logged_with_kind_parameters_and_rows(tmp_path, leads, make_user):
    make_user("sam", "sales_manager")
    _export(tmp_path, "--status", "new", "--user", "sam")
    log = ExportLog.objects.get()
    assert (log.kind, log.source, log.format, log.row_count, log.completed) == (
        "leads",
        "command",
        "csv",
        3,
        True,
    )
    assert log.filters == {"status": "new"}
    assert log.user.username == "sam" and log.file_name == "leads.csv"


def test_reg2_only_users_allowed_to_export_leads_may_name_themselves(tmp_path, leads):
    with pytest.raises(CommandError, match="may not export leads"):
        _export(tmp_path, "--user", "olga")
    assert not ExportLog.objects.exists()
