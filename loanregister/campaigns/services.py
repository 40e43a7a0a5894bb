"""Retention campaigns (issue 10 item 3): the writes, with who may make them.

- `campaign_create`: a retention user saves a register filter (loanregister/filters.py's `RegisterFilter`, read
  by `loanregister.register.register_filterset`: the register page's own filter, never a second one) as a draft
  campaign with a name and a channel.
- `campaign_freeze`: a retention manager freezes the members the filter selects on a business date into the
  snapshot (`CampaignMember`), in one `INSERT … SELECT` (fine at a million loans), each selected loan with the
  reason it is left out, if it is (the first that applies, in this order):

  1. `do_not_contact`: the borrower is marked do-not-contact;
  2. `in_collections`: the borrower has a loan in collections (any loan, selected or not);
  3. `not_active`: the loan is paid off or transferred (no longer active: the register leaves such loans out
     as soon as their status changes, so this catches a loan whose status changed since);
  4. `recent_campaign`: the borrower was contacted by another campaign within the governor's
     `campaign_gap_days` (90) before the freeze's date;
  5. `contact_cap`: the borrower has had the governor's `max_contacts` marketing contacts in its period;
  6. `household`: the loan is in a household's row led by another loan (below).

  **One row per household.** The loans that are not left out and share a borrower (the loan's borrower, not its
  co-borrowers) make one row, led by the loan whose event comes first (the earliest event date the filter selected,
  then the lowest loan number); the leading member carries `household_loans`, the count, and the file lists the
  others' loan numbers. A loan the filter selects for several events is one member, at its first event.
- `campaign_resuppress`: before an export, members whose borrower has since become do-not-contact or gone into
  collections are left out with that reason, so that such a borrower is never in a marketing file and the file
  is still exactly the snapshot.
- `campaign_record_sent`: a mailing or e-mail campaign sent: one marketing contact per row of the file in the
  contact log (with the campaign), which the contact governor and the next campaigns' 90 days read; a row whose
  borrower reached the contact cap since the freeze is not logged but reported.
- `campaign_contact_log`: a retention user logs one contact with a member of a frozen campaign (a phone
  campaign's call), through `contact_log_add` under the contact governor.

Every change to a campaign is audited (django-simple-history); the snapshot is the record of who was in it.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import (
    CampaignChannel,
    CampaignState,
    ContactDirection,
    ContactPurpose,
    LoanStatus,
    Suppression,
)
from ..register import register_events, register_filterset
from .governor import governor_get
from .models import Campaign, CampaignMember

BUILD = "loanregister.add_campaign"
VIEW = "loanregister.view_campaign"
FREEZE = "loanregister.freeze_campaign"
EXPORT = "loanregister.export_campaign"
# Logging a contact with a campaign's member (a phone campaign's calls): the retention team and manager.
CONTACT = "loanregister.change_campaign"
# The register filter's fields a campaign keeps: "only my loans" is about whoever looks, not a campaign.
_NOT_SAVED = {"mine", "cursor", "page", "ladder"}

_MEMBER = CampaignMember._meta.db_table


class CampaignRefused(Exception):
    """The change is not allowed (the message says why, in the user's language)."""


def campaign_can_freeze(user, campaign: Campaign) -> bool:
    return user.has_perm(FREEZE) and not campaign.is_frozen


def campaign_can_export(user, campaign: Campaign) -> bool:
    return user.has_perm(EXPORT) and campaign.is_frozen


def campaign_can_record_sent(user, campaign: Campaign) -> bool:
    return (
        user.has_perm(FREEZE)
        and campaign.is_frozen
        and campaign.sent_on is None
        and campaign.channel in (CampaignChannel.MAILING, CampaignChannel.EMAIL)
    )


def campaign_filters_clean(data) -> dict[str, list[str]]:
    """The register filter's parameters to keep from a request's data or a dict ({name: [values]}, blanks
    dropped; a date of the window sent empty is kept empty, so that the window stays open on that side)."""

    def values_of(name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return data.getlist(name)
        value = data.get(name, [])
        return [value] if isinstance(value, str | int) else list(value)

    kept: dict[str, list[str]] = {}
    for name in register_filterset(data={}).form.fields:
        if name in _NOT_SAVED or name not in data:
            continue
        values = [str(v).strip() for v in values_of(name) if str(v).strip()]
        if values:
            kept[name] = values
        elif name in ("date_from", "date_to"):
            kept[name] = [""]
    return kept


def campaign_filterset(campaign_or_filters: Campaign | dict):
    filters = (
        campaign_or_filters.filters if isinstance(campaign_or_filters, Campaign) else campaign_or_filters
    )
    return register_filterset(data=filters, request=None)


@transaction.atomic
def campaign_create(*, name: str, channel: str, filters: dict, user) -> Campaign:
    """Save a register filter as a draft campaign. The filter must be valid (its form says why not)."""
    if not user.has_perm(BUILD):
        raise PermissionDenied
    if channel not in CampaignChannel.values:
        raise CampaignRefused(_("Choose a channel: mailing, phone or e-mail."))
    filterset = campaign_filterset(filters)
    if not filterset.is_valid():
        raise CampaignRefused(_("The filter is not valid: correct it on the register page first."))
    campaign = Campaign(name=name.strip(), channel=channel, filters=filters, created_by=user)
    campaign._history_user = user
    campaign.full_clean()
    campaign.save()
    return campaign


# ------------------------------------------------------------------------------------------- the members' SQL


def members_sql(campaign: Campaign, *, on: datetime.date) -> tuple[str, list]:
    """The SELECT of the campaign's members on the business date `on`: (loan_id, borrower_id, event_date, reason,
    household_loans, loan_number), one row per selected loan, as the module docstring says; with its parameters.
    The freeze inserts it; the preview counts and shows it."""
    filterset = campaign_filterset(campaign)
    selected_sql, selected_params = (
        register_events(filterset=filterset).values("loan_id", "event_date").query.sql_with_params()
    )
    governor = governor_get()
    sql = f"""
        WITH selected AS (
            SELECT f.loan_id, min(f.event_date) AS event_date FROM ({selected_sql}) f GROUP BY f.loan_id
        ),
        checked AS (
            SELECT s.loan_id, l.borrower_id, s.event_date, l.loan_number,
                CASE
                    WHEN b.do_not_contact THEN '{Suppression.DO_NOT_CONTACT.value}'
                    WHEN EXISTS (
                        SELECT 1 FROM loanregister_loan c WHERE c.borrower_id = l.borrower_id AND c.in_collections
                    ) THEN '{Suppression.IN_COLLECTIONS.value}'
                    WHEN l.status <> '{LoanStatus.ACTIVE.value}' THEN '{Suppression.NOT_ACTIVE.value}'
                    WHEN EXISTS (
                        SELECT 1 FROM loanregister_contactlog x
                        WHERE x.borrower_id = l.borrower_id AND x.purpose = '{ContactPurpose.MARKETING.value}'
                          AND x.campaign_id IS NOT NULL AND x.campaign_id <> %s
                          AND x.contacted_on > %s::date - %s AND x.contacted_on <= %s
                    ) THEN '{Suppression.RECENT_CAMPAIGN.value}'
                    WHEN (
                        SELECT count(*) FROM loanregister_contactlog x
                        WHERE x.borrower_id = l.borrower_id AND x.purpose = '{ContactPurpose.MARKETING.value}'
                          AND x.contacted_on > %s::date - %s AND x.contacted_on <= %s
                    ) >= %s THEN '{Suppression.CONTACT_CAP.value}'
                    ELSE ''
                END AS reason
            FROM selected s
            JOIN loanregister_loan l ON l.id = s.loan_id
            JOIN loanregister_borrower b ON b.id = l.borrower_id
        ),
        ranked AS (
            SELECT c.*,
                row_number() OVER (
                    PARTITION BY c.borrower_id, c.reason = '' ORDER BY c.event_date, c.loan_number
                ) AS place,
                count(*) FILTER (WHERE c.reason = '') OVER (PARTITION BY c.borrower_id) AS household
            FROM checked c
        )
        SELECT loan_id, borrower_id, event_date,
            CASE WHEN reason = '' AND place > 1 THEN '{Suppression.HOUSEHOLD.value}' ELSE reason END AS reason,
            CASE WHEN reason = '' AND place = 1 THEN household ELSE 0 END AS household_loans,
            loan_number
        FROM ranked
    """
    params = [
        *selected_params,
        campaign.pk or 0,
        on,
        governor.campaign_gap_days,
        on,
        on,
        governor.period_days,
        on,
        governor.max_contacts,
    ]
    return sql, params


@transaction.atomic
def campaign_freeze(*, campaign: Campaign, user, on: datetime.date | None = None) -> int:
    """Freeze the campaign's members on the business date `on` (today) into its snapshot; returns how many rows
    its file will have (one per household). Only a draft is frozen, once, by a user with `freeze_campaign`."""
    if not user.has_perm(FREEZE):
        raise PermissionDenied
    on = on or timezone.localdate()
    current = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if current.is_frozen:
        raise CampaignRefused(_("The campaign is frozen already."))
    if not campaign_filterset(current).is_valid():
        raise CampaignRefused(_("The campaign's filter is not valid any more; make a new campaign."))
    sql, params = members_sql(current, on=on)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {_MEMBER} (campaign_id, loan_id, borrower_id, event_date, reason, household_loans)
                SELECT %s, loan_id, borrower_id, event_date, reason, household_loans FROM ({sql}) m""",
            [current.pk, *params],
        )
    current.state = CampaignState.FROZEN
    current.frozen_on = on
    current.frozen_at = timezone.now()
    current.frozen_by = user
    current._history_user = user
    current._change_reason = "frozen"
    current.save()
    campaign.state, campaign.frozen_on, campaign.frozen_at, campaign.frozen_by = (
        current.state,
        current.frozen_on,
        current.frozen_at,
        current.frozen_by,
    )
    return CampaignMember.objects.filter(campaign=current, reason="").count()


def campaign_resuppress(*, campaign: Campaign) -> int:
    """Leave out the members whose borrower has become do-not-contact or gone into collections since the freeze
    (their household's row goes with them); returns how many members it left out. Call inside the export's
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {_MEMBER} m SET household_loans = 0,
                    reason = CASE WHEN b.do_not_contact THEN '{Suppression.DO_NOT_CONTACT.value}'
                                  ELSE '{Suppression.IN_COLLECTIONS.value}' END
                FROM loanregister_borrower b
                WHERE m.campaign_id = %s AND m.reason IN ('', '{Suppression.HOUSEHOLD.value}')
                  AND b.id = m.borrower_id
                  AND (b.do_not_contact OR EXISTS (
                      SELECT 1 FROM loanregister_loan c WHERE c.borrower_id = m.borrower_id AND c.in_collections))""",
            [campaign.pk],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class SentRecord:
    """A campaign recorded as sent: how many contacts were logged, and the rows left unlogged because their
    borrower reached the contact cap since the freeze (their loan numbers, in the file's order)."""

    logged: int
    at_cap: list[str] = field(default_factory=list)


@transaction.atomic
def campaign_record_sent(*, campaign: Campaign, user, on: datetime.date | None = None) -> SentRecord:
    """Record a frozen mailing or e-mail campaign as sent on `on`: one marketing contact per row of its file, in
    the one contact log, once -- but none beyond the contact cap: a row whose borrower has had the governor's
    `max_contacts` marketing contacts in its period by `on` (contacts logged since the freeze) is not logged and
    is reported in `SentRecord.at_cap`."""
    from ..contacts import contacts_log_campaign_sent

    current = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign_can_record_sent(user, current):
        if not user.has_perm(FREEZE):
            raise PermissionDenied
        raise CampaignRefused(_("Only a frozen mailing or e-mail campaign not yet sent is recorded as sent."))
    on = on or timezone.localdate()
    logged, at_cap = contacts_log_campaign_sent(campaign=current, on=on, user=user)
    current.sent_on = on
    current._history_user = user
    current._change_reason = "sent"
    current.save()
    campaign.sent_on = on
    return SentRecord(logged=logged, at_cap=at_cap)


def campaign_can_log_contact(user, campaign: Campaign) -> bool:
    return user.has_perm(CONTACT) and campaign.is_frozen


@transaction.atomic
def campaign_contact_log(
    *,
    campaign: Campaign,
    loan_number: str,
    user,
    channel: str,
    outcome: str,
    contacted_on: datetime.date,
    direction: str = ContactDirection.OUT,
    note: str = "",
):
    """A retention user logs a contact with a member of a frozen campaign (a phone campaign's call, say): one
    marketing contact in the contact log with the campaign, the member's loan and borrower, through
    `contact_log_add` -- so the contact governor's cap applies (`ContactRefused`) and the campaign's results
    count it. The loan must be in the campaign's file (a row, or a loan of a household's row)."""
    from ..contacts import contact_log_add

    if not user.has_perm(CONTACT):
        raise PermissionDenied
    if not campaign.is_frozen:
        raise CampaignRefused(_("Freeze the campaign before logging contacts with its members."))
    member = (
        CampaignMember.objects.select_related("borrower", "loan")
        .filter(
            campaign=campaign,
            loan__loan_number=loan_number.strip(),
            reason__in=["", Suppression.HOUSEHOLD],
        )
        .first()
    )
    if member is None:
        raise CampaignRefused(
            _("Loan %(number)s is not in this campaign's file.") % {"number": loan_number.strip()}
        )
    if contacted_on < campaign.frozen_on:
        raise CampaignRefused(
            _("A contact for the campaign is made on or after its freeze (%(date)s).")
            % {"date": campaign.frozen_on.isoformat()}
        )
    if direction == ContactDirection.OUT and member.borrower.do_not_contact:
        raise CampaignRefused(_("The borrower is marked do-not-contact: no marketing contact may be made."))
    return contact_log_add(
        borrower=member.borrower,
        loan=member.loan,
        campaign=campaign,
        channel=channel,
        direction=direction,
        purpose=ContactPurpose.MARKETING,
        contacted_on=contacted_on,
        outcome=outcome,
        note=note,
        user=user,
    )
