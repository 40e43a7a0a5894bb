"""Helpers for the escrow, transfer, document and recovery tests: loans with a property in a jurisdiction."""

import datetime
from decimal import Decimal

from loanregister.models import Borrower, Loan, Property, Servicer
from servicing.ledger import posting_create
from servicing.models import PostingKind


def servicer(code: str = "OWN", name: str = "Own Servicing A/S") -> Servicer:
    # update: OWN is migration 0010's own servicer, named here as the test needs
    return Servicer.objects.update_or_create(code=code, defaults={"name": name, "is_own": code == "OWN"})[0]


def make_loan(number: str = "L-1", *, jurisdiction: str = "DK", language: str = "da", **fields) -> Loan:
    prop, _ = Property.objects.get_or_create(
        property_id=f"BFE-{number}",
        defaults={"category": "owner_occupied", "address": f"Vej {number}", "jurisdiction": jurisdiction},
    )
    defaults = dict(
        borrower=Borrower.objects.create(
            name=f"Borrower {number}", email=f"{number.lower()}@example.dk", preferred_language=language
        ),
        property=prop,
        servicer=servicer(),
        servicer_since=datetime.date(2020, 1, 1),
        loan_type="fixed",
        principal=Decimal("1000000.00"),
        interest_rate=Decimal("4"),
        origination_date=datetime.date(2020, 1, 1),
        maturity_date=datetime.date(2050, 1, 1),
    )
    defaults.update(fields)
    return Loan.objects.create(loan_number=number, **defaults)


def disburse(loan: Loan, amount: str, on: datetime.date = datetime.date(2020, 1, 1)) -> None:
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=Decimal(amount),
        effective_date=on,
        price=Decimal("100"),
        external_id=f"disb:{loan.loan_number}",
    )
    loan.refresh_from_db()
