"""The loan page, by loan number (and by id, for links from records that only know the id)."""

from urllib.parse import urlsplit

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import Loan


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_detail(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(selectors.loan_queryset(), loan_number=loan_number)
    context = selectors.loan_page_context(loan=loan, user=request.user)
    context["back_url"] = register_back_url(request)
    return render(request, "loanregister/loan_detail.html", context)


BACK_MAX = 2000  # a register query string is far shorter; a longer one is not ours


def register_back_url(request: HttpRequest) -> str:
    """The way back to the register as the person left it (its filters, and the page they were on).

    From `?back=` (a register link may pass its own address), else from the Referer when the person came from the
    register; either only when it is the register of this site: never an open redirect. Otherwise the register.
    """
    register = reverse("loanregister:register")
    for candidate in (request.GET.get("back", ""), request.META.get("HTTP_REFERER", "")):
        if not candidate or len(candidate) > BACK_MAX:
            continue
        if not url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            continue
        parts = urlsplit(candidate)
        if parts.path == register:
            return f"{register}?{parts.query}" if parts.query else register
    return register


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan.objects.only("loan_number"), pk=pk)
    return redirect("loanregister:loan", loan_number=loan.loan_number)
