"""The contact governor (issue 10 item 4b): one limit on the marketing contacts a borrower gets, whoever makes them.

- **The cap**: at most `max_contacts` marketing contacts per borrower in any `period_days` (a fresh database: 2 per
  30 days), counted from the one contact log (`ContactLog`, purpose `marketing` only: servicing and collections
  contacts never count). The period is the `period_days` days ending on the contact's date (both ends counting).
  Every marketing contact counts, the borrower's own calls included; an outgoing one that would pass the cap is
  refused (`contact_log_add` asks `governor_refusal`), with a message that says when the borrower may be
  contacted again. An incoming contact (the borrower called us) is never refused: it is logged, and counts.
- **At a campaign's freeze** a borrower who has had `max_contacts` marketing contacts in the period ending on the
  freeze's date is left out (reason `contact_cap`), and so is one contacted by *another* campaign within
  `campaign_gap_days` (90; reason `recent_campaign`); see loanregister/campaigns/services.py.
- A borrower in collections is never in a campaign, and a do-not-contact borrower never in a campaign's file
  (services.py, export.py).

A retention manager sets the figures (the one `ContactGovernor` row, in the admin).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ..choices import ContactDirection, ContactPurpose
from .models import ContactGovernor


def governor_get() -> ContactGovernor:
    """The governor's row (a fresh database has it from migration 0019; made with the defaults if removed)."""
    return ContactGovernor.objects.order_by("pk").first() or ContactGovernor.objects.create(pk=1)


def marketing_contacts_in_period(*, borrower_id: int, on: datetime.date, governor: ContactGovernor) -> int:
    """How many marketing contacts the borrower had in the governor's period ending on `on`."""
    from ..models import ContactLog

    start = on - datetime.timedelta(days=governor.period_days - 1)
    return ContactLog.objects.filter(
        borrower_id=borrower_id,
        purpose=ContactPurpose.MARKETING,
        contacted_on__gte=start,
        contacted_on__lte=on,
    ).count()


def governor_refusal(*, borrower_id: int, purpose: str, direction: str, on: datetime.date) -> str | None:
    """Why a contact may not be logged under the cap (a message in the user's language), or None when it may."""
    if purpose != ContactPurpose.MARKETING or direction != ContactDirection.OUT:
        return None
    governor = governor_get()
    count = marketing_contacts_in_period(borrower_id=borrower_id, on=on, governor=governor)
    if count < governor.max_contacts:
        return None
    from ..models import ContactLog

    start = on - datetime.timedelta(days=governor.period_days - 1)
    dates = list(
        ContactLog.objects.filter(
            Q(contacted_on__gte=start) & Q(contacted_on__lte=on),
            borrower_id=borrower_id,
            purpose=ContactPurpose.MARKETING,
        )
        .order_by("-contacted_on")
        .values_list("contacted_on", flat=True)[: governor.max_contacts]
    )
    # the day the oldest of the last `max_contacts` contacts leaves the period
    again = dates[-1] + datetime.timedelta(days=governor.period_days) if dates else on
    return _(
        "The contact cap is reached: this borrower has had %(count)s marketing contacts in the %(days)s days up "
        "to %(date)s, and %(max)s are allowed. The next marketing contact may be made from %(again)s."
    ) % {
        "count": count,
        "days": governor.period_days,
        "date": on.isoformat(),
        "max": governor.max_contacts,
        "again": again.isoformat(),
    }


SET = "loanregister.change_contactgovernor"


@transaction.atomic
def governor_set(*, user, max_contacts: int, period_days: int, campaign_gap_days: int) -> ContactGovernor:
    """A retention manager sets the governor's figures (audited). They apply to the next contact and freeze."""
    if not user.has_perm(SET):
        raise PermissionDenied
    governor = ContactGovernor.objects.select_for_update().filter(pk=governor_get().pk).get()
    governor.max_contacts, governor.period_days, governor.campaign_gap_days = (
        max_contacts,
        period_days,
        campaign_gap_days,
    )
    governor.full_clean()
    governor._history_user = user
    governor.save()
    return governor
