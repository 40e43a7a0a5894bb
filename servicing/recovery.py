"""Default and recovery (REC-1 to REC-3): record the collateral recovered, compute the deficiency, follow the path.

REC-2: deficiency = outstanding balance − recovered collateral value. Then, by the recourse rules (reference data
an admin edits, REC-3): a recourse loan opens a case for the legal team to pursue the borrower's other assets
(REC-1); a non-recourse loan writes the deficiency off as a loss. Every money movement goes through the ledger's
API (servicing.ledger), idempotent by an external id made from the recovery's id.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loanregister.choices import LoanStatus
from loanregister.models import Loan
from loanregister.services import loan_status_set

from .documents import loan_jurisdiction
from .ledger import ZERO, loan_balances, payment_post, posting_create
from .models import Account, CollateralRecovery, LegalCase, LoanProgram, PostingKind, RecourseRule
from .payoff import payment_check

CENT = Decimal("0.01")
# The order in which a deficiency is written off, account by account (each its own posting).
_WRITE_OFF_ACCOUNTS = (Account.FEES_DUE, Account.INTEREST_DUE, Account.PRINCIPAL_DUE, Account.PRINCIPAL)


@dataclass(frozen=True)
class RecourseDecision:
    recourse: bool
    rule: RecourseRule | None
    reason: str


def loan_program(*, loan: Loan) -> str:
    return LoanProgram.objects.filter(loan=loan).values_list("program", flat=True).first() or ""


def recourse_for(*, loan: Loan) -> RecourseDecision:
    """Is this loan recourse? The most specific matching rule decides (REC-3).

    Specificity: a rule naming the loan's program beats one that does not (VA, USDA and FHA are non-recourse
    everywhere); then the state beats its country, which beats a rule for every jurisdiction. No rule: recourse,
    the common case (REC-3: most loans are). A loan whose own agreement is non-recourse stays so.
    """
    jurisdiction = loan_jurisdiction(loan=loan)
    country = jurisdiction.split("-", 1)[0]
    program = loan_program(loan=loan)
    candidates = RecourseRule.objects.filter(
        jurisdiction__in={"", jurisdiction, country}, program__in={"", program}
    )

    def specificity(rule: RecourseRule) -> tuple[int, int]:
        place = 2 if rule.jurisdiction == jurisdiction else 1 if rule.jurisdiction == country else 0
        return (1 if rule.program else 0, place)

    rule = max(candidates, key=specificity, default=None)
    if not loan.recourse:
        return RecourseDecision(False, rule, _("The loan agreement is non-recourse."))
    if rule is None:
        return RecourseDecision(True, None, _("No recourse rule covers this loan: recourse by default."))
    return RecourseDecision(rule.recourse, rule, _("Rule applied: %(rule)s") % {"rule": rule})


def outstanding_balance(*, loan: Loan, as_of: datetime.date) -> Decimal:
    """What the borrower owes on the loan as of the date: principal (due or not), interest due and fees due."""
    balances = loan_balances(loan=loan, as_of=as_of)
    return balances.outstanding_principal + balances.interest_due + balances.fees_due


def deficiency_of(*, outstanding: Decimal, recovered_value: Decimal) -> Decimal:
    """REC-2: what the collateral did not cover (never negative: a surplus belongs to the borrower)."""
    return max(outstanding - recovered_value, ZERO).quantize(CENT)


# The loan statuses from which nothing is left to recover.
_CLOSED = (LoanStatus.PAID_OFF, LoanStatus.CHARGED_OFF)


def recovery_can_be_recorded(loan: Loan) -> bool:
    """REC-1, REC-2: a collateral recovery is recorded on a loan that is not closed (paid off or charged off);
    `recovery_record` refuses the others, and the loan page offers the form only where this says yes."""
    return loan.status not in _CLOSED


def _set_status(loan: Loan, status: str, *, user) -> None:
    loan.refresh_from_db(fields=["status", "outstanding_balance"])
    loan_status_set(loan=loan, status=status, user=user, reason=f"recovery: {status}")


@transaction.atomic
def recovery_record(
    *,
    loan: Loan,
    recovered_on: datetime.date,
    recovered_value: Decimal,
    user: AbstractBaseUser | None,
    description: str = "",
    assets_to_pursue: list[str] | None = None,
    confirmed: bool = False,
) -> CollateralRecovery:
    """Record the collateral recovered from a defaulted loan and follow the recourse or non-recourse path.

    The proceeds are posted as a payment (the loan's waterfall applies them; what it leaves over repays
    principal), then: no deficiency → the loan is paid off; recourse → a legal case for the deficiency and the
    loan stays defaulted; non-recourse → the deficiency is written off and the loan is charged off.
    Returns the recovery record, whose `outcome` says which path was taken.

    The value is bounded like a payment typed by hand (`payoff.payment_check`): dated from the loan's first
    ledger entry to today, and at most what pays the loan off plus the margin unless `confirmed`.
    """
    recovered_value = Decimal(recovered_value)
    if recovered_value < 0 or recovered_value != recovered_value.quantize(CENT):
        raise ValidationError(
            {"recovered_value": _("Give a value of zero or more, with at most two decimals.")}
        )
    if recovered_on > timezone.localdate():
        raise ValidationError({"recovered_on": _("A recovery cannot be dated in the future.")})
    loan = Loan.objects.select_for_update(of=("self",)).select_related("property").get(pk=loan.pk)
    if not recovery_can_be_recorded(loan):
        raise ValidationError(_("This loan is closed: nothing is left to recover."))
    payment_check(
        loan=loan,
        amount=recovered_value,
        on=recovered_on,
        confirmed=confirmed,
        amount_field="recovered_value",
        date_field="recovered_on",
    )
    outstanding = outstanding_balance(loan=loan, as_of=recovered_on)
    if outstanding <= 0:
        raise ValidationError(_("Nothing is outstanding on this loan."))
    deficiency = deficiency_of(outstanding=outstanding, recovered_value=recovered_value)
    decision = recourse_for(loan=loan)
    if deficiency == 0:
        outcome = CollateralRecovery.Outcome.NO_DEFICIENCY
    elif decision.recourse:
        outcome = CollateralRecovery.Outcome.LEGAL_CASE
    else:
        outcome = CollateralRecovery.Outcome.WRITE_OFF

    # Defaulted first, so that the ledger does not take the proceeds for an ordinary payoff.
    _set_status(loan, LoanStatus.DEFAULTED, user=user)
    recovery = CollateralRecovery.objects.create(
        loan=loan,
        recovered_on=recovered_on,
        recovered_value=recovered_value,
        currency=loan.currency,
        description=description,
        outstanding_balance=outstanding,
        deficiency=deficiency,
        recourse=decision.recourse,
        recourse_rule=decision.rule,
        recourse_reason=decision.reason[:300],
        outcome=outcome,
        recorded_by=user if user and user.is_authenticated else None,
    )
    key = f"recovery:{recovery.pk}"
    if recovered_value > 0:
        postings = payment_post(
            loan=loan,
            amount=recovered_value,
            received_on=recovered_on,
            external_id=f"{key}:proceeds",
            user=user,
            note=(_("Collateral recovered: %(description)s") % {"description": description})[:400],
        )
        recovery.proceeds_posting = postings[0]
        _suspense_to_principal(loan=loan, on=recovered_on, key=key, user=user)

    if outcome == CollateralRecovery.Outcome.WRITE_OFF:
        recovery.write_off_posting = _write_off(loan=loan, on=recovered_on, key=key, user=user)
        _set_status(loan, LoanStatus.CHARGED_OFF, user=user)
    elif outcome == CollateralRecovery.Outcome.LEGAL_CASE:
        LegalCase.objects.create(
            loan=loan,
            recovery=recovery,
            opened_on=recovered_on,
            amount=deficiency,
            currency=loan.currency,
            assets_to_pursue=assets_to_pursue or [kind for kind, _label in LegalCase.ASSET_KINDS],
        )
    else:
        _set_status(loan, LoanStatus.PAID_OFF, user=user)
    recovery.save(update_fields=["proceeds_posting", "write_off_posting"])
    return recovery


def _suspense_to_principal(*, loan: Loan, on: datetime.date, key: str, user) -> None:
    """What the waterfall held in suspense repays principal not yet due (the loan is accelerated at default)."""
    balances = loan_balances(loan=loan, as_of=on)
    amount = min(balances.suspense, balances.principal)
    if amount > 0:
        posting_create(
            loan=loan,
            kind=PostingKind.EXTRA_REPAYMENT,
            amount=amount,
            effective_date=on,
            price=Decimal("100"),
            accounts=(Account.SUSPENSE, Account.PRINCIPAL),
            external_id=f"{key}:principal",
            user=user,
            note=_("Collateral proceeds applied to principal"),
        )


def _write_off(*, loan: Loan, on: datetime.date, key: str, user):
    """Write off what is left owing, one posting per account (fees, interest, principal); returns the last."""
    balances = loan_balances(loan=loan, as_of=on)
    owing = {
        Account.FEES_DUE: balances.fees_due,
        Account.INTEREST_DUE: balances.interest_due,
        Account.PRINCIPAL_DUE: balances.principal_due,
        Account.PRINCIPAL: balances.principal,
    }
    last = None
    for account in _WRITE_OFF_ACCOUNTS:
        amount = owing[account]
        if amount > 0:
            last = posting_create(
                loan=loan,
                kind=PostingKind.WRITE_OFF,
                amount=amount,
                effective_date=on,
                accounts=(Account.WRITE_OFF, account),
                external_id=f"{key}:write-off:{account}",
                user=user,
                note=_("Non-recourse deficiency written off (REC-2)"),
            )
    return last
