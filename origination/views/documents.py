"""An application's documents are served only to those who may see the application (never from a public URL)."""

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..access import applications_visible_to
from ..models import ApplicationDocument


@require_GET
@permission_required("origination.view_application", raise_exception=True)
def document_download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    document = ApplicationDocument.objects.filter(
        pk=pk, application__number=number, application__in=applications_visible_to(request.user)
    ).first()
    if document is None:
        raise Http404(_("No such document that you may see."))
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The document's file is missing from the archive.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
