"""The contact log (docs/requirements.md §5): one record of every contact with a borrower, written here only.

Leads log their contacts through it now (purpose `marketing`); campaigns and collections cases add a nullable
link of their own to `ContactLog` and call `contact_log_add` too, so the contact governor sees every marketing
contact whoever made it. A contact is a record: it is never changed or deleted (the admin shows it read-only).
"""

import datetime

from django.db import transaction
from django.db.models import QuerySet

from .campaigns.governor import governor_refusal
from .choices import ContactChannel, ContactDirection, ContactOutcome, ContactPurpose
from .models import Borrower, Campaign, ContactLog, Lead, Loan


class ContactRefused(Exception):
    """The contact may not be logged: the contact governor's cap is reached (the message says until when)."""


@transaction.atomic
def contact_log_add(
    *,
    borrower: Borrower,
    channel: str,
    direction: str,
    purpose: str,
    contacted_on: datetime.date,
    outcome: str,
    note: str = "",
    user=None,
    loan: Loan | None = None,
    lead: Lead | None = None,
    campaign: Campaign | None = None,
) -> ContactLog:
    """Record one contact with `borrower` (about `loan`, on `lead` or for `campaign`, when given) by `user` (None:
    the system). An outgoing marketing contact over the contact governor's cap is refused (`ContactRefused`)."""
    for value, choices, name in (
        (channel, ContactChannel, "channel"),
        (direction, ContactDirection, "direction"),
        (purpose, ContactPurpose, "purpose"),
        (outcome, ContactOutcome, "outcome"),
    ):
        if value not in choices.values:
            raise ValueError(f"unknown contact {name} {value!r}")
    if lead is not None:
        if loan is None:
            loan = lead.loan
        elif loan.pk != lead.loan_id:
            raise ValueError("the contact's loan is not the lead's loan")
    if (
        loan is not None
        and borrower.pk != loan.borrower_id
        and not loan.co_borrowers.filter(pk=borrower.pk).exists()
    ):
        raise ValueError("the contact's borrower does not borrow on the loan")
    # One contact of a borrower at a time, so that two people logging at once cannot both pass the cap.
    Borrower.objects.select_for_update().filter(pk=borrower.pk).exists()
    refusal = governor_refusal(borrower_id=borrower.pk, purpose=purpose, direction=direction, on=contacted_on)
    if refusal:
        raise ContactRefused(refusal)
    return ContactLog.objects.create(
        borrower=borrower,
        loan=loan,
        lead=lead,
        campaign=campaign,
        channel=channel,
        direction=direction,
        purpose=purpose,
        contacted_on=contacted_on,
        outcome=outcome,
        note=note.strip(),
        user=user if getattr(user, "pk", None) else None,
    )


def contacts_log_campaign_sent(*, campaign: Campaign, on: datetime.date, user=None) -> tuple[int, list[str]]:
    """A mailing or e-mail campaign sent on `on`: one outgoing marketing contact (letter or e-mail, outcome
    `sent`) per row of its file, with the campaign, its leading loan and borrower, in one INSERT … SELECT.

    The freeze checked each borrower against the contact governor, but contacts logged since (a loan officer's
    call on a lead, another campaign's contact) may have brought a borrower to the cap: such a row is not logged
    (never a contact beyond the cap) and is reported instead. Returns (how many contacts were logged, the loan
    numbers of the rows left unlogged at the cap, in the file's order). Set-based: the file's borrowers are locked
    (as `contact_log_add` locks one), the rows at the cap read in one SELECT, the others inserted in one."""
    from django.db import connection
    from django.utils import timezone

    from .campaigns.governor import governor_get
    from .campaigns.models import CampaignMember

    governor = governor_get()
    channel = ContactChannel.LETTER if campaign.channel == "mailing" else ContactChannel.EMAIL
    member, contact = CampaignMember._meta.db_table, ContactLog._meta.db_table
    # a row's borrower's marketing contacts in the governor's period ending on `on` (both ends counting)
    had = f"""(SELECT count(*) FROM {contact} x
                WHERE x.borrower_id = m.borrower_id AND x.purpose = %s
                  AND x.contacted_on > %s::date - %s AND x.contacted_on <= %s)"""
    had_params = [ContactPurpose.MARKETING, on, governor.period_days, on]
    with connection.cursor() as cursor:
        # one contact of a borrower at a time (contact_log_add's lock), in one order so that no two deadlock
        cursor.execute(
            f"""SELECT b.id FROM {Borrower._meta.db_table} b
                WHERE b.id IN (SELECT m.borrower_id FROM {member} m WHERE m.campaign_id = %s AND m.reason = '')
                ORDER BY b.id FOR UPDATE""",
            [campaign.pk],
        )
        cursor.execute(
            f"""SELECT l.loan_number FROM {member} m JOIN {Loan._meta.db_table} l ON l.id = m.loan_id
                WHERE m.campaign_id = %s AND m.reason = '' AND {had} >= %s
                ORDER BY m.event_date, l.loan_number""",
            [campaign.pk, *had_params, governor.max_contacts],
        )
        at_cap = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"""INSERT INTO {contact} (borrower_id, loan_id, lead_id, campaign_id, channel,
                    direction, purpose, contacted_on, outcome, note, user_id, recorded_at)
                SELECT m.borrower_id, m.loan_id, NULL, m.campaign_id, %s, %s, %s, %s, %s, %s, %s, %s
                FROM {member} m WHERE m.campaign_id = %s AND m.reason = '' AND {had} < %s
                ORDER BY m.event_date, m.id""",
            [
                channel,
                ContactDirection.OUT,
                ContactPurpose.MARKETING,
                on,
                ContactOutcome.SENT,
                campaign.name[:200],
                user.pk if getattr(user, "pk", None) else None,
                timezone.now(),
                campaign.pk,
                *had_params,
                governor.max_contacts,
            ],
        )
        return cursor.rowcount, at_cap


def borrower_contacts(*, borrower: Borrower, purpose: str | None = None) -> QuerySet:
    """A borrower's contacts, newest first (`purpose`: only those, e.g. `marketing` for the contact governor)."""
    contacts = ContactLog.objects.filter(borrower=borrower).select_related("user", "loan", "lead")
    return contacts.filter(purpose=purpose) if purpose else contacts
