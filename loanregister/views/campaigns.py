"""Retention campaigns' pages (issue 10 item 3): the list with results, a new campaign from a register filter, a
campaign's preview (draft) or snapshot (frozen) with its suppression counts, freezing, recording it as sent, and
its file. Thin: each calls one read or one service of loanregister.campaigns."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from common.decorators import post_only
from common.models import ExportLog

from ..campaigns import selectors
from ..campaigns.export import campaign_export_write
from ..campaigns.governor import SET as SET_GOVERNOR
from ..campaigns.governor import governor_get, governor_set
from ..campaigns.services import (
    BUILD,
    CONTACT,
    VIEW,
    CampaignRefused,
    campaign_can_export,
    campaign_can_freeze,
    campaign_can_log_contact,
    campaign_can_record_sent,
    campaign_contact_log,
    campaign_create,
    campaign_filters_clean,
    campaign_filterset,
    campaign_freeze,
    campaign_record_sent,
)
from ..choices import CampaignState
from ..contacts import ContactRefused
from ..forms import CampaignContactForm, CampaignExportForm, CampaignForm, ContactGovernorForm
from ..models import Campaign
from ..register import register_filterset


@require_GET
@permission_required(VIEW, raise_exception=True)
def campaigns_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(Campaign.objects.select_related("created_by").order_by("-created_at", "-id")[:200])
    rows = [
        {
            "campaign": campaign,
            "results": selectors.campaign_results(campaign=campaign) if campaign.is_frozen else None,
        }
        for campaign in campaigns
    ]
    return render(request, "loanregister/campaigns/list.html", {"rows": rows})


def _filter_summary(filters: dict) -> list[tuple[str, str]]:
    """The saved filter as (label, values) lines for the page."""
    fields = register_filterset(data={}).form.fields
    return [
        (str(fields[name].label) if name in fields else name, ", ".join(values) or "—")
        for name, values in filters.items()
    ]


@require_http_methods(["GET", "POST"])
@permission_required(BUILD, raise_exception=True)
def campaign_new(request: HttpRequest) -> HttpResponse:
    """GET: the form, its filter taken from the query (the register page's "Save as a campaign" link sends its
    own); POST: save the draft and go to its preview."""
    data = request.POST if request.method == "POST" else request.GET
    filters = campaign_filters_clean(data)
    filterset = register_filterset(data=filters)
    form = CampaignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and filterset.is_valid():
            try:
                campaign = campaign_create(
                    name=form.cleaned_data["name"],
                    channel=form.cleaned_data["channel"],
                    filters=filters,
                    user=request.user,
                )
            except CampaignRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("The campaign is saved. Check its preview, then freeze it."))
                return redirect("loanregister:campaign", pk=campaign.pk)
        status = 400
    return render(
        request,
        "loanregister/campaigns/new.html",
        {
            "form": form,
            "filter": filterset,
            "filter_invalid": filterset.is_bound and not filterset.is_valid(),
        },
        status=status,
    )


def _campaign(pk: int) -> Campaign:
    campaign = Campaign.objects.select_related("created_by", "frozen_by").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


@require_GET
@permission_required(VIEW, raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    context = {
        "campaign": campaign,
        "filter_summary": _filter_summary(campaign.filters),
        "can_freeze": campaign_can_freeze(request.user, campaign),
        "can_export": campaign_can_export(request.user, campaign),
        "can_record_sent": campaign_can_record_sent(request.user, campaign),
        "can_log_contact": campaign_can_log_contact(request.user, campaign),
    }
    if campaign.state == CampaignState.DRAFT:
        preview = selectors.campaign_preview(campaign=campaign, on=timezone.localdate())
        context.update(preview=preview, counts=preview.counts, rows=preview.rows)
        if not preview.filter_valid:
            context["filter_errors"] = campaign_filterset(campaign).errors
    else:
        members = (
            selectors.campaign_file_members(campaign=campaign)
            .select_related("loan", "borrower")
            .only("event_date", "household_loans", "loan__loan_number", "borrower__name")[:50]
        )
        context.update(
            counts=selectors.campaign_counts(campaign=campaign),
            rows=[
                {
                    "loan_number": m.loan.loan_number,
                    "borrower_name": m.borrower.name,
                    "event_date": m.event_date,
                    "household_loans": m.household_loans,
                }
                for m in members
            ],
            results=selectors.campaign_results(campaign=campaign),
        )
    return render(request, "loanregister/campaigns/detail.html", context)


@post_only("loanregister:campaign")
@permission_required(VIEW, raise_exception=True)
def campaign_freeze_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    try:
        rows = campaign_freeze(campaign=campaign, user=request.user)
    except CampaignRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The campaign is frozen: %(rows)s rows in its file.") % {"rows": rows})
    return redirect("loanregister:campaign", pk=campaign.pk)


@post_only("loanregister:campaign")
@permission_required(VIEW, raise_exception=True)
def campaign_sent_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    try:
        sent = campaign_record_sent(campaign=campaign, user=request.user)
    except CampaignRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Recorded as sent: %(count)s contacts logged.") % {"count": sent.logged})
        if sent.at_cap:
            shown = ", ".join(sent.at_cap[:20]) + (" …" if len(sent.at_cap) > 20 else "")
            messages.warning(
                request,
                ngettext(
                    "Not logged: %(count)s row whose borrower has reached the contact cap since the freeze "
                    "(loan %(loans)s). Contact them once the cap allows it, or leave them out.",
                    "Not logged: %(count)s rows whose borrower has reached the contact cap since the freeze "
                    "(loans %(loans)s). Contact them once the cap allows it, or leave them out.",
                    len(sent.at_cap),
                )
                % {"count": len(sent.at_cap), "loans": shown},
            )
    return redirect("loanregister:campaign", pk=campaign.pk)


def _contact_page(request: HttpRequest, campaign: Campaign, form: CampaignContactForm, status: int = 200):
    contacts = campaign.contacts.select_related("loan", "user").order_by("-contacted_on", "-id")[:20]
    return render(
        request,
        "loanregister/campaigns/contact.html",
        {"campaign": campaign, "form": form, "contacts": contacts},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@permission_required(VIEW, raise_exception=True)
def campaign_contact_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to log a contact with a member of a frozen campaign (`?loan=` fills in the loan number, as
    the campaign page's rows link it); POST: log it through the contact log, under the contact governor."""
    campaign = _campaign(pk)
    if not campaign_can_log_contact(request.user, campaign):
        if not request.user.has_perm(CONTACT):
            raise PermissionDenied
        messages.error(request, _("Freeze the campaign before logging contacts with its members."))
        return redirect("loanregister:campaign", pk=campaign.pk)
    if request.method == "GET":
        loan = request.GET.get("loan", "")
        form = CampaignContactForm(initial={"loan_number": loan[:40]})
        return _contact_page(request, campaign, form)
    form = CampaignContactForm(request.POST)
    if form.is_valid():
        try:
            campaign_contact_log(campaign=campaign, user=request.user, **form.cleaned_data)
        except (CampaignRefused, ContactRefused) as refused:  # not in the file; the contact governor's cap
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("The contact with loan %(number)s is logged.")
                % {"number": form.cleaned_data["loan_number"]},
            )
            return redirect("loanregister:campaign-contact", pk=campaign.pk)
    return _contact_page(request, campaign, form, status=400)


@require_GET
@permission_required(VIEW, raise_exception=True)
def campaign_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    if not request.user.has_perm("loanregister.export_campaign"):
        raise PermissionDenied
    form = CampaignExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("loanregister:campaign", pk=campaign.pk)
    if not campaign.is_frozen:
        messages.error(request, _("Freeze the campaign before exporting it."))
        return redirect("loanregister:campaign", pk=campaign.pk)
    fmt, dialect = form.cleaned_data["format"], form.cleaned_data["dialect"] or "plain"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    file_name = f"campaign_{campaign.pk}_{stamp}.{fmt}"
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    campaign_export_write(
        campaign=campaign,
        out=out,
        fmt=fmt,
        dialect=dialect,
        user=request.user,
        source=ExportLog.Source.WEB,
        file_name=file_name,
    )
    out.seek(0)
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(out, as_attachment=True, filename=file_name, content_type=content_type)


@require_http_methods(["GET", "POST"])
@permission_required(SET_GOVERNOR, raise_exception=True)
def contact_governor_edit(request: HttpRequest) -> HttpResponse:
    """The retention manager's page for the contact governor's figures."""
    governor = governor_get()
    initial = {
        "max_contacts": governor.max_contacts,
        "period_days": governor.period_days,
        "campaign_gap_days": governor.campaign_gap_days,
    }
    form = ContactGovernorForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            governor_set(user=request.user, **form.cleaned_data)
            messages.success(request, _("The contact governor is set."))
            return redirect("loanregister:contact-governor")
        return render(request, "loanregister/campaigns/governor.html", {"form": form}, status=400)
    return render(request, "loanregister/campaigns/governor.html", {"form": form})
