"""Leads (REG-2): "My leads", a lead's page with its contacts and status, reassignment by a sales manager, and the
operator page that shows what tonight's radar would do (item 4c). Thin: each calls one read or one service."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.decorators import post_only
from common.models import JobRun

from ..choices import LeadEvent, LeadStatus, RegisterEventKind
from ..contacts import ContactRefused
from ..forms import LeadContactForm, LeadExportForm, LeadReassignForm, LeadStatusForm, RadarPreviewForm
from ..leads import pages
from ..leads.export import leads_export_write
from ..leads.radar import JOB_NAME, maturity_radar_preview
from ..leads.work import (
    LeadRefused,
    lead_can_view,
    lead_contact_log,
    lead_reassign,
    lead_status_set,
    leads_reassign,
)

VIEW = "loanregister.view_lead"
EXPORT = "loanregister.export_leads"
REASSIGN = "loanregister.reassign_lead"


@require_GET
@permission_required(VIEW, raise_exception=True)
def leads_list(request: HttpRequest) -> HttpResponse:
    context = pages.leads_page_context(user=request.user, data=request.GET)
    context["reassign_form"] = LeadReassignForm() if context["can_reassign"] else None
    return render(request, "loanregister/leads/list.html", context)


def _lead(request: HttpRequest, pk: int):
    lead = pages.lead_for_page(pk=pk)
    if lead is None:
        raise Http404
    if not lead_can_view(request.user, lead):
        raise PermissionDenied
    return lead


def _detail(request: HttpRequest, lead, *, contact_form=None, status: int = 200) -> HttpResponse:
    context = pages.lead_page_context(lead=lead, user=request.user)
    context["contact_form"] = contact_form or LeadContactForm()
    context["reassign_form"] = (
        LeadReassignForm(initial={"assignee": lead.officer_id}) if context["can_reassign"] else None
    )
    return render(request, "loanregister/leads/detail.html", context, status=status)


@require_GET
@permission_required(VIEW, raise_exception=True)
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _lead(request, pk))


@post_only("loanregister:lead")
@permission_required(VIEW, raise_exception=True)
def lead_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    form = LeadContactForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead, contact_form=form, status=400)
    try:
        lead_contact_log(lead=lead, user=request.user, **form.cleaned_data)
    except ContactRefused as refused:  # the contact governor's cap (issue 10 item 4b)
        form.add_error(None, str(refused))
        return _detail(request, lead, contact_form=form, status=400)
    messages.success(request, _("The contact is logged."))
    return redirect("loanregister:lead", pk=lead.pk)


@post_only("loanregister:lead")
@permission_required(VIEW, raise_exception=True)
def lead_status_change(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status the lead may move to."))
        return redirect("loanregister:lead", pk=lead.pk)
    try:
        lead_status_set(
            lead=lead, status=form.cleaned_data["status"], user=request.user, note=form.cleaned_data["note"]
        )
    except LeadRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _("The lead is now %(status)s.") % {"status": LeadStatus(lead.status).label.lower()}
        )
    return redirect("loanregister:lead", pk=lead.pk)


@post_only("loanregister:lead")
@permission_required(REASSIGN, raise_exception=True)
def lead_reassign_one(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    form = LeadReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whom to give the lead."))
        return redirect("loanregister:lead", pk=lead.pk)
    try:
        lead_reassign(lead=lead, officer=form.cleaned_data["assignee"], user=request.user)
    except LeadRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The lead is reassigned."))
    return redirect("loanregister:lead", pk=lead.pk)


@post_only("loanregister:leads")
@permission_required(REASSIGN, raise_exception=True)
def leads_reassign_filtered(request: HttpRequest) -> HttpResponse:
    """Every open lead of the filter the manager was looking at (sent back as hidden fields) to one officer."""
    form = LeadReassignForm(request.POST)
    filterset = pages.leads_filterset(user=request.user, data=request.POST)
    back = reverse("loanregister:leads") + ("?" + request.POST["query"] if request.POST.get("query") else "")
    if not form.is_valid() or not filterset.is_valid():
        messages.error(request, _("Choose whom to give the leads."))
        return redirect(back)
    try:
        moved = leads_reassign(
            leads=pages.leads_filtered(filterset=filterset),
            officer=form.cleaned_data["assignee"],
            user=request.user,
        )
    except LeadRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Open leads reassigned: %(count)s.") % {"count": moved})
    return redirect(back)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def leads_download(request: HttpRequest) -> HttpResponse:
    """The leads of the "My leads" filter as CSV or XLSX (the export_leads file), logged."""
    form = LeadExportForm(request.GET)
    filterset = pages.leads_filterset(user=request.user, data=request.GET)
    query = request.GET.copy()
    query.pop("format", None)
    encoded = query.urlencode()
    # back to the list with its filter, unless the filter is longer than a redirect may be (then without it)
    back = reverse("loanregister:leads") + ("?" + encoded if encoded and len(encoded) <= 2000 else "")
    if not form.is_valid() or not filterset.is_valid():
        messages.error(request, _("Choose CSV or XLSX, and a filter that is valid."))
        return redirect(back)
    fmt = form.cleaned_data["format"]
    params = {key: query.getlist(key) for key in query}
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    _rows, _log, file_name = leads_export_write(
        leads=pages.leads_filtered(filterset=filterset), out=out, fmt=fmt, user=request.user, params=params
    )
    out.seek(0)
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(out, as_attachment=True, filename=file_name, content_type=content_type)


@require_GET
@permission_required("loanregister.preview_radar", raise_exception=True)
def radar_preview(request: HttpRequest) -> HttpResponse:
    """The operator page: what the radar would create, update and close for a business date (default today),
    and its last runs. It writes nothing."""
    form = RadarPreviewForm(request.GET or None)
    business_date = timezone.localdate()
    if form.is_valid() and form.cleaned_data["date"]:
        business_date = form.cleaned_data["date"]
    preview = maturity_radar_preview(business_date=business_date) if not form.errors else None
    if preview is not None:
        for step in (preview.created, preview.updated, preview.closed):
            for row in step.rows:
                row["event_label"] = LeadEvent(row["event"]).label
                if "status" in row:
                    row["status_label"] = LeadStatus(row["status"]).label
        preview.horizons = {
            str(RegisterEventKind(event).label): days for event, days in preview.horizons.items()
        }
    context = {
        "form": form if form.is_bound else RadarPreviewForm(initial={"date": business_date}),
        "preview": preview,
        "runs": list(JobRun.objects.filter(job=JOB_NAME).order_by("-business_date")[:10]),
    }
    return render(request, "loanregister/leads/radar.html", context)
