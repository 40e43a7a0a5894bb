"""Test helpers for collections: a loan with the ledger's own postings (a disbursement, payment notices billed by
the nightly installment job, payments through import_transactions), and the fresh database's reference data."""

import datetime
import importlib
import itertools
from decimal import Decimal

from django.apps import apps as django_apps

from servicing.installments import installments_due_post
from servicing.ledger import posting_create
from servicing.models import PaymentNotice, PostingKind
from servicing.transaction_import import transactions_import

from .ledger_support import D, make_loan

_defaults = importlib.import_module("servicing.migrations.0015_collections_defaults")
_tx = itertools.count(1)


def reference_data() -> None:
    """The buckets and the ladder of a fresh database (a transactional test's flush removes them)."""
    _defaults.load_reference_data(django_apps)


def notice(
    loan, due_date: datetime.date, *, principal="2000.00", interest="3000.00", escrow="0.00"
) -> PaymentNotice:
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
        channel="email" if loan.borrower.email else "letter",
        recipient=loan.borrower.email,
        language=loan.borrower.preferred_language or "da",
        business_date=due_date - datetime.timedelta(days=14),
    )


def billed_loan(number: str, *due_dates: datetime.date, email: str = "", language: str = "da", **fields):
    """A disbursed loan with a 5,000.00 installment billed (by the nightly job) on each due date."""
    loan = make_loan(number, **fields)
    loan.borrower.email = email
    loan.borrower.preferred_language = language
    loan.borrower.save()
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("1000000"),
        effective_date=datetime.date(2025, 1, 1),
        price=D("100"),
    )
    for due in due_dates:
        notice(loan, due)
        installments_due_post(business_date=due)
    return loan


def pay(loan, amount: str, on: datetime.date) -> None:
    """A payment through import_transactions, as the bank's file brings it."""
    tx = f"COL-TX-{next(_tx)}-{loan.loan_number}-{on}"
    text = f"transaction_id,loan_number,kind,date,amount\n{tx},{loan.loan_number},payment,{on},{amount}\n"
    result = transactions_import(file=text.encode(), user=None, file_name="payments.csv")
    assert result.ok, result


def money(value: str) -> Decimal:
    return Decimal(value)
