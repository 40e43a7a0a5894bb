"""The ledger's services (SRV-1, SRV-4): post, apply payments by the waterfall, reverse, read balances, reconcile.

Every write locks the loan's row first (`select_for_update`), so two postings to one loan at the same moment run
one after the other, and the cached `Loan.outstanding_balance` is changed by the same transaction as the postings
that change it. The accounts each kind moves between are in `KIND_ACCOUNTS`; docs/ledger.md explains them.

Stable API used by the other servicing modules (escrow, recovery, notices):
    posting_create, payment_post, posting_reverse, installment_due_post, loan_balances, ledger_balances,
    ledger_reconcile, opening_balances_post, waterfall_for, waterfall_split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from loanregister.choices import LoanStatus
from loanregister.models import Loan
from loanregister.services import register_events_sync

from .models import (
    Account,
    OverpaymentRule,
    PaymentWaterfall,
    Posting,
    PostingKind,
)
from .models.ledger import DEFAULT_WATERFALL

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_CHUNK = 5000

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
# The accounts that together are the loan's outstanding principal (nominal bond debt, STAT-6).
PRINCIPAL_ACCOUNTS = (Account.PRINCIPAL, Account.PRINCIPAL_DUE)


@dataclass(frozen=True)
class Balances:
    """A loan's balances from its ledger. Amounts the borrower owes are positive; escrow and suspense are what
    the servicer holds for the borrower (positive = held)."""

    currency: str
    principal: Decimal = ZERO  # outstanding, not yet due
    principal_due: Decimal = ZERO
    interest_due: Decimal = ZERO
    fees_due: Decimal = ZERO
    escrow_due: Decimal = ZERO
    escrow: Decimal = ZERO
    suspense: Decimal = ZERO

    @property
    def outstanding_principal(self) -> Decimal:
        """The nominal debt (restgæld): what `Loan.outstanding_balance` caches."""
        return self.principal + self.principal_due

    @property
    def total_due(self) -> Decimal:
        return self.principal_due + self.interest_due + self.fees_due + self.escrow_due

    @classmethod
    def from_accounts(cls, currency: str, accounts: dict[str, Decimal]) -> Balances:
        def bal(account: str) -> Decimal:
            return accounts.get(account, ZERO)

        return cls(
            currency=currency,
            principal=bal(Account.PRINCIPAL),
            principal_due=bal(Account.PRINCIPAL_DUE),
            interest_due=bal(Account.INTEREST_DUE),
            fees_due=bal(Account.FEES_DUE),
            escrow_due=bal(Account.ESCROW_DUE),
            # Billing escrow credits ESCROW before the money is in; what is held is ESCROW less what is unpaid.
            escrow=-bal(Account.ESCROW) - bal(Account.ESCROW_DUE),
            suspense=-bal(Account.SUSPENSE),
        )


# ---------------------------------------------------------------- reading


def _account_sums(loan_ids: list[int], as_of: date | None) -> dict[int, dict[str, Decimal]]:
    """Σ debits − Σ credits per loan and account, two grouped queries."""
    result: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for start in range(0, len(loan_ids), _CHUNK):
        postings = Posting.objects.filter(loan_id__in=loan_ids[start : start + _CHUNK])
        if as_of is not None:
            postings = postings.filter(effective_date__lte=as_of)
        for side, sign in (("debit_account", 1), ("credit_account", -1)):
            for row in postings.values("loan_id", side).annotate(total=Sum("amount")).order_by():
                result[row["loan_id"]][row[side]] += sign * row["total"]
    return result


def ledger_balances(*, loan_ids: Iterable[int], as_of: date | None = None) -> dict[int, Balances]:
    """Balances of many loans at once (as of a date: postings effective on or before it)."""
    ids = sorted(set(loan_ids))
    currencies = dict(Loan.objects.filter(pk__in=ids).values_list("pk", "currency")) if ids else {}
    sums = _account_sums(ids, as_of)
    return {pk: Balances.from_accounts(currencies[pk], sums.get(pk, {})) for pk in ids if pk in currencies}


def loan_balances(*, loan: Loan, as_of: date | None = None) -> Balances:
    sums = _account_sums([loan.pk], as_of)
    return Balances.from_accounts(loan.currency, sums.get(loan.pk, {}))


@dataclass(frozen=True)
class Mismatch:
    loan_id: int
    loan_number: str
    cached: Decimal
    ledger: Decimal


def ledger_reconcile(loan_ids: Iterable[int] | None = None) -> list[Mismatch]:
    """Prove the cached `Loan.outstanding_balance` agrees with the ledger; returns every loan where it does not.

    Set-based: one pass over the postings grouped by loan, hash-joined to the loans (no query per loan). An empty
    list is the proof. Compared to half a cent, so that SQLite's floating-point sums cannot fake a difference.
    """
    ids = None if loan_ids is None else sorted(set(loan_ids))
    scopes: list[list[int] | None] = (
        [None] if ids is None else [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    )
    principal = ", ".join(["%s"] * len(PRINCIPAL_ACCOUNTS))
    mismatches = []
    with connection.cursor() as cursor:
        for scope in scopes:
            in_scope = "" if scope is None else f" AND {{column}} IN ({', '.join(['%s'] * len(scope))})"
            cursor.execute(
                f"""
                SELECT l.id, l.loan_number, l.outstanding_balance, COALESCE(s.total, 0)
                FROM loanregister_loan l
                LEFT JOIN (
                    SELECT loan_id,
                           SUM(CASE WHEN debit_account IN ({principal}) THEN amount ELSE 0 END)
                           - SUM(CASE WHEN credit_account IN ({principal}) THEN amount ELSE 0 END) AS total
                    FROM servicing_posting WHERE 1 = 1{in_scope.format(column="loan_id")}
                    GROUP BY loan_id
                ) s ON s.loan_id = l.id
                WHERE ABS(l.outstanding_balance - COALESCE(s.total, 0)) >= 0.005{in_scope.format(column="l.id")}
                ORDER BY l.id
                """,
                [*PRINCIPAL_ACCOUNTS, *PRINCIPAL_ACCOUNTS, *(scope or []), *(scope or [])],
            )
            for pk, number, cached, ledger in cursor.fetchall():
                mismatches.append(Mismatch(pk, number, _decimal(cached), _decimal(ledger)))
    return mismatches


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def ledger_trial_balance() -> dict[str, Decimal]:
    """Balance of every account across the whole ledger; their sum is zero (Σ debits = Σ credits)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for side, sign in (("debit_account", 1), ("credit_account", -1)):
        for account, total in Posting.objects.values_list(side).annotate(total=Sum("amount")).order_by():
            totals[account] += sign * total
    return dict(totals)


# ---------------------------------------------------------------- the waterfall


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


# ---------------------------------------------------------------- writing


def _lock(loan: Loan) -> Loan:
    """Take the loan's row lock for the rest of the transaction and return it fresh from the database."""
    return Loan.objects.select_for_update(of=("self",)).select_related("property").get(pk=loan.pk)


def principal_effect(debit_account: str, credit_account: str, amount: Decimal) -> Decimal:
    """How much a movement changes the outstanding principal (0 when it moves between its two accounts)."""
    effect = ZERO
    if debit_account in PRINCIPAL_ACCOUNTS:
        effect += amount
    if credit_account in PRINCIPAL_ACCOUNTS:
        effect -= amount
    return effect


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


def _apply_to_loan(loan: Loan, delta: Decimal) -> None:
    """Move the cached balance with the ledger (same transaction) and keep the status and register in step."""
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
    # Paid off when nothing is outstanding any more; a reversal of that payoff makes it active again. Saved
    # through the model so the loan's history records the change.
    if new_balance == 0 and loan.status == LoanStatus.ACTIVE:
        loan.status = LoanStatus.PAID_OFF
        loan.save(update_fields=["status", "updated_at"])
    elif new_balance > 0 and loan.status == LoanStatus.PAID_OFF:
        loan.status = LoanStatus.ACTIVE
        loan.save(update_fields=["status", "updated_at"])
    _register_sync(loan)


def _same(existing: Posting, **fields) -> bool:
    return all(getattr(existing, name) == value for name, value in fields.items())


def _validate_amount(amount: Decimal, *, allow_zero: bool = False) -> Decimal:
    amount = Decimal(amount)
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Amounts have at most two decimals.")})
    amount = amount.quantize(CENT)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    return amount


def _category(loan: Loan) -> str:
    return loan.property.category if loan.property_id else ""


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
    amount = _validate_amount(amount)
    if price is not None and price <= 0:
        raise ValidationError({"price": _("The price must be more than zero.")})
    if kind in PRICED_KINDS and price is None:
        raise ValidationError({"price": _("A %(kind)s needs the bond price (kurs).") % {"kind": kind}})
    debit, credit = accounts or KIND_ACCOUNTS[kind]
    loan = _lock(loan)
    if external_id:
        existing = Posting.objects.filter(external_id=external_id).first()
        if existing is not None:
            if posted_amount(existing) == amount and _same(
                existing,
                loan_id=loan.pk,
                kind=kind,
                effective_date=effective_date,
                price=price,
            ):
                return existing
            raise ValidationError(
                {
                    "external_id": _("Transaction %(id)s was already posted with other content.")
                    % {"id": external_id}
                }
            )
    if credit in PRINCIPAL_ACCOUNTS and debit not in PRINCIPAL_ACCOUNTS and accounts is None:
        parts = _principal_parts(loan=loan, kind=kind, amount=amount)
    else:
        if credit in PRINCIPAL_ACCOUNTS:
            _refuse_overdraw(loan=loan, account=credit, amount=amount)
        parts = [(credit, amount)]
    posting = None
    delta = ZERO
    for part_credit, part_amount in parts:
        created = Posting.objects.create(
            loan=loan,
            kind=kind,
            effective_date=effective_date,
            amount=part_amount,
            currency=loan.currency,
            debit_account=debit,
            credit_account=part_credit,
            price=price,
            property_category=_category(loan),
            payee=payee,
            note=note,
            # The first part is the posting; a second part is made with it and reversed with it.
            external_id=(external_id or None) if posting is None else None,
            parent=parent if posting is None else posting,
            created_by=user,
        )
        posting = posting or created
        delta += principal_effect(debit, part_credit, part_amount)
    _apply_to_loan(loan, delta)
    return posting


def posted_amount(posting: Posting) -> Decimal:
    """A posting's whole amount: with the part of the same kind made with it (see `_principal_parts`)."""
    parts = [p.amount for p in posting.applications.all() if p.kind == posting.kind]
    return posting.amount + sum(parts, ZERO)


def _principal_parts(*, loan: Loan, kind: str, amount: Decimal) -> list[tuple[str, Decimal]]:
    """Which principal account(s) a repayment credits, so that neither goes below zero: a scheduled repayment
    pays principal due first, a redemption, extra repayment or write-off principal not yet due first. Refused
    when it is more than both (more than is outstanding)."""
    sums = _account_sums([loan.pk], None).get(loan.pk, {})
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


def _refuse_overdraw(*, loan: Loan, account: str, amount: Decimal) -> None:
    balance = _account_sums([loan.pk], None).get(loan.pk, {}).get(account, ZERO)
    if amount > balance:
        raise ValidationError(
            {
                "amount": _("This is more than the %(balance)s %(currency)s on %(account)s.")
                % {"balance": balance, "currency": loan.currency, "account": Account(account).label}
            }
        )


@transaction.atomic
def payment_post(
    *, loan: Loan, amount: Decimal, received_on: date, external_id: str | None, user, note: str = ""
) -> list[Posting]:
    """Post money received and apply it by the loan's waterfall (SRV-1). Returns the payment posting followed
    by its applications (fees paid, interest paid, principal paid, escrow, extra repayment); what no bucket
    takes stays in suspense. Idempotent by `external_id` like `posting_create`."""
    amount = _validate_amount(amount)
    loan = _lock(loan)
    if external_id:
        existing = Posting.objects.filter(external_id=external_id).first()
        if existing is not None:
            if _same(
                existing, loan_id=loan.pk, kind=PostingKind.PAYMENT, amount=amount, effective_date=received_on
            ):
                return [existing, *existing.applications.order_by("id")]
            raise ValidationError(
                {
                    "external_id": _("Transaction %(id)s was already posted with other content.")
                    % {"id": external_id}
                }
            )
    balances = loan_balances(loan=loan, as_of=received_on)
    applications, _suspense = waterfall_split(amount=amount, balances=balances, rule=waterfall_for(loan=loan))
    category = _category(loan)
    common = {
        "loan": loan,
        "effective_date": received_on,
        "currency": loan.currency,
        "property_category": category,
    }
    payment = Posting.objects.create(
        **common,
        kind=PostingKind.PAYMENT,
        amount=amount,
        debit_account=Account.CASH,
        credit_account=Account.SUSPENSE,
        external_id=external_id or None,
        note=note,
        created_by=user,
    )
    postings = [payment]
    delta = ZERO
    for application in applications:
        postings.append(
            Posting.objects.create(
                **common,
                kind=application.kind,
                amount=application.amount,
                debit_account=application.debit_account,
                credit_account=application.credit_account,
                price=application.price,
                parent=payment,
                created_by=user,
            )
        )
        delta += principal_effect(application.debit_account, application.credit_account, application.amount)
    _apply_to_loan(loan, delta)
    return postings


@transaction.atomic
def suspense_apply(*, loan: Loan, on: date, user) -> list[Posting]:
    """Apply money held in suspense (an early payment, an overpayment) to what has fallen due since, by the
    loan's waterfall, as of `on`. The overpayment rule does not apply: what no bucket takes stays in suspense."""
    loan = _lock(loan)
    balances = loan_balances(loan=loan, as_of=on)
    if balances.suspense <= 0:
        return []
    rule = waterfall_for(loan=loan)
    applications, _rest = waterfall_split(
        amount=balances.suspense,
        balances=balances,
        rule=WaterfallRule(rule.buckets, OverpaymentRule.SUSPENSE),
    )
    postings = []
    delta = ZERO
    for application in applications:
        postings.append(
            Posting.objects.create(
                loan=loan,
                kind=application.kind,
                effective_date=on,
                amount=application.amount,
                currency=loan.currency,
                debit_account=application.debit_account,
                credit_account=application.credit_account,
                property_category=_category(loan),
                note=_("Applied from unapplied money"),
                created_by=user,
            )
        )
        delta += principal_effect(application.debit_account, application.credit_account, application.amount)
    _apply_to_loan(loan, delta)
    return postings


@transaction.atomic
def posting_reverse(*, posting: Posting, user, reason: str, effective_date: date | None = None) -> Posting:
    """Correct a mistake (SRV-4): a reversing posting, same amount, accounts swapped, dated like the original
    unless told otherwise, so balances as of any date are restored. A payment is reversed with every application
    of its waterfall. Returns the reversal of `posting`."""
    loan = _lock(posting.loan)
    posting = Posting.objects.get(pk=posting.pk)
    if posting.kind == PostingKind.REVERSAL:
        raise ValidationError(_("A reversal cannot be reversed: post the movement again instead."))
    if posting.kind == PostingKind.PROPERTY_CATEGORY_CHANGE:
        raise ValidationError(_("Post a new property category change instead."))
    if posting.parent_id is not None:
        raise ValidationError(_("This is part of a payment: reverse the payment."))
    if Posting.objects.filter(reverses=posting).exists():
        raise ValidationError(_("This posting has already been reversed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    originals = [*posting.applications.order_by("-id"), posting]
    delta = ZERO
    reversal = None
    for original in originals:
        reversal = Posting.objects.create(
            loan=loan,
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
            created_by=user,
        )
        delta += principal_effect(original.credit_account, original.debit_account, original.amount)
    _apply_to_loan(loan, delta)
    return reversal


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
    """STAT-9: the property's category changes; the ledger keeps the history (a zero-amount posting naming the new
    category, the old one in its note), and every later posting carries the new category."""
    loan = _lock(loan)
    if not loan.property_id:
        raise ValidationError({"property_category": _("The loan has no property.")})
    if external_id:
        existing = Posting.objects.filter(external_id=external_id).first()
        if existing is not None:
            if _same(
                existing,
                loan_id=loan.pk,
                kind=PostingKind.PROPERTY_CATEGORY_CHANGE,
                property_category=category,
            ):
                return existing
            raise ValidationError(
                {
                    "external_id": _("Transaction %(id)s was already posted with other content.")
                    % {"id": external_id}
                }
            )
    previous = loan.property.category
    posting = Posting.objects.create(
        loan=loan,
        kind=PostingKind.PROPERTY_CATEGORY_CHANGE,
        effective_date=effective_date,
        amount=ZERO,
        currency=loan.currency,
        debit_account=Account.MEMO,
        credit_account=Account.MEMO,
        property_category=category,
        note=note or f"{previous} -> {category}",
        external_id=external_id or None,
        created_by=user,
    )
    type(loan.property).objects.filter(pk=loan.property_id).update(category=category)
    return posting


OPENING_PREFIX = "opening:"


def opening_balance_external_id(loan_number: str) -> str:
    return f"{OPENING_PREFIX}{loan_number}"


@transaction.atomic
def opening_balances_post(*, loan_ids: Iterable[int] | None, user=None) -> int:
    """A loan imported with an outstanding balance starts its ledger with an opening-balance posting (a migration
    entry, never a lending flow) as of its balance date (its origination date without one).

    Set-based (one `INSERT … SELECT` per chunk of ids; `loan_ids=None`: the whole book in one statement) and
    idempotent: only loans with a balance and no posting at all get one (a loan with postings already has its
    balance from its ledger), and the external id `opening:<loan number>` is unique. Returns how many were
    posted. The cached balance already equals the amount, so the loans are not written.
    """
    ids = None if loan_ids is None else sorted(set(loan_ids))
    scopes: list[list[int] | None] = (
        [None] if ids is None else [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    )
    user_id = user.pk if user is not None and getattr(user, "pk", None) else None
    created = 0
    with connection.cursor() as cursor:
        for scope in scopes:
            if scope is not None and not scope:
                continue
            in_scope = "" if scope is None else f" AND l.id IN ({', '.join(['%s'] * len(scope))})"
            cursor.execute(
                f"""
                INSERT INTO servicing_posting (
                    loan_id, kind, effective_date, amount, currency, debit_account, credit_account, price,
                    property_category, payee, note, external_id, parent_id, reverses_id, created_at, created_by_id
                )
                SELECT l.id, %s, COALESCE(l.balance_date, l.origination_date), l.outstanding_balance, l.currency,
                       %s, %s, NULL, COALESCE(p.category, ''), '', '', %s || l.loan_number, NULL, NULL, %s, %s
                FROM loanregister_loan l
                LEFT JOIN loanregister_property p ON p.id = l.property_id
                WHERE l.outstanding_balance > 0{in_scope}
                  AND NOT EXISTS (SELECT 1 FROM servicing_posting x WHERE x.loan_id = l.id)
                ORDER BY l.id
                ON CONFLICT (external_id) DO NOTHING
                """,
                [
                    PostingKind.OPENING_BALANCE.value,
                    Account.PRINCIPAL.value,
                    Account.OPENING.value,
                    OPENING_PREFIX,
                    timezone.now(),
                    user_id,
                    *(scope or []),
                ],
            )
            created += cursor.rowcount
    if ids is not None:
        created += _opening_true_up(loan_ids=ids, user_id=user_id)
    return created


def _opening_true_up(*, loan_ids: list[int], user_id: int | None) -> int:
    """A loan file imported again with a new balance for a loan that has a ledger: the file's figure is the
    balance as of its balance date, so the ledger gets a migration entry for the difference on that date, and the
    cached balance becomes the ledger's again (with what was posted after that date). Loans whose cached balance
    agrees with the ledger (the file left it alone, or said the same) are not touched: re-importing a file posts
    nothing twice."""
    mismatches = ledger_reconcile(loan_ids=loan_ids)
    if not mismatches:
        return 0
    loans = Loan.objects.select_related("property").in_bulk([m.loan_id for m in mismatches])
    by_date: dict[date, list[int]] = defaultdict(list)
    for loan in loans.values():
        by_date[loan.balance_date or loan.origination_date].append(loan.pk)
    postings = []
    for day, pks in by_date.items():
        for pk, balances in ledger_balances(loan_ids=pks, as_of=day).items():
            loan = loans[pk]
            difference = loan.outstanding_balance - balances.outstanding_principal
            if difference == 0:
                continue
            debit, credit = (
                (Account.PRINCIPAL, Account.OPENING)
                if difference > 0
                else (Account.OPENING, Account.PRINCIPAL)
            )
            postings.append(
                Posting(
                    loan_id=pk,
                    kind=PostingKind.OPENING_BALANCE,
                    effective_date=day,
                    amount=abs(difference),
                    currency=loan.currency,
                    debit_account=debit,
                    credit_account=credit,
                    property_category=_category(loan),
                    # Data, not a message: the same in every language (as a category change's note).
                    note=f"loan file: {loan.outstanding_balance} as of {day.isoformat()}",
                    created_by_id=user_id,
                )
            )
    Posting.objects.bulk_create(postings, batch_size=_CHUNK)
    # The cached balance is the ledger's (all postings, also those after the balance date).
    for pk, balances in ledger_balances(loan_ids=list(loans)).items():
        Loan.objects.filter(pk=pk).update(outstanding_balance=balances.outstanding_principal)
    register_events_sync(loan_ids=list(loans))
    return len(postings)


__all__ = [
    "Application",
    "Balances",
    "KIND_ACCOUNTS",
    "Mismatch",
    "PRICED_KINDS",
    "WaterfallRule",
    "installment_due_post",
    "ledger_balances",
    "ledger_batch",
    "ledger_reconcile",
    "ledger_trial_balance",
    "loan_balances",
    "opening_balance_external_id",
    "opening_balances_post",
    "payment_post",
    "posting_create",
    "posting_reverse",
    "posted_amount",
    "principal_effect",
    "suspense_apply",
    "property_category_change_post",
    "waterfall_for",
    "waterfall_split",
]
