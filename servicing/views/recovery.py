"""Record a collateral recovery from the loan page (REC-1 to REC-3)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from common.decorators import post_only
from common.templatetags.money import format_money
from loanregister.models import Loan

from ..forms import RecoveryForm
from ..models import CollateralRecovery
from ..recovery import recovery_record


@post_only("loanregister:loan", fragment="#loan-recovery")
@permission_required("servicing.add_collateralrecovery", raise_exception=True)
def recovery_record_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(Loan, loan_number=loan_number)
    form = RecoveryForm(request.POST)
    if form.is_valid():
        try:
            recovery = recovery_record(
                loan=loan,
                recovered_on=form.cleaned_data["recovered_on"],
                recovered_value=form.cleaned_data["recovered_value"],
                description=form.cleaned_data["description"],
                assets_to_pursue=form.cleaned_data["assets_to_pursue"] or None,
                user=request.user,
                confirmed=form.cleaned_data["confirm_large"],
            )
        except ValidationError as exc:
            messages.error(request, _("Not recorded: %(errors)s") % {"errors": " ".join(exc.messages)})
        else:
            outcome = {
                CollateralRecovery.Outcome.NO_DEFICIENCY: _("The collateral covered the balance."),
                CollateralRecovery.Outcome.LEGAL_CASE: _("Deficiency %(amount)s: a legal case is opened."),
                CollateralRecovery.Outcome.WRITE_OFF: _("Deficiency %(amount)s: written off (non-recourse)."),
            }[recovery.outcome]
            messages.success(
                request, outcome % {"amount": format_money(recovery.deficiency, recovery.currency)}
            )
    else:
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields
        )
        messages.error(request, _("Not recorded: %(errors)s") % {"errors": errors})
    return redirect("loanregister:loan", loan_number=loan.loan_number)
