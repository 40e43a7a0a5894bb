"""Reads of the loan book for the pages: the home page's figures and the loan page (the writes are in services.py;
the register's own reads, a larger set, are in register.py)."""

import datetime

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import formats, timezone

from common import hooks
from common.models import ImportRun, JobRun

from . import register_cache
from .choices import LeadStatus, LoanStatus
from .leads.work import lead_can_view
from .models import Lead, Loan
from .privacy import contact_for, national_id_for


def active_loans_count() -> int:
    """How many loans are active: a count over the whole book, cached under the register's version.

    Every write that changes a loan's status syncs its register events, which bumps the version, so a cached count
    is never read after such a write; `register_cache.TIMEOUT` bounds what bypasses the sync.
    """
    key = f"active-loans:{register_cache.current_version()}"
    count = cache.get(key)
    if count is None:
        count = Loan.objects.filter(status=LoanStatus.ACTIVE).count()
        cache.set(key, count, register_cache.TIMEOUT)
    return count


def home_summary(*, user) -> dict:
    """The first figures a person sees after signing in: their book and last night's work."""
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=90)
    summary: dict = {}
    if user.has_perm("loanregister.view_loan"):
        # one query over the officer's own loans (the officer index), not over the book
        mine = Loan.objects.filter(officer=user, status=LoanStatus.ACTIVE).aggregate(
            my_loans=Count("id"),
            my_maturing_90=Count("id", filter=Q(maturity_date__gte=today, maturity_date__lte=horizon)),
        )
        summary.update(mine)
        summary["active_loans"] = active_loans_count()
    if user.has_perm("loanregister.view_lead"):
        # the officer's lead index (officer, status, event_date): how many new leads wait
        summary["my_new_leads"] = Lead.objects.filter(officer=user, status=LeadStatus.NEW).count()
    if user.is_staff:
        summary["last_jobs"] = list(JobRun.objects.all()[:10])
        summary["last_imports"] = list(ImportRun.objects.all()[:10])
    return summary


# ---------------------------------------------------------------- the loan page

HISTORY_LIMIT = 50
# Fields whose change is not worth a line of history (bookkeeping of the history itself).
_HISTORY_SKIP = {"updated_at", "created_at"}


def loan_queryset() -> QuerySet:
    return Loan.objects.select_related("borrower", "property", "office", "officer", "servicer")


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the history row was written
        return name


def _display(record, name: str, value) -> str:
    if value in (None, ""):
        return "—"
    field = None
    try:
        field = record.instance._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.many_to_one:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else str(value)
    if field.many_to_many:
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return str(formats.localize(value))


def loan_history(*, loan: Loan, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The loan's history newest first: who, when, the kind of change, and each field's old → new value."""
    records = list(
        loan.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=_HISTORY_SKIP)
            for change in delta.changes:
                changes.append(
                    {
                        "name": change.field,
                        "field": _field_label(Loan, change.field),
                        "old": _display(record, change.field, change.old),
                        "new": _display(record, change.field, change.new),
                        "old_value": change.old,
                        "new_value": change.new,
                    }
                )
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": record.get_history_type_display(),
                "type_code": record.history_type,
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return entries


def loan_page_context(*, loan: Loan, user) -> dict:
    """What the loan page shows: terms, borrower (masked per role), property, servicer history (REG-4), register
    events, the audited change history (who, when, what changed) and the panels other apps add (common.hooks)."""
    borrower = loan.borrower
    return {
        "loan": loan,
        "borrower": borrower,
        "national_id": national_id_for(user, borrower.national_id),
        "email": contact_for(user, borrower.email, "email"),
        "phone": contact_for(user, borrower.phone, "phone"),
        "address": contact_for(user, borrower.address, "address"),
        "co_borrowers": [
            {"name": co.name, "national_id": national_id_for(user, co.national_id)}
            for co in loan.co_borrowers.all()
        ],
        "assignments": list(
            loan.servicer_assignments.select_related("servicer", "recorded_by").order_by("-since", "-id")
        ),
        "events": list(loan.register_events.order_by("event_date", "id")),
        "leads": [
            {"lead": lead, "can_open": lead_can_view(user, lead)}
            for lead in loan.leads.select_related("officer").order_by("-found_on", "-id")
        ]
        if user.has_perm("loanregister.view_lead")
        else [],
        "history": loan_history(loan=loan),
        "loan_panels": hooks.loan_panels(),
    }
