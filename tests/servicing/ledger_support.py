"""Test helpers for the ledger tests: a loan with a property, and its ledger-derived figures."""

import datetime
from decimal import Decimal

from loanregister.models import Borrower, Loan, Property, Servicer


def make_loan(number: str = "L-1", *, category: str = "owner_occupied", **fields) -> Loan:
    servicer, _ = Servicer.objects.get_or_create(code="OWN", defaults={"name": "Own", "is_own": True})
    prop, _ = Property.objects.get_or_create(
        property_id=f"BFE-{number}", defaults={"category": category, "address": f"Vej {number}"}
    )
    defaults = dict(
        borrower=Borrower.objects.create(name=f"Borrower {number}"),
        property=prop,
        servicer=servicer,
        servicer_since=datetime.date(2020, 1, 1),
        loan_type="fixed",
        principal=Decimal("1000000.00"),
        outstanding_balance=Decimal("0.00"),
        interest_rate=Decimal("4"),
        origination_date=datetime.date(2020, 1, 1),
        maturity_date=datetime.date(2050, 1, 1),
    )
    defaults.update(fields)
    return Loan.objects.create(loan_number=number, **defaults)


def D(value: str) -> Decimal:
    return Decimal(value)
