"""Servicing home (payments to post, payoff statements, escrow due), posting payments, reversals, payoff pages."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.decorators import post_only
from common.templatetags.money import format_money
from loanregister.models import Loan

from ..forms import PaymentForm, PayoffForm, ReversalForm, add_service_errors
from ..ledger import ledger_balances, payment_post, posting_reverse, suspense_apply
from ..models import PayoffStatement, Posting, PostingKind
from ..payoff import payoff_issue, payoff_payment_instructions, payoff_pdf

PAYOFF_DAYS_GOOD = 10
HOME_ROWS = 15
SUSPENSE_DAYS = 90
SUSPENSE_LOANS = 500


def _home_context(request: HttpRequest, *, payment_form: PaymentForm | None = None) -> dict:
    today = timezone.localdate()
    # Money received lately that no bucket took: bounded work whatever the size of the ledger (the payments of
    # the last SUSPENSE_DAYS, by the (kind, effective_date) index, then those loans' balances).
    recent_loans = (
        Posting.objects.filter(
            kind=PostingKind.PAYMENT, effective_date__gte=today - datetime.timedelta(days=SUSPENSE_DAYS)
        )
        .order_by("-effective_date")
        .values_list("loan_id", flat=True)[:SUSPENSE_LOANS]
    )
    held = [
        (loan_id, balances)
        for loan_id, balances in ledger_balances(loan_ids=set(recent_loans)).items()
        if balances.suspense != 0
    ]
    numbers = dict(Loan.objects.filter(pk__in=[pk for pk, _b in held]).values_list("pk", "loan_number"))
    suspense = sorted(
        (
            {"loan_number": numbers[pk], "held": balances.suspense, "currency": balances.currency}
            for pk, balances in held
        ),
        key=lambda row: -row["held"],
    )[:HOME_ROWS]
    return {
        "payment_form": payment_form or PaymentForm(initial={"received_on": today}),
        "payoff_form": PayoffForm(
            initial={"as_of": today, "good_through": today + datetime.timedelta(days=PAYOFF_DAYS_GOOD)}
        ),
        "recent_payments": Posting.objects.filter(kind=PostingKind.PAYMENT)
        .select_related("loan", "created_by")
        .prefetch_related("reversed_by")
        .order_by("-created_at", "-id")[:HOME_ROWS],
        "suspense": suspense,
        "suspense_days": SUSPENSE_DAYS,
        "payoffs_valid": PayoffStatement.objects.filter(good_through__gte=today)
        .select_related("loan", "issued_by")
        .order_by("good_through", "id")[:HOME_ROWS],
        "payoffs_recent": PayoffStatement.objects.select_related("loan", "issued_by")[:HOME_ROWS],
        "can_post": request.user.has_perm("servicing.add_posting"),
        "can_issue_payoff": request.user.has_perm("servicing.add_payoffstatement"),
        "today": today,
    }


@permission_required("servicing.view_posting", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "servicing/home.html", _home_context(request))


@post_only("servicing:home", fragment="#post-payment")
@permission_required("servicing.add_posting", raise_exception=True)
def payment_create(request: HttpRequest) -> HttpResponse:
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # payment_post returns the posting already made under a bank reference posted before: one made before this
        # moment was not made now.
        started = timezone.now()
        try:
            postings = payment_post(
                loan=data["loan"],
                amount=data["amount"],
                received_on=data["received_on"],
                external_id=data["reference"] or None,
                user=request.user,
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error, field_map={"external_id": "reference", "amount": "amount"})
        else:
            payment = postings[0]
            shown = {
                "amount": format_money(payment.amount, payment.currency),
                "loan": payment.loan.loan_number,
                "reference": payment.external_id,
            }
            if payment.created_at < started:
                messages.warning(
                    request,
                    _(
                        "Nothing was posted: bank reference %(reference)s was already posted on %(when)s "
                        "(%(amount)s to loan %(loan)s)."
                    )
                    % {
                        **shown,
                        "when": date_format(timezone.localtime(payment.created_at), "SHORT_DATETIME_FORMAT"),
                    },
                )
            else:
                messages.success(request, _("Payment of %(amount)s posted to loan %(loan)s.") % shown)
            return redirect(f"{reverse('loanregister:loan', args=[payment.loan.loan_number])}#loan-ledger")
    return render(request, "servicing/home.html", _home_context(request, payment_form=form), status=400)


@require_http_methods(["GET", "POST"])
@permission_required("servicing.reverse_posting", raise_exception=True)
def posting_reverse_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and the reason; POST reverses (SRV-4)."""
    posting = get_object_or_404(Posting.objects.select_related("loan"), pk=pk)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            posting_reverse(posting=posting, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error, field_map={"reason": "reason"})
        else:
            messages.success(request, _("The posting was reversed."))
            return redirect(f"{reverse('loanregister:loan', args=[posting.loan.loan_number])}#loan-ledger")
    context = {"posting": posting, "form": form, "applications": posting.applications.order_by("id")}
    return render(request, "servicing/posting_reverse.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required("servicing.add_payoffstatement", raise_exception=True)
def payoff_create(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    initial = {
        "loan": request.GET.get("loan", ""),
        "as_of": today,
        "good_through": today + datetime.timedelta(days=PAYOFF_DAYS_GOOD),
    }
    form = PayoffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            statement = payoff_issue(
                loan=data["loan"],
                as_of=data["as_of"],
                good_through=data["good_through"],
                user=request.user,
                requested_by=data["requested_by"],
            )
        except ValidationError as error:
            add_service_errors(form, error, field_map={"as_of": "as_of", "good_through": "good_through"})
        else:
            return redirect("servicing:payoff-detail", pk=statement.pk)
    return render(request, "servicing/payoff_form.html", {"form": form}, status=400 if form.errors else 200)


@permission_required("servicing.view_payoffstatement", raise_exception=True)
def payoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(
        PayoffStatement.objects.select_related("loan__borrower", "issued_by"), pk=pk
    )
    context = {
        "statement": statement,
        "loan": statement.loan,
        "instructions": payoff_payment_instructions(statement),
    }
    return render(request, "servicing/payoff_detail.html", context)


@permission_required("servicing.view_payoffstatement", raise_exception=True)
def payoff_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(
        PayoffStatement.objects.select_related("loan__borrower", "issued_by"), pk=pk
    )
    response = HttpResponse(payoff_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="payoff-{statement.loan.loan_number}-{statement.as_of.isoformat()}.pdf"'
    )
    return response


@post_only("loanregister:loan", fragment="#loan-ledger")
@permission_required("servicing.add_posting", raise_exception=True)
def suspense_apply_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    """Apply the loan's unapplied money to what is due now (the waterfall), from the ledger panel's button."""
    loan = get_object_or_404(Loan, loan_number=loan_number)
    postings = suspense_apply(loan=loan, on=timezone.localdate(), user=request.user)
    if postings:
        messages.success(request, _("Unapplied money was applied to what is due."))
    else:
        messages.info(request, _("Nothing is due that unapplied money could pay."))
    return redirect(f"{reverse('loanregister:loan', args=[loan.loan_number])}#loan-ledger")
