"""import_transactions (docs/requirements.md §3): all-or-nothing, every bad row reported, never posts a transaction
twice."""

import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from common.models import ImportRun
from loanregister.models import Loan
from servicing.ledger import ledger_reconcile, loan_balances, opening_balances_post
from servicing.models import Posting, PostingKind
from servicing.transaction_import import transactions_import

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The reasons are translated into the active language; these tests read them in English (as commands do)."""
    with translation.override("en"):
        yield


SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "transactions.csv"
HEADER = "transaction_id,loan_number,kind,date,amount,price,property_category,payee,note\n"


def _sample_loans():
    """The two loans of docs/samples/loans.csv the sample transactions name, as import_loans leaves them."""
    with_balance = make_loan(
        "DK-100001", outstanding_balance=D("2310000.00"), balance_date=datetime.date(2026, 1, 1)
    )
    opening_balances_post(loan_ids=[with_balance.pk])
    without = make_loan("DK-100002", category="owner_occupied", outstanding_balance=D("0"))
    return with_balance, without


def _run(text: str, name: str = "tx.csv"):
    return transactions_import(file=text.encode("utf-8"), user=None, file_name=name)


def test_import_transactions_posts_the_sample_file():
    # given
    with_balance, without = _sample_loans()
    # when
    result = transactions_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name)
    # then
    assert result.errors == []
    assert (result.ok, result.rows, result.posted, result.unchanged) == (True, 8, 8, 0)
    with_balance.refresh_from_db()
    without.refresh_from_db()
    # 2,310,000 opening − 14,211.37 scheduled − 50,000 extra; the fee was paid by the payment
    assert with_balance.outstanding_balance == D("2245788.63")
    assert loan_balances(loan=with_balance).fees_due == 0
    assert without.outstanding_balance == D("1600000.00")
    assert loan_balances(loan=without).escrow == D("-3400.00")
    without.property.refresh_from_db()
    assert without.property.category == "private_rental"
    redemption = Posting.objects.get(external_id="TX-2026-0007")
    assert (redemption.price, redemption.property_category, redemption.market_value) == (
        D("97.4"),
        "private_rental",
        D("194800.00"),
    )
    assert ImportRun.objects.get(kind="transactions").ok
    assert ledger_reconcile() == []


def test_import_transactions_reimport_posts_nothing_twice():
    # given
    _sample_loans()
    transactions_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name)
    count = Posting.objects.count()
    # when
    again = transactions_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name)
    # then
    assert (again.ok, again.posted, again.unchanged) == (True, 0, 8)
    assert Posting.objects.count() == count


def test_import_transactions_is_all_or_nothing_and_reports_every_bad_row():
    # given
    loan = make_loan("L-1")
    text = HEADER + (
        "T1,L-1,disbursement,2026-01-01,1000000,99,,,\n"  # good
        "T2,L-1,disbursement,2026-01-01,1000000,,,,\n"  # no price
        "T3,NOPE,payment,2026-01-02,10,,,,\n"  # unknown loan
        "T4,L-1,refund,2026-01-02,10,,,,\n"  # unknown kind
        "T5,L-1,fee,2026-02-30,10,,,,\n"  # no such date
        "T6,L-1,fee,2026-01-02,-10,,,,\n"  # negative
        "T7,L-1,escrow_disbursement,2026-01-02,10,,,,\n"  # no payee
        "T8,L-1,property_category_change,2026-01-02,5,,castle,,\n"  # amount and category
        ",L-1,fee,2026-01-02,10,,,,\n"  # no transaction id
        "T9,L-1,fee,2026-01-02,10,,,\n"  # short row
    )
    # when
    result = _run(text)
    # then
    assert not result.ok
    assert result.errors == [
        "line 3: price: is required for disbursement (the bond price, kurs; 100 when paid in cash)",
        "line 4: loan_number: no loan numbered 'NOPE'",
        "line 5: kind: 'refund' is not one of disbursement, payment, scheduled_repayment, redemption, "
        "extra_repayment, fee, escrow_disbursement, property_category_change",
        "line 6: date: '2026-02-30' is not a valid date",
        "line 7: amount: '-10' must not be negative",
        "line 8: payee: is required for escrow_disbursement (who was paid)",
        "line 9: property_category: 'castle' is not one of owner_occupied, social_housing, private_rental, "
        "cooperative, industry, office_retail, agriculture, social_cultural, other",
        "line 9: amount: must be 0 for property_category_change",
        "line 10: transaction_id: is required",
        "line 11: row: has 8 fields, the header has 9",
    ]
    assert not Posting.objects.exists()
    loan.refresh_from_db()
    assert loan.outstanding_balance == 0
    run = ImportRun.objects.get(kind="transactions")
    assert not run.ok and "line 4: loan_number" in run.errors


def test_import_transactions_redemption_larger_than_outstanding_on_its_date_is_a_row_error():
    # given: the rows are not in date order; the file's own disbursement counts from its date
    make_loan("L-1")
    text = HEADER + (
        "R1,L-1,redemption,2026-07-01,600000,99,,,\n"  # 1,000,000 outstanding then: fine
        "R2,L-1,extra_repayment,2026-08-01,400000.01,100,,,\n"  # 400,000 left: too much
        "D1,L-1,disbursement,2026-01-01,1000000,99,,,\n"
        "R0,L-1,scheduled_repayment,2025-12-31,1,,,,\n"  # before the disbursement: nothing outstanding
    )
    # when
    result = _run(text)
    # then
    assert result.errors == [
        "line 3: amount: 400000.01 is more than the 400000.00 DKK outstanding on 2026-08-01",
        "line 5: amount: 1.00 is more than the 0.00 DKK outstanding on 2025-12-31",
    ]
    assert not Posting.objects.exists()


def test_import_transactions_a_reused_transaction_id_with_other_content_is_a_row_error():
    # given
    make_loan("L-1")
    assert _run(HEADER + "T1,L-1,disbursement,2026-01-01,1000,99,,,\n").ok
    # when
    result = _run(
        HEADER
        + "T1,L-1,disbursement,2026-01-01,2000,99,,,\nT2,L-1,fee,2026-01-02,5,,,,\nT2,L-1,fee,2026-01-02,6,,,,\n"
    )
    # then
    assert result.errors == [
        "line 2: transaction_id: 'T1' was already posted with other content "
        "(disbursement 1000.00 on 2026-01-01 to L-1)",
        "line 4: transaction_id: 'T2' is on line 3 with other content",
    ]
    assert Posting.objects.count() == 1


def test_import_transactions_reads_danish_semicolon_files_with_bom_and_decimal_comma():
    # given
    loan = make_loan("L-1")
    text = "\ufefftransaction_id;loan_number;kind;date;amount;price\n" + (
        "T1;L-1;disbursement;2026-01-01;1.000.000,00;98,75\nT2;L-1;extra_repayment;2026-02-01;1.234,56;99,5\n"
    )
    # when
    result = _run(text)
    # then
    assert result.ok, result.errors
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("998765.44")
    assert Posting.objects.get(external_id="T1").price == D("98.75")


def test_import_transactions_command_exits_1_and_posts_nothing_on_a_bad_file(tmp_path):
    # given
    make_loan("L-1")
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "T1,L-1,disbursement,2026-01-01,1000,99,,,\nT2,L-1,payment,2026-13-01,10,,,,\n")
    # when / then
    stderr = io.StringIO()
    with translation.override("da"), pytest.raises(CommandError) as raised:  # the site's language is Danish
        call_command("import_transactions", str(path), stderr=stderr)
    assert raised.value.returncode == 1
    assert not Posting.objects.exists()
    # every bad row on standard error, in English whatever the site's language (other systems read it)
    assert stderr.getvalue().startswith("line 3: date: "), stderr.getvalue()
    assert "is not a valid date" in stderr.getvalue()
    # and a good file posts
    path.write_text(HEADER + "T1,L-1,disbursement,2026-01-01,1000,99,,,\n")
    call_command("import_transactions", str(path))
    assert Posting.objects.filter(kind=PostingKind.DISBURSEMENT).count() == 1


def test_import_loans_then_transactions_opening_balance_starts_the_ledger():
    # given: the loan book's sample, imported with its outstanding balances
    from loanregister.loan_import import loans_import
    from loanregister.services import own_servicer_get_or_create

    own_servicer_get_or_create()
    loans_sample = SAMPLE.parent / "loans.csv"
    assert loans_import(file=loans_sample.read_bytes(), user=None, file_name="loans.csv").ok
    opening = Posting.objects.get(external_id="opening:DK-100001")
    assert (opening.kind, opening.amount, opening.effective_date) == (
        PostingKind.OPENING_BALANCE,
        D("2310000.00"),
        datetime.date(2026, 1, 1),
    )
    assert not Posting.objects.filter(
        loan__loan_number="DK-100002"
    ).exists()  # no balance: nothing outstanding
    assert ledger_reconcile() == []
    # when: the transactions sample, and the loan file again
    result = transactions_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name)
    assert loans_import(file=loans_sample.read_bytes(), user=None, file_name="loans.csv").ok
    # then: the same balance as of the same date again changes nothing in the ledger; the cache stays the ledger's
    assert result.ok, result.errors
    openings = Posting.objects.filter(kind=PostingKind.OPENING_BALANCE, loan__loan_number="DK-100001")
    assert openings.count() == 1
    assert Loan.objects.get(loan_number="DK-100001").outstanding_balance == D("2245788.63")
    assert ledger_reconcile() == []
    # when: the core system's file says 2,300,000.00 as of 1 January after all, imported twice
    corrected = loans_sample.read_bytes().replace(b"2310000.00,2026-01-01", b"2300000.00,2026-01-01")
    assert corrected != loans_sample.read_bytes()
    assert loans_import(file=corrected, user=None, file_name="loans.csv").ok
    assert loans_import(file=corrected, user=None, file_name="loans.csv").ok
    # then: one migration entry of 10,000.00 on that date; the later postings still count
    true_up = openings.latest("id")
    assert (true_up.amount, true_up.credit_account, true_up.effective_date) == (
        D("10000.00"),
        "principal",
        datetime.date(2026, 1, 1),
    )
    assert openings.count() == 2
    assert Loan.objects.get(loan_number="DK-100001").outstanding_balance == D("2235788.63")
    assert ledger_reconcile() == []


def test_import_transactions_a_repayment_that_leaves_a_later_date_negative_is_a_row_error():
    # given: the ledger already has the loan redeemed in full on 1 March
    make_loan("L-1")
    assert _run(
        HEADER + "D1,L-1,disbursement,2026-01-01,1000,99,,,\nR1,L-1,redemption,2026-03-01,1000,99,,,\n"
    ).ok
    # when: an extra repayment dated before the redemption arrives
    result = _run(HEADER + "X1,L-1,extra_repayment,2026-02-01,500,100,,,\n")
    # then
    assert result.errors == [
        "line 2: amount: leaves less than nothing outstanding on 2026-03-01, "
        "when the ledger already has a later repayment"
    ]
    assert not Posting.objects.filter(external_id="X1").exists()
