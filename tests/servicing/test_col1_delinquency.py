"""Issue 11 item 1: delinquency from the ledger (days past due, amount past due, bucket), set-based, the loan's
collections state kept in step, and export_delinquency."""

import csv
import datetime

import pytest
from django.core.management import call_command

from common.models import ExportLog
from loanregister.models import Loan
from servicing.collections.delinquency import delinquency_as_of, delinquency_refresh, loan_delinquency
from servicing.ledger import posting_create, posting_reverse
from servicing.models import DelinquencyBucket, LoanDelinquency, Posting, PostingKind

from .collections_support import billed_loan, pay, reference_data
from .ledger_support import D

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 3, 2)
day = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _reference():
    reference_data()


def test_col1_a_fresh_database_has_the_four_buckets():
    assert list(DelinquencyBucket.objects.values_list("code", "min_days", "max_days")) == [
        ("1-29", 1, 29),
        ("30-59", 30, 59),
        ("60-89", 60, 89),
        ("90+", 90, None),
    ]


@pytest.mark.parametrize(
    "days, bucket",
    [
        (0, None),
        (1, "1-29"),
        (29, "1-29"),
        (30, "30-59"),
        (59, "30-59"),
        (60, "60-89"),
        (89, "60-89"),
        (90, "90+"),
    ],
)
def test_col1_days_past_due_and_buckets_at_their_edges(days, bucket):
    # given an installment of 5,000.00 billed on its due date and not paid
    loan = billed_loan("C1-EDGE", DUE)
    # when delinquency is read `days` after the due date
    found = loan_delinquency(loan=loan, as_of=DUE + days * day)
    # then
    assert found.oldest_unpaid_due_date == DUE
    assert found.days_past_due == days
    assert found.amount_past_due == D("5000.00")
    assert (found.bucket or None) == bucket


def test_col1_nothing_billed_yet_is_not_delinquent():
    loan = billed_loan("C1-NONE")
    assert loan_delinquency(loan=loan, as_of=DUE) is None


def test_col1_payments_settle_the_oldest_due_date_first():
    # given two installments billed a month apart, and a payment covering the first one and a bit
    second = datetime.date(2026, 4, 1)
    loan = billed_loan("C1-OLD", DUE, second)
    pay(loan, "6000.00", second + 5 * day)
    # then the oldest unpaid due date is the second one, 4,000.00 past due
    found = loan_delinquency(loan=loan, as_of=second + 10 * day)
    assert (found.oldest_unpaid_due_date, found.days_past_due, found.amount_past_due) == (
        second,
        10,
        D("4000.00"),
    )
    # and a payment dated after the as-of date does not count
    before = loan_delinquency(loan=loan, as_of=second + 4 * day)
    assert (before.oldest_unpaid_due_date, before.amount_past_due) == (DUE, D("10000.00"))


def test_col1_a_full_payment_ends_delinquency_and_a_reversed_one_brings_it_back():
    loan = billed_loan("C1-FULL", DUE)
    pay(loan, "5000.00", DUE + 3 * day)
    assert loan_delinquency(loan=loan, as_of=DUE + 10 * day) is None
    payment = Posting.objects.get(loan=loan, kind=PostingKind.PAYMENT)
    posting_reverse(posting=payment, user=None, reason="bounced")
    assert loan_delinquency(loan=loan, as_of=DUE + 10 * day).days_past_due == 10


def test_col1_fees_are_shown_apart_and_never_make_a_loan_delinquent():
    # given a loan whose installment is paid but which owes a late charge
    loan = billed_loan("C1-FEE", DUE)
    pay(loan, "5000.00", DUE)
    posting_create(loan=loan, kind=PostingKind.LATE_CHARGE, amount=D("250"), effective_date=DUE + day)
    # then it is not delinquent
    assert loan_delinquency(loan=loan, as_of=DUE + 40 * day) is None
    # and a delinquent loan shows its fees apart from the amount past due
    other = billed_loan("C1-FEE2", DUE)
    posting_create(loan=other, kind=PostingKind.LATE_CHARGE, amount=D("250"), effective_date=DUE + day)
    found = loan_delinquency(loan=other, as_of=DUE + 40 * day)
    assert (found.amount_past_due, found.fees_due, found.currency) == (D("5000.00"), D("250.00"), "DKK")


def test_col1_buckets_are_reference_data_an_admin_edits():
    loan = billed_loan("C1-ADMIN", DUE)
    DelinquencyBucket.objects.filter(code="1-29").update(max_days=14)
    DelinquencyBucket.objects.filter(code="30-59").update(code="15-59", min_days=15)
    assert loan_delinquency(loan=loan, as_of=DUE + 20 * day).bucket == "15-59"


def test_col1_the_refresh_keeps_the_loans_collections_state_in_step():
    # given one loan behind, one paid, and one of another servicer
    behind = billed_loan("C1-R1", DUE)
    paid = billed_loan("C1-R2", DUE)
    pay(paid, "5000.00", DUE)
    # when the job runs 31 days after the due date
    result = delinquency_refresh(business_date=DUE + 31 * day)
    # then
    assert result["behind"] == 1
    row = LoanDelinquency.objects.get(loan=behind)
    assert (row.days_past_due, row.bucket, row.amount_past_due) == (31, "30-59", D("5000.00"))
    assert Loan.objects.filter(days_past_due=31, in_collections=True).get() == behind
    assert Loan.objects.get(pk=paid.pk).in_collections is False
    # when the loan is paid up and the job runs again
    pay(behind, "5000.00", DUE + 32 * day)
    delinquency_refresh(business_date=DUE + 33 * day)
    assert not LoanDelinquency.objects.exists()
    assert (Loan.objects.get(pk=behind.pk).days_past_due, Loan.objects.get(pk=behind.pk).in_collections) == (
        0,
        False,
    )


def test_col1_only_our_own_servicers_loans():
    from loanregister.models import Servicer

    other = Servicer.objects.create(code="OTHER", name="Other servicer")
    loan = billed_loan("C1-OTHER", DUE, servicer=other)
    assert delinquency_as_of(as_of=DUE + 5 * day, loan_ids=[loan.pk]) == []


def test_col1_export_delinquency_header_order_and_log(tmp_path):
    # given loans 40, 10 and 10 days behind, and one paid
    first = billed_loan("C1-E-B", DUE)
    billed_loan("C1-E-C", DUE + 30 * day)
    billed_loan("C1-E-A", DUE + 30 * day)
    paid = billed_loan("C1-E-D", DUE)
    pay(paid, "5000.00", DUE)
    out = tmp_path / "delinquency.csv"
    # when
    call_command("export_delinquency", "--date", str(DUE + 40 * day), "--format", "csv", "--output", str(out))
    # then
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:5] == [
        "loan_number",
        "oldest_unpaid_due_date",
        "days_past_due",
        "amount_past_due",
        "bucket",
    ]
    assert [row[:5] for row in rows[1:]] == [
        [first.loan_number, str(DUE), "40", "5000.00", "30-59"],
        ["C1-E-A", str(DUE + 30 * day), "10", "5000.00", "1-29"],
        ["C1-E-C", str(DUE + 30 * day), "10", "5000.00", "1-29"],
    ]
    log = ExportLog.objects.get(kind=ExportLog.Kind.DELINQUENCY)
    assert (log.row_count, log.completed, log.filters) == (3, True, {"date": str(DUE + 40 * day)})


def test_col1_export_delinquency_xlsx(tmp_path):
    from openpyxl import load_workbook

    billed_loan("=C1-X", DUE)
    out = tmp_path / "delinquency.xlsx"
    call_command("export_delinquency", "--date", str(DUE + 2 * day), "--format", "xlsx", "--output", str(out))
    sheet = load_workbook(out).active
    rows = list(sheet.values)
    assert rows[0][:5] == (
        "loan_number",
        "oldest_unpaid_due_date",
        "days_past_due",
        "amount_past_due",
        "bucket",
    )
    assert rows[1][0] == "'=C1-X"  # neutralized against spreadsheet formulas
    assert rows[1][2] == 2
