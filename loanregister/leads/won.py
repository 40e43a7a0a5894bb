"""A lead won by itself (issue 10 item 2): the borrower redeemed the loan and took a new one with us.

`leads_won_by_new_loans(loan_ids=…, on=…)` is called with the loans that have just come into the book: by the loan
import (its newly created loans) and by origination when it funds a loan. For each new loan it looks for a
**redeemed** loan (status `paid_off`) on the **same property** or of the **same borrower**, redeemed at most
**6 months** before `on` (the business date the new loan came in: `redeemed_on <= on <= redeemed_on + 6 months`,
months as PostgreSQL's interval adds them, clamped to the month's end like common.dates.add_months), whose lead
was open when it was redeemed. Such a lead becomes `won` (closed on `on`), and the new loan records it
(`Loan.origin_lead`, with a history record: "which lead renewed which loan").

- **Redeemed on**: the day (in settings.TIME_ZONE) of the loan's history record that made it `paid_off` the last
  time (`loan_status_set` writes one for every status change: the import, the ledger's payoff, recovery).
- **Open when redeemed**: the lead is `new`, `contacted` or `offer_made`; or it is `obsolete` and was closed on or
  after the redemption day, which is what the nightly radar does with the open leads of a loan that left the
  register. A lead closed by a person (won, lost, not interested) or made obsolete before the redemption stays so.
- Every open lead of the redeemed loan is won (a loan with a maturity and a rate-reset lead wins both). A new loan
  that several leads match records the one with the earliest event date; a new loan that already records a lead
  keeps it. A new loan never wins a lead of its own.

- **Campaigns**: the same renewal credits the retention campaign whose file held the redeemed loan (its row, or
  its household's), frozen on or before the redemption, the latest if several did: the campaign member records the
  new loan (`CampaignMember.won_loan`) and the new loan the campaign (`Loan.origin_campaign`), so a retention
  manager sees which campaign renewed which loans.

Set-based: one SELECT finds the pairs for all the loans given, one UPDATE (with its history rows, in the same
statement) wins the leads, one bulk write records them on the new loans. Call it inside the transaction that
writes the new loans, so that it is all-or-nothing with them.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.bulk import bulk_change
from common.users import system_user

from ..choices import OPEN_LEAD_STATUSES, LeadStatus, LoanStatus, Suppression
from ..models import Campaign, CampaignMember, Lead, Loan
from .radar import _with_history

WON_MONTHS = 6
WON_REASON = "won by a new loan"

_LOAN = Loan._meta.db_table
_LOAN_HISTORY = Loan.history.model._meta.db_table
_LEAD = Lead._meta.db_table
_OPEN = "(" + ", ".join(f"'{status.value}'" for status in OPEN_LEAD_STATUSES) + ")"
_PAID_OFF = f"'{LoanStatus.PAID_OFF.value}'"
_MEMBER = CampaignMember._meta.db_table
_CAMPAIGN = Campaign._meta.db_table

# The redeemed loans of the same borrower or property as each new loan (two joins, each served by the foreign
# key's index, rather than one join on an OR), with the day each was redeemed, within 6 months before `on`.
_BASE_SQL = f"""
WITH pairs AS (
    SELECT n.id AS new_id, o.id AS old_id
    FROM {_LOAN} n JOIN {_LOAN} o ON o.borrower_id = n.borrower_id
    WHERE n.id = ANY(%(ids)s) AND o.id <> n.id AND o.status = {_PAID_OFF}
    UNION
    SELECT n.id, o.id
    FROM {_LOAN} n JOIN {_LOAN} o ON o.property_id = n.property_id
    WHERE n.id = ANY(%(ids)s) AND o.id <> n.id AND o.status = {_PAID_OFF}
),
redeemed AS (
    SELECT old.old_id, (min(h.history_date) AT TIME ZONE %(tz)s)::date AS redeemed_on
    FROM (SELECT DISTINCT old_id FROM pairs) old
    JOIN {_LOAN_HISTORY} h ON h.id = old.old_id AND h.status = {_PAID_OFF}
    WHERE h.history_date > COALESCE(
        (SELECT max(p.history_date) FROM {_LOAN_HISTORY} p WHERE p.id = old.old_id AND p.status <> {_PAID_OFF}),
        '-infinity'
    )
    GROUP BY old.old_id
),
renewed AS (
    SELECT pairs.new_id, pairs.old_id, r.redeemed_on
    FROM pairs JOIN redeemed r ON r.old_id = pairs.old_id
    WHERE %(on)s BETWEEN r.redeemed_on AND (r.redeemed_on + interval '{WON_MONTHS} months')::date
)
"""
_PAIRS_SQL = f"""{_BASE_SQL}
SELECT renewed.new_id, l.id AS lead_id, l.event_date
FROM renewed JOIN {_LEAD} l ON l.loan_id = renewed.old_id
WHERE l.status IN {_OPEN}
   OR (l.status = '{LeadStatus.OBSOLETE.value}' AND l.closed_on >= renewed.redeemed_on)
ORDER BY renewed.new_id, l.event_date, l.id
"""
# The campaigns whose file held the redeemed loan (its row or its household's), frozen before it was redeemed: the
# latest is credited with the new loan.
_CAMPAIGN_SQL = f"""{_BASE_SQL}
SELECT DISTINCT ON (renewed.new_id) renewed.new_id, m.id AS member_id, m.campaign_id
FROM renewed
JOIN {_MEMBER} m ON m.loan_id = renewed.old_id AND m.reason IN ('', '{Suppression.HOUSEHOLD.value}')
JOIN {_CAMPAIGN} c ON c.id = m.campaign_id AND c.frozen_on <= renewed.redeemed_on
WHERE m.won_loan_id IS NULL
ORDER BY renewed.new_id, c.frozen_on DESC, m.campaign_id DESC
"""

_WIN_SQL = _with_history(
    f"""UPDATE {_LEAD} l SET status = '{LeadStatus.WON.value}', closed_on = %(on)s, status_changed_at = %(now)s,
        updated_at = %(now)s
        WHERE l.id = ANY(%(leads)s) AND l.status <> '{LeadStatus.WON.value}'""",
    "~",
)


def won_pairs(*, loan_ids: Iterable[int], on: datetime.date) -> list[tuple[int, int]]:
    """(new loan id, lead id) for every lead the new loans win, each new loan's by event date: a read, no write."""
    ids = sorted(set(loan_ids))
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL, {"ids": ids, "on": on, "tz": settings.TIME_ZONE})
        return [(new_id, lead_id) for new_id, lead_id, _event_date in cursor.fetchall()]


def won_campaigns(*, loan_ids: Iterable[int], on: datetime.date) -> list[tuple[int, int, int]]:
    """(new loan id, campaign member id, campaign id): the campaign each new loan is credited to, if any."""
    ids = sorted(set(loan_ids))
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_CAMPAIGN_SQL, {"ids": ids, "on": on, "tz": settings.TIME_ZONE})
        return [tuple(row) for row in cursor.fetchall()]


@transaction.atomic
def leads_won_by_new_loans(*, loan_ids: Iterable[int], on: datetime.date, user=None) -> int:
    """Win the leads of redeemed loans that the new loans `loan_ids` (brought in on the business date `on`)
    renew or refinance, and credit the campaigns that had them (see the module docstring); returns how many
    leads became won. `user` (None: the system) is named in the history of the leads and the loans. Re-running
    it changes nothing more."""
    loan_ids = list(loan_ids)
    pairs = won_pairs(loan_ids=loan_ids, on=on)
    campaigns = won_campaigns(loan_ids=loan_ids, on=on)
    if not pairs and not campaigns:
        return 0
    history_user = user if getattr(user, "pk", None) else system_user()
    now = timezone.now()
    won = 0
    if pairs:
        with connection.cursor() as cursor:
            cursor.execute(
                _WIN_SQL,
                {
                    "leads": sorted({lead_id for _new_id, lead_id in pairs}),
                    "on": on,
                    "now": now,
                    "reason": WON_REASON,
                    "user": history_user.pk,
                },
            )
            won = cursor.rowcount
    first_lead: dict[int, int] = {}
    for new_id, lead_id in pairs:  # ordered by event date: the first is the one a new loan records
        first_lead.setdefault(new_id, lead_id)
    campaign_of = {new_id: campaign_id for new_id, _member, campaign_id in campaigns}
    for new_id, member_id, _campaign in campaigns:
        CampaignMember.objects.filter(pk=member_id, won_loan__isnull=True).update(won_loan_id=new_id)
    recorded = list(
        Loan.objects.filter(pk__in=set(first_lead) | set(campaign_of))
        .order_by("pk")
        .select_for_update()
        .only("pk", "origin_lead", "origin_campaign", "updated_at")
    )
    changed = []
    for new_loan in recorded:
        before = (new_loan.origin_lead_id, new_loan.origin_campaign_id)
        new_loan.origin_lead_id = new_loan.origin_lead_id or first_lead.get(new_loan.pk)
        new_loan.origin_campaign_id = new_loan.origin_campaign_id or campaign_of.get(new_loan.pk)
        if (new_loan.origin_lead_id, new_loan.origin_campaign_id) != before:
            changed.append(new_loan)
    bulk_change(
        changed, Loan, ["origin_lead", "origin_campaign"], user=history_user, now=now, reason=WON_REASON
    )
    return won
