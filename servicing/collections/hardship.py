"""Hardship and alternative plans (issue 11 item 4; COL-4).

A collector records the borrower's situation (`hardship_assessment_record`: income, expenses, cause, expected
duration) and proposes a plan (`hardship_plan_propose`) with its own monthly schedule:

- `reduced`: a lower payment for a number of months (interest first, the rest principal);
- `holiday`: nothing to pay for a number of months;
- `extended`: the payment of an annuity over the remaining term plus the extra months, for the plan's months.

A `collections_manager` approves it (`hardship_plan_approve`; the permission `servicing.approve_hardshipplan`) or
rejects it. While it runs (`active`):

- what is billed follows the plan: the nightly billing (`servicing/installments.py`) skips the loan's own
  installments due within the plan's dates and bills the plan's payments instead (`hardship_installments_post`,
  external ids `hardship:<plan>:<date>:<part>`), so an agreed payment holiday adds no days past due;
- the reminder ladder pauses for the loan, and it counts as in collections;
- a missed plan payment (`hardship_plans_review`, nightly: what was paid since the approval is short of the plan's
  payments due before the business date) ends the plan (`broken`) and the ladder resumes from where it stood (the
  steps sent before stay sent). A plan past its last date with every payment made is `completed`.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import add_months
from loanregister.models import Loan

from ..ledger import loan_balances, postings_insert_select
from ..models import Account, HardshipAssessment, HardshipInstallment, HardshipPlan, PostingKind

APPROVE = "servicing.approve_hardshipplan"
PROPOSE = "servicing.add_hardshipplan"
CATCH_UP_DAYS = 31
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def hardship_assessment_record(
    *,
    loan: Loan,
    user,
    assessed_on: datetime.date,
    monthly_income: Decimal,
    monthly_expenses: Decimal,
    cause: str,
    expected_months: int,
    note: str = "",
) -> HardshipAssessment:
    if not user.has_perm(PROPOSE):
        raise PermissionDenied(_("Only collections staff record hardship assessments."))
    assessment = HardshipAssessment(
        loan=loan,
        assessed_on=assessed_on,
        monthly_income=monthly_income,
        monthly_expenses=monthly_expenses,
        currency=loan.currency,
        cause=cause,
        expected_months=expected_months,
        note=note.strip(),
        assessed_by=user,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


def plan_schedule(
    *, loan: Loan, kind: str, starts_on: datetime.date, months: int, payment: Decimal, extra_months: int
) -> list[tuple[datetime.date, Decimal, Decimal]]:
    """The plan's own schedule: (due date, principal, interest) for each month."""
    principal = max(loan_balances(loan=loan).outstanding_principal, Decimal("0"))
    monthly_rate = Decimal(loan.interest_rate) / 100 / 12
    interest = _cents(principal * monthly_rate)
    if kind == HardshipPlan.Kind.HOLIDAY:
        amount = Decimal("0.00")
    elif kind == HardshipPlan.Kind.EXTENDED:
        remaining = max(
            (loan.maturity_date.year - starts_on.year) * 12 + loan.maturity_date.month - starts_on.month, 1
        )
        periods = remaining + extra_months
        if monthly_rate:
            amount = _cents(principal * monthly_rate / (1 - (1 + monthly_rate) ** -periods))
        else:
            amount = _cents(principal / periods)
    else:
        amount = _cents(payment)
    interest_part = min(interest, amount)
    return [(add_months(starts_on, n), amount - interest_part, interest_part) for n in range(months)]


@transaction.atomic
def hardship_plan_propose(
    *,
    assessment: HardshipAssessment,
    user,
    kind: str,
    starts_on: datetime.date,
    months: int,
    payment: Decimal = Decimal("0"),
    extra_months: int = 0,
) -> HardshipPlan:
    """Propose a plan for the assessed loan; it waits for a collections manager's approval."""
    if not user.has_perm(PROPOSE):
        raise PermissionDenied(_("Only collections staff propose hardship plans."))
    errors = {}
    if kind not in HardshipPlan.Kind.values:
        errors["kind"] = _("Choose a plan.")
    if months is None or months < 1 or months > 60:
        errors["months"] = _("A plan runs from 1 to 60 months.")
    if kind == HardshipPlan.Kind.REDUCED and (payment is None or payment <= 0):
        errors["payment"] = _("A reduced payment plan needs the payment per month.")
    if kind == HardshipPlan.Kind.EXTENDED and (extra_months is None or extra_months < 1):
        errors["extra_months"] = _("An extended term needs the months it is extended by.")
    loan = assessment.loan
    if HardshipPlan.objects.filter(loan=loan, state__in=["proposed", "active"]).exists():
        errors["kind"] = _("This loan has a plan waiting for approval or running already.")
    if errors:
        raise ValidationError(errors)
    schedule = plan_schedule(
        loan=loan,
        kind=kind,
        starts_on=starts_on,
        months=months,
        payment=payment or Decimal("0"),
        extra_months=extra_months or 0,
    )
    plan = HardshipPlan.objects.create(
        loan=loan,
        assessment=assessment,
        kind=kind,
        starts_on=starts_on,
        months=months,
        ends_on=schedule[-1][0],
        payment=schedule[0][1] + schedule[0][2],
        extra_months=extra_months or 0,
        currency=loan.currency,
        proposed_by=user,
    )
    HardshipInstallment.objects.bulk_create(
        HardshipInstallment(plan=plan, due_date=due, principal=principal, interest=interest)
        for due, principal, interest in schedule
    )
    return plan


def hardship_plan_approve(*, plan: HardshipPlan, user, on: datetime.date | None = None) -> HardshipPlan:
    """A collections manager approves the plan: it runs from now on (COL-4)."""
    if not user.has_perm(APPROVE):
        raise PermissionDenied(_("Only a collections manager approves hardship plans."))
    changed = HardshipPlan.objects.filter(pk=plan.pk, state=HardshipPlan.State.PROPOSED).update(
        state=HardshipPlan.State.ACTIVE, approved_by=user, approved_on=on or timezone.localdate()
    )
    if not changed:
        raise ValidationError(_("Only a plan waiting for approval can be approved."))
    plan.refresh_from_db()
    _collections_state(plan.loan_id, on or timezone.localdate())
    return plan


def hardship_plan_reject(*, plan: HardshipPlan, user, reason: str = "") -> HardshipPlan:
    if not user.has_perm(APPROVE):
        raise PermissionDenied(_("Only a collections manager rejects hardship plans."))
    HardshipPlan.objects.filter(pk=plan.pk, state=HardshipPlan.State.PROPOSED).update(
        state=HardshipPlan.State.REJECTED, ended_on=timezone.localdate(), end_reason=reason[:200]
    )
    plan.refresh_from_db()
    return plan


def _collections_state(loan_id: int, on: datetime.date) -> None:
    """The loan's collections state follows at the next nightly run; the plan's loan is flagged at once."""
    from .delinquency import delinquency_refresh

    delinquency_refresh(business_date=on, loan_ids=[loan_id])


def plan_paid(*, plan: HardshipPlan, until: datetime.date) -> Decimal:
    """Payments received from the plan's approval (or start) up to the date, reversed ones left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COALESCE(SUM(p.amount), 0) FROM servicing_posting p
            WHERE p.loan_id = %s AND p.kind = 'payment' AND p.effective_date BETWEEN %s AND %s
              AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
            """,
            [plan.loan_id, min(plan.approved_on or plan.starts_on, plan.starts_on), until],
        )
        return cursor.fetchone()[0]


def hardship_plans_review(*, business_date: datetime.date) -> dict:
    """End the running plans whose payment was missed (`broken`), and complete those past their last date."""
    broken = completed = 0
    for plan in HardshipPlan.objects.filter(state=HardshipPlan.State.ACTIVE).prefetch_related("installments"):
        required = sum(
            (i.principal + i.interest for i in plan.installments.all() if i.due_date < business_date),
            Decimal("0"),
        )
        if required > 0 and plan_paid(plan=plan, until=business_date - datetime.timedelta(days=1)) < required:
            broken += HardshipPlan.objects.filter(pk=plan.pk, state=HardshipPlan.State.ACTIVE).update(
                state=HardshipPlan.State.BROKEN,
                ended_on=business_date,
                end_reason=_("A plan payment was missed."),
            )
        elif business_date > plan.ends_on:
            completed += HardshipPlan.objects.filter(pk=plan.pk, state=HardshipPlan.State.ACTIVE).update(
                state=HardshipPlan.State.COMPLETED, ended_on=business_date
            )
    return {"broken": broken, "completed": completed}


# The loans' own installments the plan replaces: the nightly billing leaves these out.
PLAN_REPLACES_SQL = """NOT EXISTS (
    SELECT 1 FROM servicing_hardshipplan h
    WHERE h.loan_id = n.loan_id AND h.state = 'active' AND n.due_date BETWEEN h.starts_on AND h.ends_on)"""


def hardship_installments_post(*, business_date: datetime.date) -> int:
    """Bill the running plans' payments due up to the business date (set-based, once per payment and part)."""
    since = business_date - datetime.timedelta(days=CATCH_UP_DAYS)
    now = timezone.now()
    total = 0
    for column, kind, debit, credit in (
        ("principal", PostingKind.SCHEDULED_PAYMENT_DUE, Account.PRINCIPAL_DUE, Account.PRINCIPAL),
        ("interest", PostingKind.INTEREST, Account.INTEREST_DUE, Account.INTEREST_INCOME),
    ):
        total += postings_insert_select(
            f"""
            SELECT h.loan_id, %s, i.due_date, i.{column}, h.currency, %s, %s, NULL,
                   COALESCE(p.category, ''), '', '',
                   'hardship:' || h.id || ':' || CAST(i.due_date AS TEXT) || ':' || %s,
                   NULL, NULL, %s, NULL
            FROM servicing_hardshipinstallment i
            JOIN servicing_hardshipplan h ON h.id = i.plan_id
            JOIN loanregister_loan l ON l.id = h.loan_id
            LEFT JOIN loanregister_property p ON p.id = l.property_id
            WHERE h.state = 'active' AND i.due_date > %s AND i.due_date <= %s AND i.{column} > 0
            ORDER BY h.loan_id
            """,
            [kind.value, debit.value, credit.value, column, now, since, business_date],
        )
    return total
