"""Working a lead (REG-2): the writes people make, with the rules that say whether they may.

- `lead_status_set`: an officer moves their lead along `LEAD_TRANSITIONS` (new → contacted → offer made → won, or
  lost / not interested from any open status); a closed lead stays closed.
- `lead_contact_log`: a contact on the lead, in the one contact log (purpose `marketing`).
- `lead_reassign` and `leads_reassign`: a sales manager gives one lead, or every open lead of a filter, to another
  officer or back to the unassigned queue.

Every change is audited: a history record (simple-history) naming who, when and what, the reason included.
Who may: the lead's own officer works it; a user with `reassign_lead` (sales manager, admin) sees, works and
reassigns every lead, the unassigned queue's included.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import bulk_change

from ..choices import OPEN_LEAD_STATUSES, LeadStatus
from ..contacts import contact_log_add
from ..models import ContactLog, Lead
from ..roles import LOAN_OFFICER, SALES_MANAGER

VIEW = "loanregister.view_lead"
WORK = "loanregister.work_lead"
REASSIGN = "loanregister.reassign_lead"

LEAD_TRANSITIONS: dict[str, tuple[str, ...]] = {
    LeadStatus.NEW: (
        LeadStatus.CONTACTED,
        LeadStatus.OFFER_MADE,
        LeadStatus.WON,
        LeadStatus.LOST,
        LeadStatus.NOT_INTERESTED,
    ),
    LeadStatus.CONTACTED: (LeadStatus.OFFER_MADE, LeadStatus.WON, LeadStatus.LOST, LeadStatus.NOT_INTERESTED),
    LeadStatus.OFFER_MADE: (LeadStatus.WON, LeadStatus.LOST, LeadStatus.NOT_INTERESTED),
}
# `obsolete` is the radar's to set (the event left the register), never a person's.


class LeadRefused(Exception):
    """The change is not allowed (the message says why, in the user's language)."""


def lead_can_view(user, lead: Lead) -> bool:
    return user.has_perm(VIEW) and (lead.officer_id == user.pk or user.has_perm(REASSIGN))


def lead_can_work(user, lead: Lead) -> bool:
    return user.has_perm(WORK) and (lead.officer_id == user.pk or user.has_perm(REASSIGN))


def lead_can_reassign(user) -> bool:
    return user.has_perm(REASSIGN)


def lead_next_statuses(lead: Lead) -> tuple[str, ...]:
    """The statuses the lead may move to from where it is (none once it is closed)."""
    return LEAD_TRANSITIONS.get(lead.status, ())


def lead_assignable_officers() -> QuerySet:
    """Who may be given leads: active loan officers and sales managers, with their office (staff profile)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[LOAN_OFFICER, SALES_MANAGER])
        .distinct()
        .select_related("staff_profile__office")
        .order_by("username")
    )


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _save_with_history(lead: Lead, fields: list[str], *, user, reason: str) -> None:
    lead._history_user = user
    lead._change_reason = reason[:100]
    lead.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def lead_status_set(*, lead: Lead, status: str, user, note: str = "") -> Lead:
    """Move the lead to `status` if its current status allows it and the user may work it; returns the lead as
    stored (the instance given is updated too)."""
    current = _locked(lead)
    if not lead_can_work(user, current):
        raise PermissionDenied
    if status not in lead_next_statuses(current):
        raise LeadRefused(
            _("A lead that is %(current)s cannot become %(new)s.")
            % {"current": current.get_status_display(), "new": LeadStatus(status).label}
            if status in LeadStatus.values
            else _("Unknown status.")
        )
    current.status = status
    current.status_changed_at = timezone.now()
    current.closed_on = None if status in OPEN_LEAD_STATUSES else timezone.localdate()
    _save_with_history(
        current, ["status", "status_changed_at", "closed_on"], user=user, reason=note or status
    )
    lead.status, lead.status_changed_at, lead.closed_on = (
        current.status,
        current.status_changed_at,
        current.closed_on,
    )
    return current


@transaction.atomic
def lead_contact_log(
    *, lead: Lead, user, channel: str, direction: str, contacted_on, outcome: str, note: str = ""
) -> ContactLog:
    """Log a contact made on the lead (the contact log of docs/requirements.md §5, purpose `marketing`)."""
    current = Lead.objects.select_related("loan__borrower").get(pk=lead.pk)
    if not lead_can_work(user, current):
        raise PermissionDenied
    return contact_log_add(
        borrower=current.loan.borrower,
        loan=current.loan,
        lead=current,
        channel=channel,
        direction=direction,
        purpose="marketing",
        contacted_on=contacted_on,
        outcome=outcome,
        note=note,
        user=user,
    )


def _check_officer(officer) -> None:
    if officer is not None and not lead_assignable_officers().filter(pk=officer.pk).exists():
        raise LeadRefused(_("%(user)s cannot be given leads.") % {"user": officer.get_username()})


@transaction.atomic
def lead_reassign(*, lead: Lead, officer, user) -> Lead:
    """Give an open lead to `officer` (None: the unassigned queue). The new officer hears of it in their next
    digest while it is new."""
    if not lead_can_reassign(user):
        raise PermissionDenied
    _check_officer(officer)
    current = _locked(lead)
    if current.status not in OPEN_LEAD_STATUSES:
        raise LeadRefused(_("A closed lead is not reassigned."))
    if current.officer_id == (officer.pk if officer else None):
        return current
    current.officer = officer
    current.digest = None
    reason = f"reassigned to {officer.get_username()}" if officer else "reassigned to the unassigned queue"
    _save_with_history(current, ["officer", "digest"], user=user, reason=reason)
    lead.officer, lead.digest = current.officer, None
    return current


@transaction.atomic
def leads_reassign(*, leads: QuerySet, officer, user) -> int:
    """Give every open lead of `leads` (a filter's worth) to `officer` (None: the unassigned queue), set-based
    with a history record each; returns how many changed owner."""
    if not lead_can_reassign(user):
        raise PermissionDenied
    _check_officer(officer)
    target = officer.pk if officer else None
    ids = list(
        leads.order_by()
        .filter(status__in=OPEN_LEAD_STATUSES)
        .exclude(Q(officer_id=target) if target is not None else Q(officer__isnull=True))
        .values_list("pk", flat=True)
    )
    changed = list(
        Lead.objects.filter(pk__in=ids, status__in=OPEN_LEAD_STATUSES)
        .order_by("pk")
        .select_for_update()
        .only("pk", "officer", "digest", "updated_at")
    )
    for row in changed:
        row.officer_id = target
        row.digest_id = None
    reason = f"reassigned to {officer.get_username()}" if officer else "reassigned to the unassigned queue"
    bulk_change(changed, Lead, ["officer", "digest"], user=user, now=timezone.now(), reason=reason)
    return len(changed)
