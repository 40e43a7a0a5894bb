"""Escalation to a legal case (issue 11 item 6; COL-5, REC-1, REC-2).

A loan past the last step of the ladder (the `legal` step, an `escalate` action) becomes a legal case on a path:
a lawsuit, enforcing the lien on the collateral, or udlæg (garnishment of other assets). Whether the lender may
pursue the borrower's other assets is the recourse decision of the recovery module (`recovery.recourse_for`: the
admin's recourse rules and the loan's own agreement): with recourse any path; without it only the lien on the
collateral (`escalation_paths`; the database refuses anything else too). The case links to the recovery module:
its deficiency (REC-2: outstanding balance − recovered collateral value) once a recovery is recorded, and the
recovery's legal case for the deficiency. Opening an escalation does not change the loan's status: recovery's own
steps (`recovery_record`) do.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from loanregister.models import Loan

from ..models import CollateralRecovery, CollectionCase, Escalation, LegalCase, Reminder, ReminderStep
from ..recovery import recourse_for
from .delinquency import loan_delinquency

OTHER_ASSETS = ["deposit_accounts", "wages", "tax_refunds", "pensions"]


def escalation_paths(*, recourse: bool) -> list[str]:
    """REC-1: the paths the lender may take: every one with recourse, only the collateral's lien without."""
    if recourse:
        return [Escalation.Path.LAWSUIT, Escalation.Path.LIEN, Escalation.Path.UDLAEG]
    return [Escalation.Path.LIEN]


def escalation_open(
    *, loan: Loan, on: datetime.date, user=None, path: str | None = None
) -> Escalation | None:
    """Open the loan's legal case (None when one is open already). Default path: a lawsuit with recourse, the
    lien without. The loan's status is left as it is."""
    decision = recourse_for(loan=loan)
    allowed = escalation_paths(recourse=decision.recourse)
    path = path or allowed[0]
    if path not in allowed:
        raise ValidationError({"path": _("Without recourse only the collateral may be pursued (REC-1).")})
    if Escalation.objects.filter(loan=loan, state=Escalation.State.OPEN).exists():
        return None
    behind = loan_delinquency(loan=loan, as_of=on)
    try:
        with transaction.atomic():
            return Escalation.objects.create(
                loan=loan,
                case=CollectionCase.objects.filter(loan=loan, state=CollectionCase.State.OPEN).first(),
                opened_on=on,
                path=path,
                recourse=decision.recourse,
                recourse_reason=str(decision.reason)[:300],
                amount_past_due=behind.amount_past_due if behind else Decimal("0.00"),
                currency=loan.currency,
                opened_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        return None  # opened meanwhile by another run


def escalations_open_for_night(*, business_date: datetime.date) -> int:
    """The night's legal steps open their loans' escalations, set-based: the recourse decision depends only on the
    loan's jurisdiction, program and own agreement, so it is asked of `recourse_for` once per such group (with one
    of its loans) and the escalations of each group are inserted together. Returns how many were opened."""
    rows = list(
        Reminder.objects.filter(
            business_date=business_date, state=Reminder.State.SENT, step__action=ReminderStep.Action.ESCALATE
        )
        .exclude(loan__escalations__state=Escalation.State.OPEN)
        .values_list(
            "loan_id",
            "amount_past_due",
            "loan__currency",
            "loan__property__jurisdiction",
            "loan__program__program",
            "loan__recourse",
        )
    )
    decisions: dict[tuple, object] = {}
    cases = dict(
        CollectionCase.objects.filter(
            loan_id__in=[row[0] for row in rows], state=CollectionCase.State.OPEN
        ).values_list("loan_id", "pk")
    )
    escalations = []
    for loan_id, amount, currency, jurisdiction, program, own_recourse in rows:
        group = ((jurisdiction or "").strip().upper(), program or "", own_recourse)
        if group not in decisions:
            decisions[group] = recourse_for(loan=Loan.objects.select_related("property").get(pk=loan_id))
        decision = decisions[group]
        escalations.append(
            Escalation(
                loan_id=loan_id,
                case_id=cases.get(loan_id),
                opened_on=business_date,
                path=escalation_paths(recourse=decision.recourse)[0],
                recourse=decision.recourse,
                recourse_reason=str(decision.reason)[:300],
                amount_past_due=amount or Decimal("0.00"),
                currency=currency,
            )
        )
    before = Escalation.objects.filter(opened_on=business_date).count()
    # ON CONFLICT DO NOTHING: an escalation opened meanwhile (the partial unique index) wins
    Escalation.objects.bulk_create(escalations, batch_size=2000, ignore_conflicts=True)
    return Escalation.objects.filter(opened_on=business_date).count() - before


def escalation_path_set(*, escalation: Escalation, path: str, user) -> Escalation:
    """A collections manager chooses the path, within what recourse allows."""
    if not user.has_perm("servicing.change_escalation"):
        raise PermissionDenied(_("Only a collections manager chooses the legal path."))
    if path not in escalation_paths(recourse=escalation.recourse):
        raise ValidationError({"path": _("Without recourse only the collateral may be pursued (REC-1).")})
    Escalation.objects.filter(pk=escalation.pk).update(path=path)
    escalation.path = path
    return escalation


@dataclass(frozen=True)
class EscalationView:
    escalation: Escalation
    may_pursue_other_assets: bool
    other_assets: list[str]
    recovery: CollateralRecovery | None
    deficiency: Decimal | None
    legal_case: LegalCase | None


def escalation_summary(escalation: Escalation) -> EscalationView:
    """What the case page shows: recourse or the collateral only, and the recovery's deficiency when recorded."""
    recovery = (
        CollateralRecovery.objects.filter(loan=escalation.loan_id).order_by("-recovered_on", "-id").first()
    )
    legal_case = escalation.legal_case or (
        LegalCase.objects.filter(recovery=recovery).first() if recovery is not None else None
    )
    return EscalationView(
        escalation=escalation,
        may_pursue_other_assets=escalation.recourse,
        other_assets=OTHER_ASSETS if escalation.recourse else [],
        recovery=recovery,
        deficiency=recovery.deficiency if recovery is not None else None,
        legal_case=legal_case,
    )
