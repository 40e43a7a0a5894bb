"""Escrow on the loan page (SRV-1): open the account, schedule a disbursement to a payee."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.decorators import post_only
from loanregister.models import Loan

from ..escrow import escrow_account_open, escrow_disbursement_schedule
from ..forms import DisbursementForm, form_errors_text
from ..models import EscrowAccount


@post_only("loanregister:loan", fragment="#loan-escrow")
@permission_required("servicing.add_escrowaccount", raise_exception=True)
def escrow_open_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(Loan, loan_number=loan_number)
    escrow_account_open(loan=loan, opened_on=timezone.localdate())
    messages.success(request, _("Escrow account opened."))
    return redirect("loanregister:loan", loan_number=loan.loan_number)


@post_only("loanregister:loan", fragment="#loan-escrow")
@permission_required("servicing.add_escrowdisbursement", raise_exception=True)
def escrow_disbursement_add_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(Loan, loan_number=loan_number)
    account = get_object_or_404(EscrowAccount, loan=loan)
    form = DisbursementForm(request.POST)
    if form.is_valid():
        try:
            disbursement = escrow_disbursement_schedule(
                account=account, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Disbursement to %(payee)s scheduled for %(date)s.")
                % {
                    "payee": disbursement.payee,
                    "date": date_format(disbursement.due_date, "SHORT_DATE_FORMAT"),
                },
            )
    else:
        messages.error(request, _("Not scheduled: %(errors)s") % {"errors": form_errors_text(form)})
    return redirect("loanregister:loan", loan_number=loan.loan_number)
