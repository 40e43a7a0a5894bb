"""Scheduled installments are billed into the ledger on their due date (set-based, once), so payments pay them."""

import datetime

import pytest
from django.conf import settings

from servicing.installments import installments_due_post, installments_due_run
from servicing.ledger import ledger_reconcile, loan_balances, payment_post, posting_create
from servicing.models import PaymentNotice, Posting, PostingKind

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 4, 1)


def _notice(loan, *, due_date=DUE, principal="2000.00", interest="3000.00", escrow="500.00"):
    amount = D(principal) + D(interest) + D(escrow)
    return PaymentNotice.objects.create(
        loan=loan,
        period=1,
        due_date=due_date,
        interest_date=due_date,
        currency=loan.currency,
        amount=amount,
        principal=D(principal),
        interest=D(interest),
        fees=D("0"),
        escrow=D(escrow),
        channel="letter",
        language="da",
        business_date=due_date - datetime.timedelta(days=14),
    )


def test_srv1_installments_are_billed_on_their_due_date_once():
    # given: a loan with a notice due 1 April, and one due 1 July
    loan = make_loan("I-1")
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("1000000"),
        effective_date=DUE.replace(month=1),
        price=D("99"),
    )
    _notice(loan)
    _notice(loan, due_date=datetime.date(2026, 7, 1))
    # when: the day before, on the day, and again on the day
    before = installments_due_post(business_date=DUE - datetime.timedelta(days=1))
    on_the_day = installments_due_post(business_date=DUE)
    again = installments_due_post(business_date=DUE)
    # then
    assert before == {"principal": 0, "interest": 0, "escrow": 0}
    assert on_the_day == {"principal": 1, "interest": 1, "escrow": 1}
    assert again == {"principal": 0, "interest": 0, "escrow": 0}
    balances = loan_balances(loan=loan)
    assert (balances.principal_due, balances.interest_due, balances.escrow_due) == (
        D("2000"),
        D("3000"),
        D("500"),
    )
    assert balances.outstanding_principal == D("1000000.00")
    assert Posting.objects.get(kind=PostingKind.INTEREST).external_id == "installment:I-1:2026-04-01:interest"
    assert ledger_reconcile() == []


def test_srv1_a_payment_after_billing_pays_the_installment_by_the_waterfall():
    # given
    loan = make_loan("I-2")
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("1000000"),
        effective_date=DUE.replace(month=1),
        price=D("99"),
    )
    _notice(loan)
    installments_due_run(business_date=DUE)
    # when
    payment_post(loan=loan, amount=D("5500"), received_on=DUE, external_id="bank-1", user=None)
    # then
    balances = loan_balances(loan=loan)
    assert balances.total_due == 0 and balances.escrow == D("500.00") and balances.suspense == 0
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("998000.00")
    assert ledger_reconcile() == []


def test_srv1_installments_job_is_in_the_nightly_schedule():
    assert settings.NIGHTLY_JOBS["installments_due"][0] == "servicing.tasks.installments_due_task"


def test_srv1_no_more_principal_falls_due_than_is_outstanding():
    # given: the notice asked for 2,000 principal, but only 1,500 is left after a partial redemption
    loan = make_loan("I-3")
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("10000"),
        effective_date=DUE.replace(month=1),
        price=D("99"),
    )
    posting_create(
        loan=loan,
        kind=PostingKind.REDEMPTION,
        amount=D("8500"),
        effective_date=DUE.replace(month=2),
        price=D("98"),
    )
    _notice(loan)
    # when
    installments_due_post(business_date=DUE)
    # then
    balances = loan_balances(loan=loan)
    assert (balances.principal, balances.principal_due, balances.interest_due) == (
        0,
        D("1500.00"),
        D("3000.00"),
    )
    assert ledger_reconcile() == []
