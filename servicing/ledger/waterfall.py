"""Payments (SRV-1): money received is applied by the loan's waterfall, bucket by bucket; the rest is an overpayment.

The order of the buckets and what happens to an overpayment are the admin's, per product (`PaymentWaterfall`);
docs/ledger.md, "Payments: the waterfall".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from loanregister.models import Loan

from ..models import Account, OverpaymentRule, PaymentWaterfall, Posting, PostingKind
from ..models.ledger import DEFAULT_WATERFALL
from .balances import ZERO, Balances, loan_balances
from .idempotency import PostingContent, posting_already_made
from .posting import lock_loan, property_category_of, validate_amount, write_postings


@dataclass
class WaterfallRule:
    buckets: list[str]
    overpayment: str


def waterfall_for(*, loan: Loan) -> WaterfallRule:
    """The admin's rule for the loan's product (loan type), else the admin's default row, else the built-in one."""
    rules = {
        rule.loan_type: rule for rule in PaymentWaterfall.objects.filter(loan_type__in=[loan.loan_type, ""])
    }
    rule = rules.get(loan.loan_type) or rules.get("")
    if rule is None:
        return WaterfallRule(buckets=DEFAULT_WATERFALL.split(","), overpayment=OverpaymentRule.SUSPENSE)
    return WaterfallRule(buckets=rule.buckets, overpayment=rule.overpayment)


@dataclass(frozen=True)
class Application:
    kind: str
    debit_account: str
    credit_account: str
    amount: Decimal
    price: Decimal | None = None


_BUCKETS = {
    # bucket: (what is due on the balances, the application's kind, debit, credit)
    "fees": ("fees_due", PostingKind.FEE_PAID, Account.SUSPENSE, Account.FEES_DUE),
    "interest": ("interest_due", PostingKind.INTEREST_PAID, Account.SUSPENSE, Account.INTEREST_DUE),
    "principal": ("principal_due", PostingKind.PRINCIPAL_PAID, Account.SUSPENSE, Account.PRINCIPAL_DUE),
    "escrow": ("escrow_due", PostingKind.ESCROW_DEPOSIT, Account.SUSPENSE, Account.ESCROW_DUE),
}


def waterfall_split(
    *, amount: Decimal, balances: Balances, rule: WaterfallRule
) -> tuple[list[Application], Decimal]:
    """Split a payment over what is due, bucket by bucket in the rule's order; returns the applications and what
    is left in suspense. The remainder after every bucket is an overpayment: by the rule it stays in suspense, or
    repays principal not yet due (an extra repayment at price 100: cash) up to what is outstanding."""
    remaining = amount
    applications: list[Application] = []
    for bucket in rule.buckets:
        attribute, kind, debit, credit = _BUCKETS[bucket]
        take = min(remaining, max(getattr(balances, attribute), ZERO))
        if take > 0:
            applications.append(Application(kind, debit, credit, take))
            remaining -= take
    if remaining > 0 and rule.overpayment == OverpaymentRule.EXTRA_REPAYMENT:
        take = min(remaining, max(balances.principal, ZERO))
        if take > 0:
            applications.append(
                Application(
                    PostingKind.EXTRA_REPAYMENT, Account.SUSPENSE, Account.PRINCIPAL, take, Decimal(100)
                )
            )
            remaining -= take
    return applications, remaining


def _application_postings(
    applications: list[Application], *, loan: Loan, on: date, parent: Posting | None = None, note: str = ""
) -> list[Posting]:
    return [
        Posting(
            kind=application.kind,
            effective_date=on,
            amount=application.amount,
            debit_account=application.debit_account,
            credit_account=application.credit_account,
            price=application.price,
            property_category=property_category_of(loan),
            note=note,
            parent=parent,
        )
        for application in applications
    ]


@transaction.atomic
def payment_post(
    *, loan: Loan, amount: Decimal, received_on: date, external_id: str | None, user, note: str = ""
) -> list[Posting]:
    """Post money received and apply it by the loan's waterfall (SRV-1). Returns the payment posting followed
    by its applications (fees paid, interest paid, principal paid, escrow, extra repayment); what no bucket
    takes stays in suspense. Idempotent by `external_id` like `posting_create`."""
    amount = validate_amount(amount)
    loan = lock_loan(loan)
    content = PostingContent(loan.pk, PostingKind.PAYMENT, received_on, amount)
    existing = posting_already_made(external_id=external_id, content=content)
    if existing is not None:
        return [existing, *existing.applications.order_by("id")]
    balances = loan_balances(loan=loan, as_of=received_on)
    applications, _suspense = waterfall_split(amount=amount, balances=balances, rule=waterfall_for(loan=loan))
    payment = Posting(
        kind=PostingKind.PAYMENT,
        effective_date=received_on,
        amount=amount,
        debit_account=Account.CASH,
        credit_account=Account.SUSPENSE,
        property_category=property_category_of(loan),
        external_id=external_id or None,
        note=note,
    )
    postings = [payment, *_application_postings(applications, loan=loan, on=received_on, parent=payment)]
    return write_postings(loan, postings, user=user)


def suspense_can_be_applied(balances: Balances) -> bool:
    """SRV-1: money held in suspense can pay what has fallen due (both are there)."""
    return balances.suspense > 0 and balances.total_due > 0


@transaction.atomic
def suspense_apply(*, loan: Loan, on: date, user) -> list[Posting]:
    """Apply money held in suspense (an early payment, an overpayment) to what has fallen due since, by the
    loan's waterfall, as of `on`. The overpayment rule does not apply: what no bucket takes stays in suspense.
    Posts nothing where `suspense_can_be_applied` says no."""
    loan = lock_loan(loan)
    balances = loan_balances(loan=loan, as_of=on)
    if not suspense_can_be_applied(balances):
        return []
    rule = waterfall_for(loan=loan)
    applications, _rest = waterfall_split(
        amount=balances.suspense,
        balances=balances,
        rule=WaterfallRule(rule.buckets, OverpaymentRule.SUSPENSE),
    )
    postings = _application_postings(applications, loan=loan, on=on, note=_("Applied from unapplied money"))
    return write_postings(loan, postings, user=user)
