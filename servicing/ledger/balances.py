"""Reading the ledger: a loan's balances, many loans' balances at once, the trial balance (SRV-1, SRV-4).

An account's balance is Σ debits − Σ credits of its postings. The loan's outstanding principal (the nominal bond
debt, STAT-6) is `principal + principal_due`: what the cached `Loan.outstanding_balance` holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from common.bulk import chunked
from loanregister.models import Loan

from ..models import Account, Posting

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 5000

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


def account_sums(loan_ids: list[int], as_of: date | None) -> dict[int, dict[str, Decimal]]:
    """Σ debits − Σ credits per loan and account, two grouped queries per chunk of loans."""
    result: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for chunk in chunked(loan_ids, CHUNK):
        postings = Posting.objects.filter(loan_id__in=chunk)
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
    sums = account_sums(ids, as_of)
    return {pk: Balances.from_accounts(currencies[pk], sums.get(pk, {})) for pk in ids if pk in currencies}


def loan_balances(*, loan: Loan, as_of: date | None = None) -> Balances:
    sums = account_sums([loan.pk], as_of)
    return Balances.from_accounts(loan.currency, sums.get(loan.pk, {}))


def ledger_trial_balance() -> dict[str, Decimal]:
    """Balance of every account across the whole ledger; their sum is zero (Σ debits = Σ credits)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for side, sign in (("debit_account", 1), ("credit_account", -1)):
        for account, total in Posting.objects.values_list(side).annotate(total=Sum("amount")).order_by():
            totals[account] += sign * total
    return dict(totals)


def principal_effect(debit_account: str, credit_account: str, amount: Decimal) -> Decimal:
    """How much a movement changes the outstanding principal (0 when it moves between its two accounts)."""
    effect = ZERO
    if debit_account in PRINCIPAL_ACCOUNTS:
        effect += amount
    if credit_account in PRINCIPAL_ACCOUNTS:
        effect -= amount
    return effect
