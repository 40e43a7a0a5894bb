"""Escrow (SRV-1): on the loan page, open the account and schedule a disbursement to a payee; the payees page."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.decorators import post_only
from loanregister.models import Loan
from loanregister.selectors import loan_page_context, loan_queryset

from ..escrow import escrow_account_open, escrow_disbursement_schedule, escrow_payee_create
from ..forms import DisbursementForm, EscrowPayeeForm, add_service_errors
from ..models import EscrowAccount, EscrowPayee


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
            add_service_errors(
                form, exc, field_map={"amount": "amount", "due_date": "due_date", "payee": "payee"}
            )
        else:
            messages.success(
                request,
                _("Disbursement to %(payee)s scheduled for %(date)s.")
                % {
                    "payee": disbursement.payee,
                    "date": date_format(disbursement.due_date, "SHORT_DATE_FORMAT"),
                },
            )
            return redirect("loanregister:loan", loan_number=loan.loan_number)
    # refused: the loan page again, with the form as it was typed and what to correct beside each field
    context = loan_page_context(loan=get_object_or_404(loan_queryset(), pk=loan.pk), user=request.user)
    context["escrow_form"] = form
    return render(request, "loanregister/loan_detail.html", context, status=400)


PAYEES_PER_PAGE = 100


@require_http_methods(["GET", "POST"])
@permission_required("servicing.view_escrowpayee", raise_exception=True)
def escrow_payees_view(request: HttpRequest) -> HttpResponse:
    """The payees escrow pays (insurers, property tax), and the form that adds one (servicing staff)."""
    can_add = request.user.has_perm("servicing.add_escrowpayee")
    if request.method == "POST" and not can_add:
        raise PermissionDenied
    form = EscrowPayeeForm(request.POST or None) if can_add else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            payee = escrow_payee_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={name: name for name in form.fields})
        else:
            messages.success(request, _("%(name)s was added as a payee.") % {"name": payee.name})
            return redirect("servicing:escrow-payees")
    payees = Paginator(EscrowPayee.objects.order_by("-active", "name", "id"), PAYEES_PER_PAGE)
    context = {"form": form, "page": payees.get_page(request.GET.get("page"))}
    return render(
        request, "servicing/escrow_payees.html", context, status=400 if form and form.errors else 200
    )
