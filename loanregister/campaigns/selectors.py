"""Retention campaigns: the reads for the pages and the export (no writes).

- `campaign_preview`: what a freeze on a date would give, by the very SELECT the freeze inserts
  (`services.members_sql`): the count per reason and the first rows of the file.
- `campaign_counts`: a frozen campaign's snapshot, counted per reason (the suppression counts shown before the
  export).
- `campaign_results`: members, contacted, won, lost and the conversion rate.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet

from ..choices import LoanStatus, Suppression
from .models import Campaign, CampaignMember
from .services import members_sql

PREVIEW_ROWS = 50
# The reasons a loan is left out, in the order they are checked (services.py), then the household fold.
REASONS = [choice.value for choice in Suppression]


@dataclass
class CampaignCounts:
    """Rows of the file (households), and the loans left out per reason (every reason, zeros included)."""

    rows: int = 0
    selected: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)

    def reasons(self) -> list[tuple[str, str, int]]:
        """(code, label, count) for every reason, in the order they are checked."""
        return [(code, Suppression(code).label, self.suppressed.get(code, 0)) for code in REASONS]


@dataclass
class CampaignPreview:
    on: datetime.date
    counts: CampaignCounts
    rows: list[dict]
    filter_valid: bool = True


def _counts(pairs) -> CampaignCounts:
    counts = CampaignCounts(suppressed={code: 0 for code in REASONS})
    for reason, number in pairs:
        counts.selected += number
        if reason:
            counts.suppressed[reason] = number
        else:
            counts.rows = number
    return counts


def campaign_preview(*, campaign: Campaign, on: datetime.date, limit: int = PREVIEW_ROWS) -> CampaignPreview:
    """What freezing the campaign on `on` would give: nothing is written."""
    from .services import campaign_filterset

    if not campaign_filterset(campaign).is_valid():
        return CampaignPreview(on=on, counts=_counts([]), rows=[], filter_valid=False)
    sql, params = members_sql(campaign, on=on)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reason, count(*) FROM ({sql}) m GROUP BY reason", params)
        counts = _counts(cursor.fetchall())
        cursor.execute(
            f"""SELECT m.loan_number, b.name AS borrower_name, m.event_date, m.household_loans
                FROM ({sql}) m JOIN loanregister_borrower b ON b.id = m.borrower_id
                WHERE m.reason = '' ORDER BY m.event_date, m.loan_number LIMIT %s""",
            [*params, limit],
        )
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return CampaignPreview(on=on, counts=counts, rows=rows)


def campaign_counts(*, campaign: Campaign) -> CampaignCounts:
    """The frozen snapshot's rows and its loans left out per reason."""
    pairs = (
        CampaignMember.objects.filter(campaign=campaign)
        .order_by()
        .values_list("reason")
        .annotate(number=Count("id"))
    )
    return _counts(pairs)


def campaign_file_members(*, campaign: Campaign) -> QuerySet:
    """The members that are rows of the file (one per household), in the file's order."""
    return CampaignMember.objects.filter(campaign=campaign, reason="").order_by(
        "event_date", "loan__loan_number"
    )


@dataclass
class CampaignResults:
    members: int
    contacted: int
    won: int
    lost: int

    @property
    def conversion_rate(self) -> Decimal | None:
        """Won households per household in the file, in per cent (one decimal); None while the file is empty."""
        if not self.members:
            return None
        return (Decimal(self.won) * 100 / self.members).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def campaign_results(*, campaign: Campaign) -> CampaignResults:
    """A campaign's results, by household (borrower):

    - members: rows of the file;
    - contacted: households with a contact for this campaign in the contact log;
    - won: households one of whose campaign loans was renewed or refinanced with us (a new loan records the
      campaign, loanregister.leads.won);
    - lost: households not won one of whose campaign loans left the book (paid off or transferred) all the same;
    - the conversion rate: won / members.
    """
    in_file = Q(reason="") | Q(reason=Suppression.HOUSEHOLD)
    members = CampaignMember.objects.filter(in_file, campaign=campaign)
    won_borrowers = set(members.filter(won_loan__isnull=False).values_list("borrower_id", flat=True))
    gone = set(
        members.filter(loan__status__in=[LoanStatus.PAID_OFF, LoanStatus.TRANSFERRED]).values_list(
            "borrower_id", flat=True
        )
    )
    return CampaignResults(
        members=members.filter(reason="").count(),
        contacted=campaign.contacts.values("borrower_id").distinct().count(),
        won=len(won_borrowers),
        lost=len(gone - won_borrowers),
    )


def campaigns_in_progress(*, user, limit: int = 5) -> list[dict] | None:
    """The retention home page's first question: the latest campaigns, each with its results once frozen; None
    for a user who does not see campaigns."""
    if not user.has_perm("loanregister.view_campaign"):
        return None
    return [
        {"campaign": campaign, "results": campaign_results(campaign=campaign) if campaign.is_frozen else None}
        for campaign in Campaign.objects.order_by("-created_at", "-id")[:limit]
    ]
