"""The `import_loans FILE` contract (docs/requirements.md §3; issue 2 item 5), on PostgreSQL."""

import datetime
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from common.csvfiles import CellError, parse_decimal
from common.models import ImportRun
from loanregister.loan_import import ALL_COLUMNS, REQUIRED_COLUMNS, loans_import
from loanregister.models import Borrower, Loan, Office, Property, RegisterEvent, Servicer, ServicerAssignment
from loanregister.services import own_servicer_get_or_create

from ..runner import url_of

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "docs" / "samples"

GOOD = {
    "loan_number": "L-1",
    "borrower_name": "Mette Hansen",
    "loan_type": "adjustable",
    "currency": "DKK",
    "principal": "2500000.00",
    "interest_rate": "4.25",
    "origination_date": "2021-04-01",
    "maturity_date": "2051-04-01",
}


def csv_text(rows: list[dict], *, columns=None, delimiter: str = ",") -> str:
    columns = columns or list(dict.fromkeys(name for row in rows for name in row))
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row.get(name, "") for name in columns) for row in rows]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, name: str = "loans.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(text: str, user=None):
    return loans_import(file=text.encode("utf-8"), user=user, file_name="loans.csv")


@pytest.fixture(autouse=True)
def english():
    """The reasons are translated; these tests read the English ones (the command's language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def own_servicer(db) -> Servicer:
    return own_servicer_get_or_create()  # made by migration 0010_own_servicer


def test_import_all_or_nothing_reports_every_bad_row(tmp_path, own_servicer):
    # given a file without the interest_rate column and one bad row of each kind
    columns = [c for c in [*REQUIRED_COLUMNS, "borrower_id"] if c != "interest_rate"]
    rows = [
        {**GOOD, "loan_number": "L-1"},  # line 2: good
        {**GOOD, "loan_number": "L-2", "origination_date": "2021-13-01"},  # line 3: bad date
        {**GOOD, "loan_number": "L-3", "loan_type": "balloon"},  # line 4: unknown loan type
        {**GOOD, "loan_number": "L-4", "principal": "-100"},  # line 5: negative principal
        {**GOOD, "loan_number": "L-1"},  # line 6: duplicate loan number
        {**GOOD, "loan_number": "L-5", "currency": "DKR"},  # line 7: unknown currency
        {**GOOD, "loan_number": "L-6", "borrower_id": "3213991234"},  # line 8: invalid CPR (day 32)
        {**GOOD, "loan_number": "L-7", "maturity_date": "2020-01-01"},  # line 9: matures before origination
        {**GOOD, "loan_number": "L-8"},  # line 10: good
    ]
    path = write(tmp_path, csv_text(rows, columns=columns))
    stderr = StringIO()
    # when
    with pytest.raises(CommandError) as raised:
        call_command("import_loans", str(path), stderr=stderr)
    # then every bad row is reported, in line order, and the exit status is 1
    assert raised.value.returncode == 1
    assert stderr.getvalue().splitlines() == [
        "line 1: interest_rate: required column missing",
        "line 3: origination_date: '2021-13-01' is not a valid date",
        "line 4: loan_type: 'balloon' is not one of adjustable, fixed, capped_floating, index_linked",
        "line 5: principal: '-100' must be more than zero",
        "line 6: loan_number: L-1 appears again (first on line 2)",
        "line 7: currency: 'DKR' is not an ISO 4217 currency code",
        "line 8: borrower_id: not a valid CPR number",
        "line 9: maturity_date: 2020-01-01 is before the origination date 2021-04-01",
    ]
    # and nothing was written but the record of the failed run
    assert not Loan.objects.exists()
    assert not Borrower.objects.exists()
    assert not Loan.history.exists()
    assert not Borrower.history.exists()
    assert not ServicerAssignment.objects.exists()
    run_record = ImportRun.objects.get()
    assert not run_record.ok
    assert run_record.rows == 9
    assert run_record.errors.splitlines()[0] == "line 1: interest_rate: required column missing"


@pytest.mark.django_db(transaction=True)
def test_import_command_exits_with_status_1_and_writes_nothing(tmp_path):
    # given a file with a bad row, run as a real process against the test database
    own_servicer_get_or_create()  # a transactional test: an earlier one may have flushed the migration's
    path = write(tmp_path, csv_text([GOOD, {**GOOD, "loan_number": "L-2", "maturity_date": "someday"}]))
    url = url_of(connection.settings_dict)  # the test database, over TCP or the embedded server's socket
    # when
    process = subprocess.run(
        [sys.executable, "manage.py", "import_loans", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert process.returncode == 1, process.stderr
    assert "line 3: maturity_date: 'someday' is not a date in the form YYYY-MM-DD" in process.stderr
    assert not Loan.objects.exists()
    assert ImportRun.objects.get().ok is False


def test_import_header_errors_name_unknown_and_repeated_columns(own_servicer):
    # given a typo in a column name and a column given twice
    text = csv_text([{**GOOD, "ofice": "HQ"}]).replace("currency", "currency,currency", 1)
    text = text.replace("DKK", "DKK,DKK", 1)
    # when
    result = run(text)
    # then
    assert not result.ok
    assert "line 1: currency: column appears more than once" in result.errors
    assert any(error.startswith("line 1: ofice: unknown column") for error in result.errors)
    assert not Loan.objects.exists()


def test_import_reports_references_that_do_not_exist(own_servicer):
    # given
    Office.objects.create(code="HQ", name="Head office", kind="home_office")
    rows = [
        {**GOOD, "office": "HQ", "officer": "nobody", "servicer": "ACME"},
        {**GOOD, "loan_number": "L-2", "office": "XX", "officer": "", "servicer": "OWN"},
        {**GOOD, "loan_number": "L-3", "amortization": "interest_only", "interest_only_until": ""},
        {**GOOD, "loan_number": "L-4", "outstanding_balance": "-1", "interest_rate": "4.5.6"},
        {**GOOD, "loan_number": "L-5", "borrower_do_not_contact": "maybe", "property_category": "castle"},
        {**GOOD, "loan_number": "L-6", "property_id": "BFE-1"},
    ]
    # when
    result = run(csv_text(rows))
    # then
    assert result.errors == [
        "line 2: officer: no user is called 'nobody'",
        "line 2: servicer: no servicer has the code 'ACME'",
        "line 3: office: no office has the code 'XX'",
        "line 4: interest_only_until: an interest_only loan needs the date its interest-only period ends",
        "line 5: interest_rate: '4.5.6' is not a number (thousands separators misplaced)",
        "line 5: outstanding_balance: '-1' must not be negative",
        "line 6: borrower_do_not_contact: 'maybe' is not yes/no, true/false, 1/0 or ja/nej",
        "line 6: property_category: 'castle' is not one of owner_occupied, social_housing, private_rental, "
        "cooperative, industry, office_retail, agriculture, social_cultural, other",
        "line 7: property_category: required for a new property",
    ]


def test_import_without_an_own_servicer_says_so(db):
    # given no servicer marked as our own (the migration's mark taken off in admin)
    Servicer.objects.filter(is_own=True).update(is_own=False)
    Servicer.objects.create(code="ACME", name="Acme Servicing")
    # when
    result = run(csv_text([GOOD]))
    # then
    assert result.errors == [
        "line 2: servicer: blank means our own servicer, but no servicer is marked as our own; give a code"
    ]


def test_import_semicolon_file_with_decimal_comma_and_bom(own_servicer, tmp_path):
    # given the Danish sample: BOM, semicolons, 1.234.567,89
    path = SAMPLES / "loans_da.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    # when
    call_command("import_loans", str(path), stdout=StringIO())
    # then
    loan = Loan.objects.select_related("borrower", "property").get(loan_number="DK-200001")
    assert loan.principal == Decimal("1234567.89")
    assert loan.interest_rate == Decimal("4.25")
    assert loan.outstanding_balance == Decimal("1180000.00")
    assert loan.balance_date == datetime.date(2026, 1, 1)
    assert loan.borrower.name == "Søren Østergaard"
    assert loan.borrower.national_id == "230485-1122"
    assert loan.property.address == "Åboulevarden 3, 8000 Aarhus C"
    assert loan.recourse is True
    coop = Loan.objects.get(loan_number="DK-200002")
    assert coop.principal == Decimal("12500000.00")
    assert coop.outstanding_balance == Decimal("11912345.50")
    assert coop.interest_rate == Decimal("1.5")
    third = Loan.objects.select_related("borrower").get(loan_number="DK-200003")
    assert third.borrower.do_not_contact is True
    assert third.recourse is False
    assert third.outstanding_balance == 0 and third.balance_date is None


def test_import_comma_sample_imports(own_servicer):
    # when
    call_command("import_loans", str(SAMPLES / "loans.csv"), stdout=StringIO())
    # then
    assert Loan.objects.count() == 3
    assert set(Loan.objects.values_list("currency", flat=True)) == {"DKK", "EUR"}
    # every column of the contract is shown in the sample
    header = (SAMPLES / "loans.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert sorted(header) == sorted(ALL_COLUMNS)


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [
        ("1234.5", False, Decimal("1234.5")),
        ("1,234.50", False, Decimal("1234.50")),
        ("1,234", False, Decimal("1234")),
        ("1.234", False, Decimal("1.234")),
        ("1.234.567,89", True, Decimal("1234567.89")),
        ("1.234", True, Decimal("1234")),
        ("4,25", True, Decimal("4.25")),
        ("4,25", False, Decimal("4.25")),
        ("0.5", True, Decimal("0.5")),
        ("1 234 567,89", True, Decimal("1234567.89")),
        ("-12,5", True, Decimal("-12.5")),
    ],
)
def test_import_reads_decimal_point_and_decimal_comma(raw, decimal_comma, expected):
    assert parse_decimal(raw, decimal_comma=decimal_comma) == expected


@pytest.mark.parametrize("raw", ["1.23.4", "12,34,5", "1e5", "abc", ",5", "1.234,5.6", "4."])
def test_import_refuses_what_is_not_a_number(raw):
    with pytest.raises(CellError):
        parse_decimal(raw, decimal_comma=True)


def test_import_twice_changes_nothing(own_servicer):
    # given the sample imported once
    data = (SAMPLES / "loans.csv").read_bytes()
    first = loans_import(file=data, user=None, file_name="loans.csv")
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    counts = (Loan.history.count(), Borrower.history.count(), ServicerAssignment.objects.count())
    stamps = dict(Loan.objects.values_list("loan_number", "updated_at"))
    # when the same file is imported again
    with CaptureQueriesContext(connection) as queries:
        second = loans_import(file=data, user=None, file_name="loans.csv")
    # then nothing changes: no UPDATE, no new rows but the run's record
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]
    assert len(writes) == 1 and 'INSERT INTO "loanregister_importrun"' in writes[0]
    assert (Loan.history.count(), Borrower.history.count(), ServicerAssignment.objects.count()) == counts
    assert dict(Loan.objects.values_list("loan_number", "updated_at")) == stamps


def test_import_leaves_loans_absent_from_the_file_untouched(own_servicer):
    # given two loans
    run(csv_text([GOOD, {**GOOD, "loan_number": "L-2", "borrower_name": "Lars Nielsen"}]))
    absent = Loan.objects.get(loan_number="L-2")
    # when a file with only the first loan, changed, is imported
    result = run(csv_text([{**GOOD, "interest_rate": "3.75"}]))
    # then the first is updated and the second is as it was
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert Loan.objects.get(loan_number="L-1").interest_rate == Decimal("3.75")
    again = Loan.objects.get(loan_number="L-2")
    assert (again.interest_rate, again.updated_at, again.history.count()) == (
        absent.interest_rate,
        absent.updated_at,
        1,
    )


def test_import_updates_only_what_changed_and_keeps_the_register_in_step(own_servicer):
    # given
    Office.objects.create(code="HQ", name="Head office", kind="home_office")
    run(csv_text([{**GOOD, "rate_reset_date": "2027-01-01", "office": "HQ"}]))
    loan = Loan.objects.get()
    assert RegisterEvent.objects.filter(loan=loan, kind="rate_reset", event_date="2027-01-01").exists()
    # when the reset date moves, in a file without the office column (which is then left alone)
    result = run(csv_text([{**GOOD, "rate_reset_date": "2028-01-01"}]))
    assert (result.updated, result.unchanged) == (1, 0)
    # then
    loan.refresh_from_db()
    assert loan.rate_reset_date == datetime.date(2028, 1, 1)
    assert loan.office.code == "HQ"
    assert RegisterEvent.objects.filter(loan=loan, kind="rate_reset", event_date="2028-01-01").exists()
    latest = loan.history.first()
    assert latest.history_type == "~"
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["rate_reset_date"]


def test_reg4_import_records_the_servicer_and_a_change_of_servicer(own_servicer):
    # given a new loan: serviced by us since its balance date
    acme = Servicer.objects.create(code="ACME", name="Acme Servicing")
    run(csv_text([{**GOOD, "outstanding_balance": "2400000", "balance_date": "2025-01-01"}]))
    loan = Loan.objects.get()
    assert list(loan.servicer_assignments.values_list("servicer__code", "since", "until")) == [
        ("OWN", datetime.date(2025, 1, 1), None)
    ]
    # when the servicing rights are sold
    run(
        csv_text(
            [{**GOOD, "servicer": "ACME", "outstanding_balance": "2300000", "balance_date": "2026-01-01"}]
        )
    )
    # then the old assignment is closed and the new one opened on the same day
    loan.refresh_from_db()
    assert loan.servicer == acme and loan.servicer_since == datetime.date(2026, 1, 1)
    assert list(loan.servicer_assignments.values_list("servicer__code", "since", "until")) == [
        ("OWN", datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)),
        ("ACME", datetime.date(2026, 1, 1), None),
    ]


def test_import_matches_borrowers_by_national_id_and_upserts_properties(own_servicer):
    # given two loans of one borrower (by CPR number) on one property
    rows = [
        {**GOOD, "borrower_id": "010180-1234", "property_id": "BFE-1", "property_category": "owner_occupied"},
        {**GOOD, "loan_number": "L-2", "borrower_id": "0101801234", "property_id": "BFE-1"},
    ]
    # when
    result = run(csv_text(rows))
    # then
    assert result.ok, result.errors
    assert Borrower.objects.count() == 1
    assert Property.objects.get().category == "owner_occupied"
    assert {loan.property_id for loan in Loan.objects.all()} == {Property.objects.get().pk}
    # when a later file moves the property to another category and names the borrower differently in two rows
    rows = [
        {**GOOD, "borrower_id": "0101801234", "property_id": "BFE-1", "property_category": "private_rental"},
        {**GOOD, "loan_number": "L-2", "borrower_id": "0101801234", "borrower_name": "M. Hansen"},
    ]
    result = run(csv_text(rows))
    # then the conflict is reported and nothing moved
    assert result.errors == ["line 3: borrower_name: differs from line 2 for the same borrower"]
    assert Property.objects.get().category == "owner_occupied"


def test_import_balance_defaults_to_today_and_blank_means_nothing_outstanding(own_servicer):
    # given
    today = datetime.date(2026, 3, 2)
    rows = [
        {**GOOD, "outstanding_balance": "1000"},
        {**GOOD, "loan_number": "L-2", "outstanding_balance": ""},
    ]
    # when
    loans_import(file=csv_text(rows).encode(), user=None, file_name="x.csv", today=today)
    # then
    assert Loan.objects.filter(loan_number="L-1", outstanding_balance=1000, balance_date=today).exists()
    assert Loan.objects.filter(loan_number="L-2", outstanding_balance=0, balance_date=None).exists()
    # and the same file a day later changes nothing
    later = loans_import(
        file=csv_text(rows).encode(), user=None, file_name="x.csv", today=today + datetime.timedelta(days=1)
    )
    assert later.unchanged == 2


def _import_page_user(make_user, *, allowed: bool):
    user = make_user("clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_loan"))
    if allowed:
        user.user_permissions.add(Permission.objects.get(codename="import_loans"))
    return user


def test_import_admin_page_imports_for_a_user_with_permission(client, make_user, own_servicer):
    # given
    client.force_login(_import_page_user(make_user, allowed=True))
    url = reverse("admin:loanregister_loan_import")
    # the change list offers the import
    assert url in client.get(reverse("admin:loanregister_loan_changelist")).content.decode()
    # when a good file is uploaded
    upload = SimpleUploadedFile("loans.csv", (SAMPLES / "loans.csv").read_bytes(), content_type="text/csv")
    response = client.post(url, {"file": upload})
    # then the counts are shown and the loans are there
    assert response.status_code == 200
    assert response.context["result"].created == 3
    assert Loan.objects.count() == 3
    assert ImportRun.objects.get().user == response.wsgi_request.user


def test_import_admin_page_shows_every_error_and_writes_nothing(client, make_user, own_servicer):
    # given
    client.force_login(_import_page_user(make_user, allowed=True))
    text = csv_text(
        [
            GOOD,
            {**GOOD, "loan_number": "L-2", "principal": "0"},
            {**GOOD, "loan_number": "L-3", "currency": "XYZ"},
        ]
    )
    upload = SimpleUploadedFile("bad.csv", text.encode(), content_type="text/csv")
    # when
    response = client.post(reverse("admin:loanregister_loan_import"), {"file": upload})
    # then
    page = response.content.decode()
    assert "line 3: principal:" in page and "line 4: currency:" in page
    assert not Loan.objects.exists()
    assert ImportRun.objects.get().ok is False


def test_import_admin_page_is_refused_without_the_permission(client, make_user, own_servicer):
    # given a staff user who may see loans but not import them
    client.force_login(_import_page_user(make_user, allowed=False))
    url = reverse("admin:loanregister_loan_import")
    # then the change list does not offer the import and the page refuses
    assert url not in client.get(reverse("admin:loanregister_loan_changelist")).content.decode()
    assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("loans.csv", (SAMPLES / "loans.csv").read_bytes(), content_type="text/csv")
    assert client.post(url, {"file": upload}).status_code == 403
    assert not Loan.objects.exists()


def test_import_keeps_text_exactly_as_written(own_servicer):
    # given text with the characters a CSV or COPY round trip could mangle
    address = 'Strandvejen 1, 2. "th"\nDK-2900 Hellerup; back\\slash\ttab'
    text = csv_text(
        [{**GOOD, "borrower_address": '"' + address.replace('"', '""') + '"', "borrower_email": ""}]
    )
    # when
    result = run(text)
    # then
    assert result.ok, result.errors
    borrower = Borrower.objects.get()
    assert borrower.address == address
    assert borrower.email == ""
    assert Borrower.history.get().address == address


def test_import_keeps_the_loans_borrower_when_no_national_id_is_given(own_servicer):
    # given a loan whose borrower has no national id
    run(csv_text([GOOD]))
    borrower = Borrower.objects.get()
    # when the file renames the borrower and later gives a CPR number
    run(csv_text([{**GOOD, "borrower_name": "Mette Hansen-Berg"}]))
    run(csv_text([{**GOOD, "borrower_name": "Mette Hansen-Berg", "borrower_id": "0101801234"}]))
    # then it is still the same borrower, renamed and identified, with a history entry per change
    borrower.refresh_from_db()
    assert Borrower.objects.count() == 1
    assert (borrower.name, borrower.national_id) == ("Mette Hansen-Berg", "010180-1234")
    assert list(borrower.history.order_by("history_id").values_list("history_type", flat=True)) == [
        "+",
        "~",
        "~",
    ]
    # and a different CPR number on that loan is a different borrower
    run(csv_text([{**GOOD, "borrower_name": "Lars Nielsen", "borrower_id": "2304851122"}]))
    loan = Loan.objects.select_related("borrower").get()
    assert loan.borrower.name == "Lars Nielsen" and loan.borrower != borrower
    borrower.refresh_from_db()
    assert borrower.name == "Mette Hansen-Berg"


def test_import_reports_files_that_cannot_be_read(own_servicer):
    # a file that is neither UTF-8 nor Windows-1252 (0x81 is neither's), one that is empty, and a row of the wrong
    # width (a Windows-1252 file is read: tests/common/test_csv_encoding.py)
    text = csv_text([GOOD, {**GOOD, "loan_number": "L-2", "borrower_name": "S\x81ren"}])
    assert loans_import(file=text.encode("latin-1"), user=None, file_name="x.csv").errors == [
        'line 3: file: neither UTF-8 nor Windows-1252 text (byte 0x81); save it as "CSV UTF-8" in Excel and import that'
    ]
    assert loans_import(file=b"", user=None, file_name="x.csv").errors == [
        "line 1: file: empty: the first line must name the columns"
    ]
    short = csv_text([GOOD]) + "L-2,Lars Nielsen,fixed\n"
    assert run(short).errors == ["line 3: row: has 3 fields, the header has 8"]
    assert not Loan.objects.exists()
    assert ImportRun.objects.filter(ok=False).count() == 3
