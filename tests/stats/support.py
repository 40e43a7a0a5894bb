"""Helpers for the statistics tests: loans on properties, and postings through the ledger's own services."""

import datetime
from decimal import Decimal

from loanregister.models import Borrower, Loan, Property, Servicer
from servicing.ledger import installment_due_post, posting_create, property_category_change_post

D = datetime.date


def prop(code: str, category: str = "owner_occupied") -> Property:
    return Property.objects.get_or_create(
        property_id=f"BFE-{code}", defaults={"category": category, "address": f"Vej {code}"}
    )[0]


def loan(
    number: str, *, on: Property | None, loan_type: str = "fixed", currency: str = "DKK", **fields
) -> Loan:
    servicer, _ = Servicer.objects.get_or_create(code="OWN", defaults={"name": "Own", "is_own": True})
    values = dict(
        borrower=Borrower.objects.create(name=f"Borrower {number}"),
        property=on,
        servicer=servicer,
        servicer_since=D(2020, 1, 1),
        loan_type=loan_type,
        currency=currency,
        principal=Decimal("1000000.00"),
        outstanding_balance=Decimal("0.00"),
        interest_rate=Decimal("4"),
        origination_date=D(2015, 1, 1),
        maturity_date=D(2050, 1, 1),
    )
    values.update(fields)
    return Loan.objects.create(loan_number=number, **values)


def post(the_loan: Loan, kind: str, amount: str, on: datetime.date, price: str | None = None, **kw):
    return posting_create(
        loan=the_loan,
        kind=kind,
        amount=Decimal(amount),
        effective_date=on,
        price=Decimal(price) if price is not None else None,
        **kw,
    )


OPENING_DATE = D(2020, 1, 1)


def opening(the_loan: Loan, amount: str, on: datetime.date = OPENING_DATE):
    return post(the_loan, "opening_balance", amount, on)


def bill(the_loan: Loan, interest_date: datetime.date, principal: str, due: datetime.date | None = None):
    return installment_due_post(
        loan=the_loan,
        due_date=due or interest_date,
        principal=Decimal(principal),
        interest=Decimal("0"),
        external_id=f"installment:{the_loan.loan_number}:{interest_date.isoformat()}",
    )


def category_change(the_loan: Loan, category: str, on: datetime.date, external_id: str | None = None):
    return property_category_change_post(
        loan=the_loan, category=category, effective_date=on, external_id=external_id
    )
