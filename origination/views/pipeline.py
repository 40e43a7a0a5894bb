"""The pipeline page (issue 12 item 6): applications by state and office, the longest waiting first."""

import tempfile

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.models import ExportLog
from common.views import error_response

from ..access import applications_visible_to
from ..export import FORMATS, pipeline_export_to_file
from ..selectors import pipeline_context


@require_GET
@permission_required("origination.view_application", raise_exception=True)
def pipeline(request: HttpRequest) -> HttpResponse:
    return render(
        request, "origination/pipeline.html", pipeline_context(user=request.user, params=request.GET)
    )


@require_GET
@permission_required("origination.export_pipeline", raise_exception=True)
def pipeline_export(request: HttpRequest) -> HttpResponse:
    """The pipeline as CSV or XLSX: what the user may see (their office's, or all at the home office), in the
    export's order and columns (origination/export.py), logged as a web export."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return error_response(
            request,
            status=400,
            title=_("Not exported"),
            reason=_("The pipeline is exported as CSV or XLSX only."),
            advice=_("Use the export buttons on the applications page."),
        )
    handle = tempfile.TemporaryFile()
    with tempfile.NamedTemporaryFile(suffix=f".{fmt}") as target:
        _rows, log = pipeline_export_to_file(
            path=target.name,
            fmt=fmt,
            user=request.user,
            source=ExportLog.Source.WEB,
            applications=applications_visible_to(request.user),
        )
        handle.write(target.read())
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=log.file_name)
