"""The contact log (docs/requirements.md §5): one record of every contact with a borrower, written here only.

Leads log their contacts through it now (purpose `marketing`); campaigns and collections cases add a nullable
link of their own to `ContactLog` and call `contact_log_add` too, so the contact governor sees every marketing
contact whoever made it. A contact is a record: it is never changed or deleted (the admin shows it read-only).
"""

import datetime

from django.db.models import QuerySet

from .choices import ContactChannel, ContactDirection, ContactOutcome, ContactPurpose
from .models import Borrower, ContactLog, Lead, Loan


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
) -> ContactLog:
    """Record one contact with `borrower` (about `loan`, on `lead`, when given) by `user` (None: the system)."""
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
    return ContactLog.objects.create(
        borrower=borrower,
        loan=loan,
        lead=lead,
        channel=channel,
        direction=direction,
        purpose=purpose,
        contacted_on=contacted_on,
        outcome=outcome,
        note=note.strip(),
        user=user if getattr(user, "pk", None) else None,
    )


def borrower_contacts(*, borrower: Borrower, purpose: str | None = None) -> QuerySet:
    """A borrower's contacts, newest first (`purpose`: only those, e.g. `marketing` for the contact governor)."""
    contacts = ContactLog.objects.filter(borrower=borrower).select_related("user", "loan", "lead")
    return contacts.filter(purpose=purpose) if purpose else contacts
