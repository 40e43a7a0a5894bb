"""Concurrent postings to one loan cannot corrupt its balance (docs/requirements.md §4; lock the loan row).

Real PostgreSQL, real transactions: each thread has its own database connection, and the two payments are
released at the same moment by a barrier.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from servicing.ledger import (
    installment_due_post,
    ledger_reconcile,
    loan_balances,
    payment_post,
    posting_create,
)
from servicing.models import OverpaymentRule, PaymentWaterfall, Posting, PostingKind

from .ledger_support import D, make_loan

DAY = datetime.date(2026, 3, 1)


def _run_at_once(*calls) -> list[BaseException]:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            call()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_srv4_two_payments_at_the_same_moment_leave_the_right_balance():
    # given: 1,000,000 outstanding, 3,000 interest and 2,000 principal due; overpayments repay principal
    PaymentWaterfall.objects.create(loan_type="", overpayment=OverpaymentRule.EXTRA_REPAYMENT)
    loan = make_loan("C-1")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("1000000"), effective_date=DAY, price=D("100")
    )
    installment_due_post(loan=loan, due_date=DAY, principal=D("2000"), interest=D("3000"), external_id="c1")

    # when: two payments of 4,000 arrive at once, each on its own connection
    def pay(reference: str):
        return lambda: payment_post(
            loan=loan, amount=D("4000"), received_on=DAY, external_id=reference, user=None
        )

    errors = _run_at_once(pay("bank-A"), pay("bank-B"))

    # then: the second saw what the first applied: 3,000 interest + 2,000 principal due + 3,000 extra repayment
    assert errors == []
    loan.refresh_from_db()
    balances = loan_balances(loan=loan)
    assert (balances.interest_due, balances.principal_due, balances.suspense) == (0, 0, 0)
    assert loan.outstanding_balance == D("1000000.00") - D("2000.00") - D("3000.00")
    assert balances.outstanding_principal == loan.outstanding_balance
    assert Posting.objects.filter(kind=PostingKind.INTEREST_PAID).count() == 1
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_srv4_the_same_transaction_posted_twice_at_once_posts_once():
    # given
    loan = make_loan("C-2")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("5000"), effective_date=DAY, price=D("100")
    )

    # when: the same bank transaction is posted by two workers at once
    def repay():
        posting_create(
            loan=loan,
            kind=PostingKind.EXTRA_REPAYMENT,
            amount=D("5000"),
            effective_date=DAY,
            price=D("100"),
            external_id="dup-1",
        )

    errors = _run_at_once(repay, repay)

    # then
    assert errors == []
    loan.refresh_from_db()
    assert loan.outstanding_balance == Decimal("0.00")
    assert Posting.objects.filter(external_id="dup-1").count() == 1
    assert ledger_reconcile() == []
