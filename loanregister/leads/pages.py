"""Reads of leads for the pages: the "My leads" list with its counts per status and a lead's page (the loan
page reads its leads in selectors.py). No writes (those are in `work.py`)."""

from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone

from ..choices import OPEN_LEAD_STATUSES, LeadEvent, LeadStatus
from ..filters import LeadFilter
from ..models import Lead
from ..privacy import contact_for
from .conversion import conversion_figures
from .work import (
    REASSIGN,
    lead_assignable_officers,
    lead_can_reassign,
    lead_can_work,
    lead_next_statuses,
)

PAGE_SIZE = 50
# New first, then the others being worked, then the closed ones; within each, by event date.
_STATUS_RANK = Case(
    *[When(status=status, then=Value(rank)) for rank, status in enumerate(LeadStatus.values)],
    output_field=IntegerField(),
)


def leads_visible(user) -> QuerySet:
    """The leads a user may see: their own, or every lead with `reassign_lead` (sales managers, admins)."""
    leads = Lead.objects.all()
    return leads if user.has_perm(REASSIGN) else leads.filter(officer=user)


def leads_filterset(*, user, data) -> LeadFilter:
    """The page's filter over what the user may see; an officer's own leads ignore the officer filter."""
    data = data.copy() if hasattr(data, "copy") else dict(data)
    if not user.has_perm(REASSIGN):
        data.pop("officer", None)
    return LeadFilter(data=data, queryset=leads_visible(user))


def _statuses(filterset: LeadFilter) -> list[str]:
    if filterset.is_bound and filterset.form.is_valid() and filterset.form.cleaned_data.get("status"):
        return list(filterset.form.cleaned_data["status"])
    return [status.value for status in OPEN_LEAD_STATUSES]


def leads_filtered(*, filterset: LeadFilter) -> QuerySet:
    """The leads of the filter, statuses included (open ones when none is ticked); none while it is invalid."""
    if not filterset.is_valid():
        return Lead.objects.none()
    return _without_status(filterset).filter(status__in=_statuses(filterset))


def _without_status(filterset: LeadFilter) -> QuerySet:
    queryset = filterset.queryset
    for name, value in filterset.form.cleaned_data.items():
        if name != "status":
            queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def leads_page_context(*, user, data) -> dict:
    """The "My leads" page: counts per status (under the other filters), then the page's leads, new first and
    by event date."""
    filterset = leads_filterset(user=user, data=data)
    counts = {status: 0 for status in LeadStatus.values}
    rows: QuerySet = Lead.objects.none()
    if filterset.is_valid():
        for status, count in (
            _without_status(filterset).order_by().values_list("status").annotate(n=Count("id"))
        ):
            counts[status] = count
        rows = leads_filtered(filterset=filterset)
    rows = rows.select_related("loan", "loan__borrower", "loan__office", "officer").order_by(
        _STATUS_RANK, "event_date", "loan__loan_number", "event"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(data.get("page"))
    statuses = _statuses(filterset) if filterset.is_valid() else []
    query = QueryDict(mutable=True)
    for key in data:
        if key != "page":
            query.setlist(key, data.getlist(key) if hasattr(data, "getlist") else [data[key]])
    others = query.copy()
    others.pop("status", None)
    return {
        "filter": filterset,
        "page": page,
        "leads": list(page.object_list),
        "status_counts": [
            {
                "code": status,
                "label": label,
                "count": counts[status],
                "shown": status in statuses,
                "query": _with(others, status=[status]),
            }
            for status, label in LeadStatus.choices
        ],
        "open_query": _with(others, status=[status.value for status in OPEN_LEAD_STATUSES]),
        "shown_total": sum(counts[status] for status in statuses),
        "can_reassign": lead_can_reassign(user),
        "officers": list(lead_assignable_officers()) if lead_can_reassign(user) else [],
        "query": query.urlencode(),
        "filter_fields": [(key, value) for key in query for value in query.getlist(key)],
    }


def _with(query: QueryDict, **values: list[str]) -> str:
    changed = query.copy()
    for key, value in values.items():
        changed.setlist(key, value)
    return changed.urlencode()


def lead_history(*, lead: Lead) -> list[dict]:
    """The lead's changes, newest first: who, when, what it became, and why (the reason given)."""
    records = list(lead.history.select_related("history_user").order_by("-history_date", "-history_id"))
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            for change in record.diff_against(
                previous, excluded_fields=["status_changed_at", "created_at"]
            ).changes:
                changes.append(
                    {
                        "field": str(Lead._meta.get_field(change.field).verbose_name),
                        "name": change.field,
                        "old": change.old,
                        "new": change.new,
                    }
                )
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": record.history_type,
                "status": record.get_status_display(),
                "officer_id": record.officer_id,
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return entries


def lead_page_context(*, lead: Lead, user) -> dict:
    """A lead's page: the loan and borrower (contact details masked per role), the contacts logged, the statuses
    it may move to, who may be given it, and its history."""
    borrower = lead.loan.borrower
    return {
        "lead": lead,
        "loan": lead.loan,
        "borrower": borrower,
        "email": contact_for(user, borrower.email, "email"),
        "phone": contact_for(user, borrower.phone, "phone"),
        "address": contact_for(user, borrower.address, "address"),
        "contacts": list(lead.contacts.select_related("user").order_by("-contacted_on", "-id")),
        "next_statuses": [
            {"code": status, "label": LeadStatus(status).label} for status in lead_next_statuses(lead)
        ]
        if lead_can_work(user, lead)
        else [],
        "can_work": lead_can_work(user, lead),
        "can_reassign": lead_can_reassign(user) and lead.is_open,
        "officers": list(lead_assignable_officers()) if lead_can_reassign(user) else [],
        "history": lead_history(lead=lead),
        # a conversion lead shows what refinancing saves and when it has paid for itself (issue 10 item 4a)
        "conversion": _conversion(lead),
    }


def _conversion(lead: Lead) -> dict | None:
    if lead.event != LeadEvent.CONVERSION:
        return None
    today = timezone.localdate()
    figures = conversion_figures(lead.loan, on=today)
    if figures is None:
        return {"figures": None}
    return {"figures": figures, "on": today, "break_even_on": figures.break_even_on(today)}


def lead_for_page(*, pk: int) -> Lead | None:
    return (
        Lead.objects.select_related("loan", "loan__borrower", "loan__office", "officer").filter(pk=pk).first()
    )
