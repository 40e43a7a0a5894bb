"""The loan page, by loan number (and by id, for links from records that only know the id)."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import Loan


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_detail(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(selectors.loan_queryset(), loan_number=loan_number)
    return render(
        request, "loanregister/loan_detail.html", selectors.loan_page_context(loan=loan, user=request.user)
    )


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan.objects.only("loan_number"), pk=pk)
    return redirect("loanregister:loan", loan_number=loan.loan_number)
