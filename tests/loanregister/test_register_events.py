import datetime
from decimal import Decimal

import pytest

from loanregister.choices import LoanStatus
from loanregister.models import Borrower, Loan, RegisterEvent, Servicer
from loanregister.services import register_events_sync

pytestmark = pytest.mark.django_db


def _loan(number: str, **fields) -> Loan:
    servicer, _ = Servicer.objects.get_or_create(code="OWN", defaults={"name": "Own", "is_own": True})
    defaults = dict(
        borrower=Borrower.objects.create(name=f"Borrower {number}"),
        servicer=servicer,
        servicer_since=datetime.date(2020, 1, 1),
        loan_type="adjustable",
        principal=Decimal("1000000"),
        interest_rate=Decimal("4"),
        origination_date=datetime.date(2020, 1, 1),
        maturity_date=datetime.date(2050, 1, 1),
    )
    defaults.update(fields)
    return Loan.objects.create(loan_number=number, **defaults)


def test_reg3_each_dated_event_of_an_active_loan_is_in_the_register():
    # given
    loan = _loan(
        "L1", rate_reset_date=datetime.date(2027, 1, 1), interest_only_until=datetime.date(2030, 1, 1)
    )
    # when
    register_events_sync(loan_ids=[loan.id])
    # then
    events = {(e.kind, e.event_date) for e in RegisterEvent.objects.filter(loan=loan)}
    assert events == {
        ("maturity", datetime.date(2050, 1, 1)),
        ("rate_reset", datetime.date(2027, 1, 1)),
        ("interest_only_end", datetime.date(2030, 1, 1)),
    }


def test_reg1_sync_keeps_unchanged_events_and_drops_inactive_loans():
    # given
    loan = _loan("L1", rate_reset_date=datetime.date(2027, 1, 1))
    register_events_sync()
    maturity_id = RegisterEvent.objects.get(loan=loan, kind="maturity").id
    # when the reset date goes away
    Loan.objects.filter(pk=loan.pk).update(rate_reset_date=None)
    register_events_sync(loan_ids=[loan.id])
    # then the maturity event keeps its row and the reset is gone
    assert list(RegisterEvent.objects.filter(loan=loan).values_list("id", "kind")) == [
        (maturity_id, "maturity")
    ]
    # when the loan is paid off it leaves the register
    Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.PAID_OFF)
    register_events_sync()
    assert not RegisterEvent.objects.filter(loan=loan).exists()
