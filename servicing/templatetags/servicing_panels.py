"""Panels of escrow, documents and recovery for the loan page, and the escrow card of the servicing home.

Inclusion tags read their own data, so the pages that show them (the register's loan page, the servicing home)
need nothing from this area in their views: `{% load servicing_panels %}{% escrow_panel loan %}`. What may be done
(delete a document, record a recovery) and what a row is (overdue) are the services' rules: the tags ask the
functions the services refuse with (`document_can_be_deleted`, `recovery_can_be_recorded`,
`escrow_disbursement_is_overdue`) and the templates only show the answers.
"""

import datetime

from django import template
from django.utils import timezone

from servicing.documents import document_can_be_deleted
from servicing.escrow import escrow_balance, escrow_due_rows, escrow_shortage
from servicing.forms import DisbursementForm, DocumentUploadForm, RecoveryForm
from servicing.models import CollateralRecovery, EscrowAccount, EscrowDisbursement, LegalCase, LoanDocument
from servicing.recovery import recourse_for, recovery_can_be_recorded

register = template.Library()

DUE_HORIZON_DAYS = 14


@register.inclusion_tag("servicing/escrow_panel.html", takes_context=True)
def escrow_panel(context, loan):
    user = context["request"].user
    account = (
        EscrowAccount.objects.filter(loan=loan).first()
        if user.has_perm("servicing.view_escrowaccount")
        else None
    )
    result = {
        "loan": loan,
        "allowed": user.has_perm("servicing.view_escrowaccount"),
        "account": account,
        "can_open": user.has_perm("servicing.add_escrowaccount"),
        "can_schedule": user.has_perm("servicing.add_escrowdisbursement"),
        "can_add_payee": user.has_perm("servicing.add_escrowpayee"),
        # a refused form comes back as it was typed (servicing.views.escrow)
        "form": context.get("escrow_form") or DisbursementForm(),
        "csrf_token": context.get("csrf_token"),
    }
    if account is not None:
        result.update(
            balance=escrow_balance(loan=loan),
            shortage=escrow_shortage(loan),
            scheduled=list(
                account.disbursements.filter(state=EscrowDisbursement.State.SCHEDULED).select_related(
                    "payee"
                )[:10]
            ),
            paid=list(
                account.disbursements.filter(state=EscrowDisbursement.State.PAID)
                .select_related("payee")
                .order_by("-paid_on", "-id")[:5]
            ),
        )
    return result


@register.inclusion_tag("servicing/documents_panel.html", takes_context=True)
def documents_panel(context, loan):
    user = context["request"].user
    allowed = user.has_perm("servicing.view_loandocument")
    documents = list(LoanDocument.objects.filter(loan=loan).select_related("uploaded_by")) if allowed else []
    today = timezone.localdate()
    for document in documents:
        document.deletable = document_can_be_deleted(document, today=today)  # SRV-3
    return {
        "loan": loan,
        "allowed": allowed,
        "documents": documents,
        "can_upload": user.has_perm("servicing.add_loandocument"),
        "can_delete": user.has_perm("servicing.delete_loandocument"),
        "form": context.get("document_form") or DocumentUploadForm(),
        "csrf_token": context.get("csrf_token"),
        "today": today,
    }


@register.inclusion_tag("servicing/recovery_panel.html", takes_context=True)
def recovery_panel(context, loan):
    user = context["request"].user
    allowed = user.has_perm("servicing.view_collateralrecovery")
    result = {"loan": loan, "allowed": allowed}
    if allowed:
        result.update(
            decision=recourse_for(loan=loan),
            recoveries=list(CollateralRecovery.objects.filter(loan=loan).select_related("recorded_by")),
            cases=list(LegalCase.objects.filter(loan=loan)),
            can_record=user.has_perm("servicing.add_collateralrecovery") and recovery_can_be_recorded(loan),
            form=context.get("recovery_form") or RecoveryForm(initial={"recovered_on": timezone.localdate()}),
            csrf_token=context.get("csrf_token"),
        )
    return result


@register.inclusion_tag("servicing/escrow_due_card.html", takes_context=True)
def escrow_due_card(context, days: int = DUE_HORIZON_DAYS):
    user = context["request"].user
    allowed = user.has_perm("servicing.view_escrowdisbursement")
    until = timezone.localdate() + datetime.timedelta(days=days)
    rows, total = escrow_due_rows(until=until, today=timezone.localdate()) if allowed else ([], 0)
    return {
        "allowed": allowed,
        "rows": rows,
        "total": total,
        "until": until,
        "today": timezone.localdate(),
        "can_transfer": user.has_perm("servicing.view_servicingtransfer"),
        "can_see_payees": user.has_perm("servicing.view_escrowpayee"),
    }
