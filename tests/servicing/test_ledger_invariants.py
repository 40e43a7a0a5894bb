"""SRV-4 invariants (TigerBeetle's, FIELD-NOTES) over random sequences of postings: the trial balance is zero, the
cached balance agrees with the ledger, nothing owed goes negative, and reversing everything restores zero."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicing.ledger import (
    installment_due_post,
    ledger_reconcile,
    ledger_trial_balance,
    loan_balances,
    payment_post,
    posting_create,
    posting_reverse,
)
from servicing.models import OverpaymentRule, PaymentWaterfall, Posting, PostingKind

from .ledger_support import make_loan

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 1)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("fee"), amounts),
        st.tuples(st.just("installment"), amounts, amounts),
        st.tuples(st.just("payment"), amounts),
        st.tuples(st.just("extra_repayment"), amounts),
        st.tuples(st.just("escrow_deposit"), amounts),
        st.tuples(st.just("reverse_last")),
    ),
    min_size=1,
    max_size=12,
)


class _Rollback(Exception):
    pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations, extra=st.booleans())
def test_srv4_ledger_invariants_hold_for_any_sequence(operations, extra):
    try:
        with transaction.atomic():
            _check(operations, extra)
            raise _Rollback  # each example starts from an empty database
    except _Rollback:
        pass


def _check(operations, extra_repayment_rule):
    # given
    if extra_repayment_rule:
        PaymentWaterfall.objects.create(loan_type="", overpayment=OverpaymentRule.EXTRA_REPAYMENT)
    loan = make_loan("H-1")
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=Decimal("100000"),
        effective_date=DAY,
        price=Decimal("98"),
    )
    # when
    for number, operation in enumerate(operations):
        kind = operation[0]
        try:
            if kind == "fee":
                posting_create(loan=loan, kind=PostingKind.FEE, amount=operation[1], effective_date=DAY)
            elif kind == "installment":
                installment_due_post(
                    loan=loan,
                    due_date=DAY,
                    principal=operation[1],
                    interest=operation[2],
                    external_id=f"i{number}",
                )
            elif kind == "payment":
                payment_post(
                    loan=loan, amount=operation[1], received_on=DAY, external_id=f"p{number}", user=None
                )
            elif kind == "extra_repayment":
                posting_create(
                    loan=loan,
                    kind=PostingKind.EXTRA_REPAYMENT,
                    amount=operation[1],
                    effective_date=DAY,
                    price=Decimal("100"),
                )
            elif kind == "escrow_deposit":
                posting_create(
                    loan=loan, kind=PostingKind.ESCROW_DEPOSIT, amount=operation[1], effective_date=DAY
                )
            else:
                last = (
                    Posting.objects.filter(loan=loan, parent__isnull=True, reversed_by__isnull=True)
                    .exclude(kind=PostingKind.REVERSAL)
                    .order_by("-id")
                    .first()
                )
                if last is not None:
                    posting_reverse(posting=last, user=None, reason="test")
        except ValidationError:
            pass  # refused (more than outstanding): the ledger must be as before, checked below
        # then, after every step
        balances = loan_balances(loan=loan)
        assert sum(ledger_trial_balance().values()) == 0
        assert ledger_reconcile() == []
        assert min(balances.principal, balances.principal_due, balances.interest_due, balances.fees_due) >= 0
        assert balances.suspense >= 0
    # and reversing everything that is not reversed leaves nothing at all
    for posting in (
        Posting.objects.filter(loan=loan, parent__isnull=True, reversed_by__isnull=True)
        .exclude(kind=PostingKind.REVERSAL)
        .order_by("-id")
    ):
        posting_reverse(posting=posting, user=None, reason="unwind")
    assert all(value == 0 for value in ledger_trial_balance().values())
    loan.refresh_from_db()
    assert loan.outstanding_balance == 0
