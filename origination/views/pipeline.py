"""The pipeline page (issue 12 item 6): applications by state and office, the longest waiting first."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import pipeline_context


@require_GET
@permission_required("origination.view_application", raise_exception=True)
def pipeline(request: HttpRequest) -> HttpResponse:
    return render(
        request, "origination/pipeline.html", pipeline_context(user=request.user, params=request.GET)
    )
