"""Files from Danish Excel (issue 8 item 13; docs/requirements.md §3): "CSV (semikolonsepareret)" is saved as
Windows-1252, not UTF-8. Such a file is read as Windows-1252 and the import says so (the result, the command's
standard error, the admin page and the ImportRun); a file that is neither is refused with advice to save it as
"CSV UTF-8". Every file here is real Windows-1252 bytes (æ 0xE6, ø 0xF8, å 0xE5, € 0x80), in each of the three
imports that share the reader (common/csvfiles.py)."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from common import csvfiles
from common.models import ExchangeRate, ImportRun
from common.rates_import import exchange_rates_import
from loanregister.loan_import import loans_import
from loanregister.models import Loan
from servicing.models import Posting
from servicing.transaction_import import transactions_import

from ..servicing.ledger_support import make_loan

pytestmark = pytest.mark.django_db

LOANS = (
    "loan_number;borrower_name;borrower_address;loan_type;currency;principal;interest_rate;"
    "origination_date;maturity_date\n"
    "DK-1;Søren Ærø Åkjær;Nørregade 1, 1165 København K;fixed;DKK;2.500.000,00;4,25;2021-04-01;2051-04-01\n"
)
TRANSACTIONS = "transaction_id;loan_number;kind;date;amount;note\nTX-1;L-1;fee;2026-01-05;1.250,00;Gebyr for ændring, 10 €\n"


@pytest.fixture(autouse=True)
def english():
    """The reasons and notices are translated; these tests read them in English (as commands do)."""
    with translation.override("en"):
        yield


def _windows_1252(text: str) -> bytes:
    data = text.encode("cp1252")
    assert any(byte >= 0x80 for byte in data)  # the file really has Windows-1252 bytes (æ 0xE6, € 0x80, ...)
    return data


# --- the reader ------------------------------------------------------------------------------------------------


def test_a_utf8_file_is_read_as_utf8_without_a_notice():
    errors = csvfiles.ErrorList()
    assert csvfiles.decode("\ufeffnavn\nSøren 10 €\n".encode(), errors) == "navn\nSøren 10 €\n"
    assert not errors and errors.notices == []


def test_a_windows_1252_file_is_read_as_such_with_a_notice_naming_the_first_byte_that_is_not_utf8():
    errors = csvfiles.ErrorList()
    text = csvfiles.decode(_windows_1252("navn\nSøren Ærø, 10 €\n"), errors)
    assert text == "navn\nSøren Ærø, 10 €\n"
    assert not errors
    [notice] = errors.notices
    assert "read as Windows-1252" in notice and "byte 0xf8 on line 2" in notice and '"CSV UTF-8"' in notice


@pytest.mark.parametrize("undefined", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_a_file_with_a_byte_windows_1252_does_not_define_is_refused_with_advice(undefined):
    errors = csvfiles.ErrorList()
    data = _windows_1252("navn\nSøren\n") + b"Jens " + bytes([undefined]) + b"\n"
    assert csvfiles.decode(data, errors) is None
    assert errors.lines() == [
        f"line 3: file: neither UTF-8 nor Windows-1252 text (byte 0x{undefined:02x}); "
        'save it as "CSV UTF-8" in Excel and import that'
    ]
    assert errors.notices == []


def test_a_utf16_file_is_refused_not_read_as_windows_1252():
    errors = csvfiles.ErrorList()
    assert csvfiles.decode("navn\nSøren\n".encode("utf-16"), errors) is None
    assert "neither UTF-8 nor Windows-1252" in errors.lines()[0]


def test_a_utf8_file_with_one_stray_byte_is_refused_rather_than_garbled():
    # given a UTF-8 file (æøå as two bytes each) with one Windows-1252 ø pasted in on line 3
    errors = csvfiles.ErrorList()
    data = "navn\nSøren Ærø\n".encode() + b"J\xf8rgen\n"
    # then reading it as Windows-1252 would turn the UTF-8 ø into "Ã¸": it is refused at the stray byte
    assert csvfiles.decode(data, errors) is None
    assert errors.lines() == [
        "line 3: file: byte 0xf8 is not UTF-8, though the file has UTF-8 text elsewhere; "
        'save it as "CSV UTF-8" in Excel and import that'
    ]


# --- import_loans ----------------------------------------------------------------------------------------------


def test_import_loans_reads_a_windows_1252_file_and_says_so():
    # when
    result = loans_import(file=_windows_1252(LOANS), user=None, file_name="loans.csv")
    # then the loan is there with its æøå
    assert result.ok, result.errors
    loan = Loan.objects.select_related("borrower").get()
    assert (loan.borrower.name, loan.borrower.address) == ("Søren Ærø Åkjær", "Nørregade 1, 1165 København K")
    assert loan.principal == Decimal("2500000.00")
    # and the result and the import run say how the file was read
    [notice] = result.notices
    assert "read as Windows-1252" in notice
    assert result.import_run.notices == notice and ImportRun.objects.get().notices == notice


def test_import_loans_command_prints_the_notice(tmp_path):
    path = tmp_path / "loans.csv"
    path.write_bytes(_windows_1252(LOANS))
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_loans", str(path), stdout=stdout, stderr=stderr)
    assert "loans.csv: The file is not UTF-8 (byte 0xf8 on line 2), so it was read as Windows-1252" in (
        stderr.getvalue()
    )
    assert "1 created" in stdout.getvalue()


def test_import_loans_command_refuses_a_file_that_is_neither(tmp_path):
    path = tmp_path / "loans.csv"
    path.write_bytes(_windows_1252(LOANS).replace("Åkjær".encode("cp1252"), b"\x8fkj\xe6r"))
    stderr = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_loans", str(path), stdout=io.StringIO(), stderr=stderr)
    assert failure.value.returncode == 1
    assert 'line 2: file: neither UTF-8 nor Windows-1252 text (byte 0x8f); save it as "CSV UTF-8"' in (
        stderr.getvalue()
    )
    assert not Loan.objects.exists()
    run = ImportRun.objects.get()
    assert not run.ok and "byte 0x8f" in run.errors and run.notices == ""


def test_import_loans_admin_page_shows_the_notice(client, make_user):
    # given a clerk who may import
    user = make_user("clerk", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_loan", "import_loans"]))
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the notice is checked in English
    upload = SimpleUploadedFile("loans.csv", _windows_1252(LOANS), content_type="text/csv")
    # when
    response = client.post(reverse("admin:loanregister_loan_import"), {"file": upload})
    # then
    page = response.content.decode()
    assert response.context["result"].ok
    assert 'class="messagelist import-notices"' in page and "read as Windows-1252" in page


# --- import_transactions ---------------------------------------------------------------------------------------


def test_import_transactions_reads_a_windows_1252_file_and_says_so(tmp_path):
    # given
    make_loan("L-1")
    path = tmp_path / "tx.csv"
    path.write_bytes(_windows_1252(TRANSACTIONS))
    stderr = io.StringIO()
    # when
    call_command("import_transactions", str(path), stdout=io.StringIO(), stderr=stderr)
    # then the posting keeps its æ and €, and the command and the import run say how the file was read
    assert Posting.objects.get(external_id="TX-1").note == "Gebyr for ændring, 10 €"
    assert "tx.csv: The file is not UTF-8 (byte 0xe6 on line 2)" in stderr.getvalue()
    assert "read as Windows-1252" in ImportRun.objects.get(kind="transactions").notices


def test_import_transactions_refuses_a_file_that_is_neither():
    make_loan("L-1")
    data = _windows_1252(TRANSACTIONS).replace(b"\x80", b"\x9d")
    result = transactions_import(file=data, user=None, file_name="tx.csv")
    assert not result.ok and result.notices == []
    assert result.errors == [
        'line 2: file: neither UTF-8 nor Windows-1252 text (byte 0x9d); save it as "CSV UTF-8" in Excel and '
        "import that"
    ]
    assert not Posting.objects.filter(external_id="TX-1").exists()


# --- import_exchange_rates -------------------------------------------------------------------------------------


def test_import_exchange_rates_reads_a_windows_1252_file_and_says_so(tmp_path):
    # given a rate with a no-break space between the thousands, as Windows-1252 writes it (0xA0)
    path = tmp_path / "rates.csv"
    path.write_bytes(_windows_1252("date;currency;rate\n2026-11-27;KWD;2\u00a0104,56\n"))
    stderr = io.StringIO()
    # when
    call_command("import_exchange_rates", str(path), stdout=io.StringIO(), stderr=stderr)
    # then
    assert ExchangeRate.objects.get(currency="KWD").rate == Decimal("2104.56")
    assert "rates.csv: The file is not UTF-8 (byte 0xa0 on line 2)" in stderr.getvalue()
    assert "read as Windows-1252" in ImportRun.objects.get(kind="exchange_rates").notices


def test_import_exchange_rates_reports_a_bad_row_of_a_windows_1252_file_in_its_own_characters():
    # when a Windows-1252 file names the euro by its sign
    result = exchange_rates_import(
        file=_windows_1252("date;currency;rate\n2026-11-27;€;746,08\n"), user=None, file_name="rates.csv"
    )
    # then the error shows the € as written, and the notice says how the file was read, though nothing was written
    assert result.errors == ["line 2: currency: '€' is not an ISO 4217 currency code"]
    assert result.notices and "read as Windows-1252" in ImportRun.objects.get().notices
    assert not ExchangeRate.objects.exists()


def test_import_exchange_rates_refuses_a_file_that_is_neither():
    data = b"date;currency;rate\n2026-11-27;EUR;746,08\x81\n"
    result = exchange_rates_import(file=data, user=None, file_name="rates.csv")
    assert result.errors == [
        'line 2: file: neither UTF-8 nor Windows-1252 text (byte 0x81); save it as "CSV UTF-8" in Excel and '
        "import that"
    ]
    assert not ExchangeRate.objects.exists()
