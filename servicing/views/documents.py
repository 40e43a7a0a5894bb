"""Closing documents on the loan page (SRV-3): upload, download, delete once the retention period is over."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.decorators import post_only
from loanregister.models import Loan

from ..documents import document_delete, document_upload
from ..forms import DocumentUploadForm
from ..models import LoanDocument


@post_only("loanregister:loan", fragment="#loan-documents")
@permission_required("servicing.add_loandocument", raise_exception=True)
def document_upload_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = get_object_or_404(Loan.objects.select_related("property"), loan_number=loan_number)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        document = document_upload(
            loan=loan,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            user=request.user,
        )
        messages.success(request, _("Stored %(name)s.") % {"name": document.original_name})
    else:
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields
        )
        messages.error(request, _("The document was not stored: %(errors)s") % {"errors": errors})
    return redirect("loanregister:loan", loan_number=loan.loan_number)


def _document_loan_url(request: HttpRequest, pk: int) -> str:
    """Where a GET of a document's delete address goes: its loan's page (the number to those who see documents)."""
    if not request.user.has_perm("servicing.view_loandocument"):
        return reverse("home")
    document = get_object_or_404(LoanDocument.objects.select_related("loan"), pk=pk)
    return reverse("loanregister:loan", args=[document.loan.loan_number])


@require_GET
@permission_required("servicing.view_loandocument", raise_exception=True)
def document_download_view(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(LoanDocument, pk=pk)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name)


@post_only(_document_loan_url, fragment="#loan-documents")
@permission_required("servicing.delete_loandocument", raise_exception=True)
def document_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(LoanDocument.objects.select_related("loan"), pk=pk)
    loan_number = document.loan.loan_number
    try:
        document_delete(document=document)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Document deleted."))
    return redirect("loanregister:loan", loan_number=loan_number)
