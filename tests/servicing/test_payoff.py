"""SRV-1: payoff statements, with a worked example whose figures are written out."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from servicing.ledger import payment_post, posting_create
from servicing.models import PayoffStatement, PostingKind
from servicing.payoff import days_30e_360, payoff_figures, payoff_issue, payoff_pdf

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-01-01", "2026-02-20", 49),  # 30 + 19
        ("2026-01-31", "2026-03-01", 31),  # the 31st counts as the 30th
        ("2026-02-28", "2026-03-31", 32),  # February is 30 days too: 2 + 30
        ("2026-01-01", "2027-01-01", 360),
    ],
)
def test_srv1_day_count_is_30e_360(start, end, days):
    assert days_30e_360(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)) == days


def _worked_example_loan():
    """1,000,000.00 DKK at 4 %, quarterly terms from 1 January 2026, a 250.00 fee unpaid, 1,200.00 in escrow."""
    loan = make_loan(
        "P-1",
        interest_rate=D("4"),
        payments_per_year=4,
        origination_date=datetime.date(2025, 10, 1),
        first_payment_date=datetime.date(2026, 1, 1),
        maturity_date=datetime.date(2055, 10, 1),
    )
    day = datetime.date(2025, 10, 1)
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("1000000"), effective_date=day, price=D("99")
    )
    posting_create(
        loan=loan, kind=PostingKind.FEE, amount=D("250"), effective_date=datetime.date(2026, 1, 15)
    )
    posting_create(loan=loan, kind=PostingKind.ESCROW_DEPOSIT, amount=D("1200"), effective_date=day)
    return loan


def test_srv1_payoff_worked_example():
    # given
    loan = _worked_example_loan()
    # when: asked on 10 February 2026, good through 20 February 2026
    statement = payoff_issue(
        loan=loan,
        as_of=datetime.date(2026, 2, 10),
        good_through=datetime.date(2026, 2, 20),
        user=None,
        requested_by="Borrower by phone",
    )
    # then, written out:
    #   interest accrues from the last interest date, 1 January 2026; 30E/360 days to 20 February: 30 + 19 = 49
    #   accrued interest = 1,000,000.00 × 4 % × 49 / 360 = 5,444.444… → 5,444.44
    #   per diem         = 1,000,000.00 × 4 % / 360      =   111.111… →   111.11
    #   total            = 1,000,000.00 + 0.00 (interest due) + 5,444.44 + 250.00 (fee) − 0.00 = 1,005,694.44
    #   the escrow balance of 1,200.00 is refunded separately
    assert statement.interest_from == datetime.date(2026, 1, 1)
    assert statement.interest_days == 49
    assert statement.principal == D("1000000.00")
    assert statement.accrued_interest == D("5444.44")
    assert statement.per_diem == D("111.11")
    assert statement.fees == D("250.00")
    assert statement.escrow_balance == D("1200.00")
    assert statement.total == D("1005694.44")
    assert (statement.currency, statement.day_count, statement.requested_by) == (
        "DKK",
        "30E/360",
        "Borrower by phone",
    )
    assert PayoffStatement.objects.filter(loan=loan).count() == 1


def test_srv1_payoff_counts_unpaid_interest_and_deducts_unapplied_funds():
    # given: the 1 January term's 10,000.00 interest charged, 4,000.00 paid against it (and the 250.00 fee first)
    loan = _worked_example_loan()
    posting_create(
        loan=loan, kind=PostingKind.INTEREST, amount=D("10000"), effective_date=datetime.date(2026, 1, 1)
    )
    payment_post(
        loan=loan, amount=D("4250"), received_on=datetime.date(2026, 1, 20), external_id="b-1", user=None
    )
    # when
    figures = payoff_figures(
        loan=loan, as_of=datetime.date(2026, 2, 10), good_through=datetime.date(2026, 2, 20)
    )
    # then: 1,000,000.00 + 6,000.00 + 5,444.44 + 0.00 = 1,011,444.44
    assert (figures.interest_due, figures.fees, figures.suspense) == (D("6000.00"), D("0.00"), D("0.00"))
    assert figures.total == D("1011444.44")


def test_srv1_payoff_good_through_before_as_of_is_refused():
    loan = _worked_example_loan()
    with pytest.raises(ValidationError):
        payoff_figures(loan=loan, as_of=datetime.date(2026, 2, 10), good_through=datetime.date(2026, 2, 9))


def test_srv1_payoff_pdf_is_a_pdf():
    # given
    loan = _worked_example_loan()
    statement = payoff_issue(
        loan=loan, as_of=datetime.date(2026, 2, 10), good_through=datetime.date(2026, 2, 20), user=None
    )
    # when
    pdf = payoff_pdf(statement)
    # then
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
