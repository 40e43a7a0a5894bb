"""Writing the ledger (SRV-1, SRV-4): the one way a posting is written, and the services that post.

Every posting is written by `write_postings` (row by row, for the services) or `postings_insert_select` (set-based,
for the nightly billing and the opening balances). `write_postings` runs with the loan's row locked
(`lock_loan`, `select_for_update`), so two postings to one loan at the same moment run one after the other, and
it moves the cached `Loan.outstanding_balance` in the same transaction: this module is the only writer of that
field (docs/ledger.md, "Who owns the loan's cached facts"). The accounts each kind moves between are in
`KIND_ACCOUNTS`; docs/ledger.md explains them.

Payments and what the waterfall does with them are in `waterfall.py`; opening balances in `opening.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from loanregister.choices import LoanStatus
from loanregister.models import Loan
from loanregister.services import loan_status_set, register_events_sync

from ..models import Account, Posting, PostingKind, PropertyCategoryChange, category_in_force
from .balances import CENT, PRINCIPAL_ACCOUNTS, ZERO, account_sums, principal_effect
from .idempotency import PostingContent, posted_amount, posting_already_made

# Default (debit account, credit account) of each kind. A posting may name other accounts where the same kind
# moves differently: a waterfall's escrow part pays ESCROW_DUE out of SUSPENSE, a direct escrow deposit is CASH.
KIND_ACCOUNTS: dict[str, tuple[str, str]] = {
    PostingKind.OPENING_BALANCE: (Account.PRINCIPAL, Account.OPENING),
    PostingKind.DISBURSEMENT: (Account.PRINCIPAL, Account.CASH),
    PostingKind.SCHEDULED_PAYMENT_DUE: (Account.PRINCIPAL_DUE, Account.PRINCIPAL),
    PostingKind.INTEREST: (Account.INTEREST_DUE, Account.INTEREST_INCOME),
    PostingKind.FEE: (Account.FEES_DUE, Account.FEE_INCOME),
    PostingKind.LATE_CHARGE: (Account.FEES_DUE, Account.FEE_INCOME),
    PostingKind.ESCROW_DUE: (Account.ESCROW_DUE, Account.ESCROW),
    PostingKind.PAYMENT: (Account.CASH, Account.SUSPENSE),
    PostingKind.FEE_PAID: (Account.SUSPENSE, Account.FEES_DUE),
    PostingKind.INTEREST_PAID: (Account.SUSPENSE, Account.INTEREST_DUE),
    PostingKind.PRINCIPAL_PAID: (Account.SUSPENSE, Account.PRINCIPAL_DUE),
    PostingKind.ESCROW_DEPOSIT: (Account.CASH, Account.ESCROW),
    PostingKind.ESCROW_DISBURSEMENT: (Account.ESCROW, Account.CASH),
    PostingKind.SCHEDULED_REPAYMENT: (Account.CASH, Account.PRINCIPAL),
    PostingKind.EXTRA_REPAYMENT: (Account.CASH, Account.PRINCIPAL),
    PostingKind.REDEMPTION: (Account.CASH, Account.PRINCIPAL),
    PostingKind.WRITE_OFF: (Account.WRITE_OFF, Account.PRINCIPAL),
    PostingKind.PROPERTY_CATEGORY_CHANGE: (Account.MEMO, Account.MEMO),
}
# Kinds that carry a bond price (kurs): STAT-1, STAT-2.
PRICED_KINDS = {PostingKind.DISBURSEMENT, PostingKind.REDEMPTION, PostingKind.EXTRA_REPAYMENT}
# Kinds that are never reversed: a reversal (post the movement again), a category change (post a new one).
_NOT_REVERSIBLE = {PostingKind.REVERSAL, PostingKind.PROPERTY_CATEGORY_CHANGE}

# The status history's reasons when the ledger moves a loan between active and paid off (data, not messages).
PAID_OFF_REASON = "ledger: nothing outstanding"
REOPENED_REASON = "ledger: outstanding again"


# ---------------------------------------------------------------- the loan's lock and the register


def lock_loan(loan: Loan) -> Loan:
    """Take the loan's row lock for the rest of the transaction and return it fresh from the database."""
    return Loan.objects.select_for_update(of=("self",)).select_related("property").get(pk=loan.pk)


# Inside `ledger_batch()` the register sync waits for the end of the batch: one set-based sync for all loans.
_batch_loans: ContextVar[set[int] | None] = ContextVar("ledger_batch_loans", default=None)


@contextmanager
def ledger_batch() -> Iterator[None]:
    """Post many transactions (an import) and sync the register once, for every loan touched, at the end."""
    loans: set[int] = set()
    token = _batch_loans.set(loans)
    try:
        yield
    finally:
        _batch_loans.reset(token)
    if loans:
        register_events_sync(loan_ids=loans)


def _register_sync(loan: Loan) -> None:
    batch = _batch_loans.get()
    if batch is None:
        register_events_sync(loan_ids=[loan.pk])
    else:
        batch.add(loan.pk)


# ---------------------------------------------------------------- the one way a posting is written


def _apply_to_loan(loan: Loan, delta: Decimal, *, user, status_follows: bool) -> None:
    """Move the cached balance with the ledger (same transaction) and keep the status and register in step.

    Paid off when nothing is outstanding any more; a reversal of that payoff makes it active again (through
    `loan_status_set`, which records the change in the loan's history). A migration entry (`status_follows`
    False) moves the balance only: the loan file says the status.
    """
    if not delta:
        return
    new_balance = loan.outstanding_balance + delta
    if new_balance < 0:
        raise ValidationError(
            {
                "amount": _("This is more than the %(balance)s %(currency)s outstanding on the loan.")
                % {"balance": loan.outstanding_balance, "currency": loan.currency}
            }
        )
    Loan.objects.filter(pk=loan.pk).update(outstanding_balance=F("outstanding_balance") + delta)
    loan.outstanding_balance = new_balance
    if status_follows and new_balance == 0 and loan.status == LoanStatus.ACTIVE:
        loan_status_set(loan=loan, status=LoanStatus.PAID_OFF, user=user, reason=PAID_OFF_REASON)
    elif status_follows and new_balance > 0 and loan.status == LoanStatus.PAID_OFF:
        loan_status_set(loan=loan, status=LoanStatus.ACTIVE, user=user, reason=REOPENED_REASON)
    _register_sync(loan)


def write_postings(
    loan: Loan, postings: Sequence[Posting], *, user=None, status_follows: bool = True
) -> list[Posting]:
    """Write postings of one loan, locked by the caller (`lock_loan`), in order (a posting's parent before it),
    and move the loan's cached balance by their effect on the outstanding principal."""
    delta = ZERO
    for posting in postings:
        posting.loan = loan
        posting.currency = posting.currency or loan.currency
        posting.created_by = posting.created_by or (user if getattr(user, "pk", None) else None)
        posting.save()
        delta += principal_effect(posting.debit_account, posting.credit_account, posting.amount)
    _apply_to_loan(loan, delta, user=user, status_follows=status_follows)
    return list(postings)


# The columns of a set-based insert, in the order its SELECT gives them.
POSTING_COLUMNS = (
    "loan_id, kind, effective_date, amount, currency, debit_account, credit_account, price, property_category, "
    "payee, note, external_id, parent_id, reverses_id, created_at, created_by_id"
)


def postings_insert_select(select_sql: str, params: Sequence) -> int:
    """Insert the rows of a SELECT (its columns are `POSTING_COLUMNS`) as postings, set-based; an external id
    already posted is skipped (`ON CONFLICT (external_id) DO NOTHING`). Returns how many were inserted.

    Only for movements that leave the cached balances right without a write: ones that do not change the
    outstanding principal (the nightly billing), or opening balances equal to the balance the loans already cache.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO servicing_posting ({POSTING_COLUMNS})\n{select_sql}\nON CONFLICT (external_id) DO NOTHING",
            params,
        )
        return cursor.rowcount


# ---------------------------------------------------------------- checks


def validate_amount(amount: Decimal, *, allow_zero: bool = False) -> Decimal:
    amount = Decimal(amount)
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Amounts have at most two decimals.")})
    amount = amount.quantize(CENT)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    return amount


def property_category_of(loan: Loan) -> str:
    return loan.property.category if loan.property_id else ""


def _refuse_overdraw(*, loan: Loan, account: str, amount: Decimal) -> None:
    balance = account_sums([loan.pk], None).get(loan.pk, {}).get(account, ZERO)
    if amount > balance:
        raise ValidationError(
            {
                "amount": _("This is more than the %(balance)s %(currency)s on %(account)s.")
                % {"balance": balance, "currency": loan.currency, "account": Account(account).label}
            }
        )


def _principal_parts(*, loan: Loan, kind: str, amount: Decimal) -> list[tuple[str, Decimal]]:
    """Which principal account(s) a repayment credits, so that neither goes below zero: a scheduled repayment
    pays principal due first, a redemption, extra repayment or write-off principal not yet due first. Refused
    when it is more than both (more than is outstanding)."""
    sums = account_sums([loan.pk], None).get(loan.pk, {})
    order = (
        [Account.PRINCIPAL_DUE, Account.PRINCIPAL]
        if kind == PostingKind.SCHEDULED_REPAYMENT
        else [Account.PRINCIPAL, Account.PRINCIPAL_DUE]
    )
    parts, remaining = [], amount
    for account in order:
        take = min(remaining, max(sums.get(account, ZERO), ZERO))
        if take > 0:
            parts.append((account, take))
            remaining -= take
    if remaining > 0:
        raise ValidationError(
            {
                "amount": _("This is more than the %(balance)s %(currency)s outstanding on the loan.")
                % {"balance": amount - remaining, "currency": loan.currency}
            }
        )
    return parts


# ---------------------------------------------------------------- services


@transaction.atomic
def posting_create(
    *,
    loan: Loan,
    kind: str,
    amount: Decimal,
    effective_date: date,
    external_id: str | None = None,
    price: Decimal | None = None,
    note: str = "",
    user=None,
    reverses: Posting | None = None,
    payee: str = "",
    accounts: tuple[str, str] | None = None,
    parent: Posting | None = None,
) -> Posting:
    """Post one movement to a loan's ledger (locks the loan). Idempotent by `external_id`: the same id with the
    same content returns the posting already made; with other content it is refused.

    Payments go through `payment_post` (the waterfall), reversals through `posting_reverse`, a property category
    change through `property_category_change_post`.
    """
    if reverses is not None:
        return posting_reverse(posting=reverses, user=user, reason=note, effective_date=effective_date)
    if kind not in KIND_ACCOUNTS or kind in (PostingKind.PAYMENT, PostingKind.PROPERTY_CATEGORY_CHANGE):
        raise ValidationError({"kind": _("Post this kind with its own service, not posting_create.")})
    amount = validate_amount(amount)
    if price is not None and price <= 0:
        raise ValidationError({"price": _("The price must be more than zero.")})
    if kind in PRICED_KINDS and price is None:
        raise ValidationError({"price": _("A %(kind)s needs the bond price (kurs).") % {"kind": kind}})
    debit, credit = accounts or KIND_ACCOUNTS[kind]
    loan = lock_loan(loan)
    content = PostingContent(loan.pk, kind, effective_date, amount, price)
    existing = posting_already_made(external_id=external_id, content=content)
    if existing is not None:
        return existing
    if credit in PRINCIPAL_ACCOUNTS and debit not in PRINCIPAL_ACCOUNTS and accounts is None:
        parts = _principal_parts(loan=loan, kind=kind, amount=amount)
    else:
        if credit in PRINCIPAL_ACCOUNTS:
            _refuse_overdraw(loan=loan, account=credit, amount=amount)
        parts = [(credit, amount)]
    postings: list[Posting] = []
    for part_credit, part_amount in parts:
        postings.append(
            Posting(
                kind=kind,
                effective_date=effective_date,
                amount=part_amount,
                debit_account=debit,
                credit_account=part_credit,
                price=price,
                property_category=property_category_of(loan),
                payee=payee,
                note=note,
                # The first part is the posting; a second part is made with it and reversed with it.
                external_id=(external_id or None) if not postings else None,
                parent=parent if not postings else postings[0],
            )
        )
    return write_postings(loan, postings, user=user)[0]


def posting_can_be_reversed(posting: Posting, *, is_reversed: bool | None = None) -> bool:
    """SRV-4: a mistake is corrected by reversing the posting, once. Not a reversal (post the movement again),
    not a category change (post a new one), not one application of a payment (reverse the payment).

    `is_reversed`: whether a reversal of it exists, when the caller knows it (a page of postings reads them in
    one query); else it is looked up.
    """
    if posting.kind in _NOT_REVERSIBLE or posting.parent_id is not None:
        return False
    if is_reversed is None:
        is_reversed = Posting.objects.filter(reverses=posting).exists()
    return not is_reversed


@transaction.atomic
def posting_reverse(*, posting: Posting, user, reason: str, effective_date: date | None = None) -> Posting:
    """Correct a mistake (SRV-4): a reversing posting, same amount, accounts swapped, dated like the original
    unless told otherwise, so balances as of any date are restored. A payment is reversed with every application
    of its waterfall. Returns the reversal of `posting`. Refused where `posting_can_be_reversed` says no."""
    loan = lock_loan(posting.loan)
    posting = Posting.objects.get(pk=posting.pk)
    if not posting_can_be_reversed(posting):
        if posting.kind == PostingKind.REVERSAL:
            raise ValidationError(_("A reversal cannot be reversed: post the movement again instead."))
        if posting.kind == PostingKind.PROPERTY_CATEGORY_CHANGE:
            raise ValidationError(_("Post a new property category change instead."))
        if posting.parent_id is not None:
            raise ValidationError(_("This is part of a payment: reverse the payment."))
        raise ValidationError(_("This posting has already been reversed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    originals = [*posting.applications.order_by("-id"), posting]
    reversals = [
        Posting(
            kind=PostingKind.REVERSAL,
            effective_date=effective_date or original.effective_date,
            amount=original.amount,
            currency=original.currency,
            debit_account=original.credit_account,
            credit_account=original.debit_account,
            price=original.price,
            property_category=original.property_category,
            payee=original.payee,
            note=reason[:500],
            reverses=original,
        )
        for original in originals
    ]
    return write_postings(loan, reversals, user=user)[-1]


@transaction.atomic
def installment_due_post(
    *,
    loan: Loan,
    due_date: date,
    principal: Decimal,
    interest: Decimal,
    escrow: Decimal = ZERO,
    external_id: str,
    user=None,
) -> list[Posting]:
    """Bill one scheduled installment: its principal falls due, its interest is charged, its escrow part billed.
    Idempotent by `external_id` (each part gets `<external_id>:principal|interest|escrow`)."""
    parts = [
        (PostingKind.SCHEDULED_PAYMENT_DUE, principal, "principal"),
        (PostingKind.INTEREST, interest, "interest"),
        (PostingKind.ESCROW_DUE, escrow, "escrow"),
    ]
    return [
        posting_create(
            loan=loan,
            kind=kind,
            amount=amount,
            effective_date=due_date,
            external_id=f"{external_id}:{suffix}",
            user=user,
        )
        for kind, amount, suffix in parts
        if amount and amount > 0
    ]


@transaction.atomic
def property_category_change_post(
    *,
    loan: Loan,
    category: str,
    effective_date: date,
    external_id: str | None = None,
    user=None,
    note: str = "",
) -> Posting:
    """STAT-9: the property's category changes from `effective_date` on. The ledger keeps a zero-amount memo
    posting naming the new category (the old one in its note), and the property's history gets a
    `PropertyCategoryChange` with its effective date, which the statistics read to place every flow from that date
    on in the new category, also flows posted before the change was."""
    loan = lock_loan(loan)
    if not loan.property_id:
        raise ValidationError({"property_category": _("The loan has no property.")})
    kind = PostingKind.PROPERTY_CATEGORY_CHANGE
    content = PostingContent(loan.pk, kind, effective_date, ZERO, property_category=category)
    existing = posting_already_made(external_id=external_id, content=content)
    if existing is not None:
        return existing
    previous = category_in_force(loan.property, effective_date - timedelta(days=1))
    posting = Posting(
        kind=kind,
        effective_date=effective_date,
        amount=ZERO,
        debit_account=Account.MEMO,
        credit_account=Account.MEMO,
        property_category=category,
        note=note or f"{previous} -> {category}",
        external_id=external_id or None,
    )
    write_postings(loan, [posting], user=user)
    # The history with its effective date is what the statistics read (STAT-9); the property's own field is the
    # category of its latest change, so a change dated before one already made does not undo the newer one.
    PropertyCategoryChange.objects.create(
        property_id=loan.property_id,
        effective_date=effective_date,
        category=category,
        previous_category=previous,
        posting=posting,
    )
    latest = (
        PropertyCategoryChange.objects.filter(property_id=loan.property_id)
        .order_by("-effective_date", "-id")
        .values_list("category", flat=True)
        .first()
    )
    type(loan.property).objects.filter(pk=loan.property_id).update(category=latest)
    return posting


__all__ = [
    "KIND_ACCOUNTS",
    "POSTING_COLUMNS",
    "PRICED_KINDS",
    "installment_due_post",
    "ledger_batch",
    "lock_loan",
    "posted_amount",
    "posting_can_be_reversed",
    "posting_create",
    "posting_reverse",
    "postings_insert_select",
    "property_category_change_post",
    "validate_amount",
    "write_postings",
]
