"""Campaign exports (REG-2): same rows as the filtered list, do-not-contact left out, audited, permission-bound,
CSV dialects, XLSX row limit, and the export_maturities command."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from common.models import ExportLog
from loanregister.exports import COLUMN_LABELS, HEADER, export_start
from loanregister.register import register_events, register_filterset

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
EXPORT_URL = reverse("loanregister:export")


def _download(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def _csv_rows(payload: bytes, delimiter: str = ",") -> list[dict]:
    text = payload.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def retention(make_user, client):
    user = make_user("retention", "retention_team")
    client.force_login(user)
    return user


@pytest.fixture
def campaign_book():
    aarhus = make.office("AAR")
    loans = [
        make.loan(
            "L-3", maturity_date=D(2030, 1, 1), office=aarhus, outstanding_balance=Decimal("1234567.89")
        ),
        make.loan("L-1", maturity_date=D(2030, 1, 1), rate_reset_date=D(2027, 1, 1), loan_type="adjustable"),
        make.loan("L-2", maturity_date=D(2029, 1, 1), currency="EUR", outstanding_balance=Decimal("10.50")),
        make.loan(
            "L-4",
            maturity_date=D(2031, 1, 1),
            borrower=make.borrower("Ærø Østergård", do_not_contact=True),
        ),
    ]
    return loans


def test_reg2_csv_export_equals_the_filtered_list_ordered_by_date_then_loan_number(
    client, retention, campaign_book
):
    # given a filter
    params = {**WIDE, "kind": "maturity", "include_do_not_contact": "on"}
    expected = {
        (e.loan_number, e.kind, e.event_date.isoformat())
        for e in register_events(filterset=register_filterset(data=params))
    }
    # when
    rows = _csv_rows(_download(client.get(EXPORT_URL, {**params, "format": "csv"})))
    # then the same events, in (event_date, loan_number) order, with the documented header
    assert {(r["loan_number"], r["event"], r["event_date"]) for r in rows} == expected
    assert [(r["event_date"], r["loan_number"]) for r in rows] == [
        ("2029-01-01", "L-2"),
        ("2030-01-01", "L-1"),
        ("2030-01-01", "L-3"),
        ("2031-01-01", "L-4"),
    ]
    assert list(rows[0].keys()) == HEADER


def test_reg2_do_not_contact_borrowers_are_left_out_unless_asked(client, retention, campaign_book):
    plain = _csv_rows(_download(client.get(EXPORT_URL, {**WIDE, "format": "csv"})))
    assert "L-4" not in {r["loan_number"] for r in plain}
    assert len(plain) == 4  # L-1 has two events
    asked = _csv_rows(
        _download(client.get(EXPORT_URL, {**WIDE, "format": "csv", "include_do_not_contact": "on"}))
    )
    assert "L-4" in {r["loan_number"] for r in asked}
    assert ExportLog.objects.filter(include_do_not_contact=True).count() == 1


def test_reg2_plain_dialect_is_comma_decimal_point_utf8_without_bom(client, retention, campaign_book):
    payload = _download(
        client.get(EXPORT_URL, {**WIDE, "format": "csv", "dialect": "plain", "kind": "maturity"})
    )
    assert not payload.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(payload)
    by_number = {r["loan_number"]: r for r in rows}
    assert by_number["L-3"]["outstanding_balance"] == "1234567.89"
    assert by_number["L-2"]["currency"] == "EUR" and by_number["L-2"]["outstanding_balance"] == "10.50"
    assert payload.splitlines()[0].decode().startswith("loan_number,event,event_date,")


def test_reg2_excel_da_dialect_is_semicolon_decimal_comma_with_bom(client, retention, campaign_book):
    payload = _download(
        client.get(
            EXPORT_URL,
            {
                **WIDE,
                "format": "csv",
                "dialect": "excel_da",
                "kind": "maturity",
                "include_do_not_contact": "on",
            },
        )
    )
    assert payload.startswith("\ufeff".encode())
    assert payload[3:].splitlines()[0].decode().startswith("loan_number;event;event_date;")
    rows = _csv_rows(payload, delimiter=";")
    by_number = {r["loan_number"]: r for r in rows}
    assert by_number["L-3"]["outstanding_balance"] == "1234567,89"
    assert by_number["L-4"]["borrower_name"] == "Ærø Østergård"


def test_reg2_every_export_is_logged_with_user_filter_and_row_count(client, retention, campaign_book):
    # when
    _download(client.get(EXPORT_URL, {**WIDE, "kind": "maturity", "format": "csv", "dialect": "excel_da"}))
    # then
    log = ExportLog.objects.get()
    assert log.user == retention
    assert log.format == "csv" and log.dialect == "excel_da" and log.source == "web"
    assert log.filters == {**WIDE, "kind": "maturity"}
    assert log.row_count == 3 and log.completed and log.finished_at is not None  # L-4 is do-not-contact
    assert log.file_name.endswith(".csv")


def test_reg2_broken_off_download_is_logged_as_incomplete(retention, campaign_book):
    # given an export stream whose first chunk went out
    export = export_start(
        events=register_events(filterset=register_filterset(data=WIDE)), user=retention, fmt="csv"
    )
    next(export.chunks)
    # when the client goes away (the server closes the response, which closes the stream)
    export.chunks.close()
    # then the log says the export did not complete
    log = ExportLog.objects.get()
    assert log.completed is False and log.finished_at is not None


def test_reg2_export_is_forbidden_without_the_permission(client, make_user, campaign_book):
    client.force_login(make_user("officer", "loan_officer"))
    response = client.get(EXPORT_URL, {**WIDE, "format": "csv"})
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_reg2_contact_details_only_for_users_allowed_to_see_them(client, make_user, campaign_book):
    # given a user who may export but not see contact details
    from django.contrib.auth.models import Permission

    user = make_user("exporter")
    user.user_permissions.add(
        Permission.objects.get(codename="export_register"), Permission.objects.get(codename="view_loan")
    )
    client.force_login(user)
    # when
    rows = _csv_rows(_download(client.get(EXPORT_URL, {**WIDE, "format": "csv"})))
    # then
    assert rows and all(r["email"] == "" and r["phone"] == "" and r["borrower_address"] == "" for r in rows)
    assert all(r["borrower_name"] for r in rows)
    assert ExportLog.objects.get().with_contact_details is False


def test_reg2_xlsx_export_has_the_same_rows(client, retention, campaign_book):
    payload = _download(client.get(EXPORT_URL, {**WIDE, "format": "xlsx"}))
    sheet = load_workbook(io.BytesIO(payload), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    # the web download labels its columns in the user's language, Danish by default (test_export_xlsx.py)
    with translation.override("da"):
        assert list(rows[0]) == [str(COLUMN_LABELS[name]) for name in HEADER]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("L-1", "rate_reset"),
        ("L-2", "maturity"),
        ("L-1", "maturity"),
        ("L-3", "maturity"),
    ]
    assert ExportLog.objects.get(format="xlsx").row_count == 4


@override_settings(REGISTER_XLSX_MAX_ROWS=4)  # header + 3 data rows fit on the "sheet"
def test_reg2_xlsx_refuses_more_rows_than_a_sheet_holds_and_says_use_csv(client, retention, campaign_book):
    # when 4 data rows are asked for
    response = client.get(EXPORT_URL, {**WIDE, "format": "xlsx"}, follow=True)
    # then nothing is exported and the page says to use CSV
    assert response.redirect_chain and response.status_code == 200
    assert "CSV" in response.content.decode()
    assert not ExportLog.objects.exists()
    # and 3 rows still fit
    assert _download(client.get(EXPORT_URL, {**WIDE, "format": "xlsx", "kind": "maturity"}))


def test_reg2_register_page_offers_export_links_to_the_retention_team(client, retention, campaign_book):
    html = client.get(reverse("loanregister:register"), WIDE).content.decode()
    for element_id in ("export-csv", "export-csv-excel-da", "export-xlsx"):
        assert f'id="{element_id}"' in html


# --- the command --------------------------------------------------------------------------------------------


def test_reg2_export_maturities_command_writes_the_documented_csv(tmp_path, campaign_book):
    # given
    output = tmp_path / "out.csv"
    # when
    call_command(
        "export_maturities",
        "--from",
        "2029-01-01",
        "--to",
        "2030-01-01",
        "--format",
        "csv",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    # then both dates are inclusive and rows are ordered by event_date, then loan_number
    rows = _csv_rows(output.read_bytes())
    assert [(r["event_date"], r["loan_number"], r["event"]) for r in rows] == [
        ("2029-01-01", "L-2", "maturity"),
        ("2030-01-01", "L-1", "maturity"),
        ("2030-01-01", "L-3", "maturity"),
    ]
    assert output.read_bytes().startswith(b"loan_number,event,event_date,")
    log = ExportLog.objects.get()
    assert log.source == "command" and log.user is None and log.row_count == 3


def test_reg2_export_maturities_command_filters_and_dialect(tmp_path, campaign_book):
    output = tmp_path / "out.csv"
    call_command(
        "export_maturities",
        "--from=2020-01-01",
        "--to=2040-12-31",
        "--kind=maturity",
        "--office=AAR",
        "--dialect=excel_da",
        "--format=csv",
        f"--output={output}",
        stdout=io.StringIO(),
    )
    rows = _csv_rows(output.read_bytes(), delimiter=";")
    assert [r["loan_number"] for r in rows] == ["L-3"]
    assert rows[0]["outstanding_balance"] == "1234567,89"


def test_reg2_export_maturities_command_xlsx_and_do_not_contact(tmp_path, campaign_book):
    output = tmp_path / "out.xlsx"
    call_command(
        "export_maturities",
        "--from=2031-01-01",
        "--to=2031-01-01",
        "--include-do-not-contact",
        "--format=xlsx",
        f"--output={output}",
        stdout=io.StringIO(),
    )
    rows = list(load_workbook(output, read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["L-4"]


def test_reg2_export_maturities_command_refuses_a_user_without_the_permission(
    tmp_path, make_user, campaign_book
):
    make_user("officer", "loan_officer")
    with pytest.raises(CommandError, match="may not export"):
        call_command(
            "export_maturities",
            "--from=2020-01-01",
            "--to=2040-12-31",
            "--format=csv",
            f"--output={tmp_path / 'x.csv'}",
            "--user=officer",
        )


def test_reg2_command_and_web_give_the_same_file(client, make_user, tmp_path, campaign_book):
    # given an administrator (export permission and contact details), on the web and on the command line
    make_user("boss", "admin")
    client.force_login(make_user("admin2", "admin"))
    params = {"date_from": "2029-01-01", "date_to": "2031-12-31", "kind": "maturity", "dialect": "excel_da"}
    # when
    web = _download(client.get(EXPORT_URL, {**params, "format": "csv"}))
    output = tmp_path / "cmd.csv"
    call_command(
        "export_maturities",
        "--from=2029-01-01",
        "--to=2031-12-31",
        "--kind=maturity",
        "--dialect=excel_da",
        "--format=csv",
        f"--output={output}",
        "--user=boss",
        stdout=io.StringIO(),
    )
    # then the bytes are the same
    assert output.read_bytes() == web
    assert ExportLog.objects.filter(user__username="boss", source="command").exists()
