"""Closing a month of statistics, reopening it, recomputing it with the differences shown first (issue 13 item 4).

A computation is stored with what it was based on (`Computation`); a closed month (`StatsMonth.closed`) shows its
stored computation's figures on the page and from the command unless asked to recompute. Permissions are checked
here (`stats.close_statistics`), not only in the views.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from common import bankdays

from .figures import FIGURES, Month, Result, Row, month_figures
from .models import Computation, Figure, StatsMonth

CLOSE_PERMISSION = "stats.close_statistics"
VIEW_PERMISSION = "stats.view_statistics"


def _require(user, permission: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(f"{permission} is needed")


def computation_store(*, result: Result, user=None, source: str, note: str = "") -> Computation:
    """Store a computation and its figures (a record: never changed afterwards)."""
    computation = Computation.objects.create(
        month=result.month.first,
        computed_by=user if getattr(user, "pk", None) else None,
        source=source,
        flow_postings=result.flow_postings,
        balance_postings=result.balance_postings,
        loans_with_balance=result.loans_with_balance,
        last_posting_id=result.last_posting_id,
        rates=result.rates,
        nominal_totals=result.nominal_totals,
        note=note[:500],
    )
    Figure.objects.bulk_create(
        Figure(
            computation=computation,
            property_category=row.property_category,
            loan_type=row.loan_type,
            **{name: getattr(row, name) for name in FIGURES},
        )
        for row in result.rows
    )
    return computation


def stored_month(month: Month) -> StatsMonth | None:
    return StatsMonth.objects.select_related("computation").filter(month=month.first).first()


def result_from_computation(computation: Computation) -> Result:
    month = Month(computation.month)
    rows = [
        Row(f.property_category, f.loan_type, **{name: getattr(f, name) for name in FIGURES})
        for f in computation.figures.all()
    ]
    rows.sort(key=lambda r: r.sort_key)
    return Result(
        month=month,
        rows=rows,
        rates=computation.rates,
        nominal_totals=computation.nominal_totals,
        flow_postings=computation.flow_postings,
        balance_postings=computation.balance_postings,
        loans_with_balance=computation.loans_with_balance,
        last_posting_id=computation.last_posting_id,
    )


def month_report(month: Month, *, recompute: bool = False) -> tuple[Result, StatsMonth | None]:
    """What the page and the command show: a closed month's stored figures, unless `recompute`; else computed
    afresh (read-only). Returns the figures and the month's stored state (None when never stored)."""
    stored = stored_month(month)
    if stored is not None and stored.closed and not recompute:
        return result_from_computation(stored.computation), stored
    return month_figures(month), stored


@transaction.atomic
def month_close(*, month: Month, user=None, source: str = Computation.Source.WEB) -> StatsMonth:
    """Compute and store the month's figures and close it. A month already closed stays as it is (idempotent:
    the monthly task run twice stores once). A reopened month is closed with a fresh computation."""
    _require(user, CLOSE_PERMISSION)
    existing = StatsMonth.objects.select_for_update().filter(month=month.first).first()
    if existing is not None and existing.closed:
        return existing
    computation = computation_store(result=month_figures(month), user=user, source=source)
    changed_by = user if getattr(user, "pk", None) else None
    if existing is None:
        return StatsMonth.objects.create(
            month=month.first, closed=True, computation=computation, changed_by=changed_by
        )
    existing.closed, existing.computation, existing.changed_by = True, computation, changed_by
    existing.save()
    return existing


@transaction.atomic
def month_reopen(*, month: Month, user) -> StatsMonth:
    """Reopen a closed month: the page and the command compute it afresh until it is closed again."""
    _require(user, CLOSE_PERMISSION)
    existing = StatsMonth.objects.select_for_update().filter(month=month.first).first()
    if existing is None:
        raise ValueError(f"month {month.label} has not been closed")
    existing.closed, existing.changed_by = False, user if getattr(user, "pk", None) else None
    existing.save()
    return existing


@dataclass(frozen=True)
class Difference:
    property_category: str
    loan_type: str
    figure: str
    stored: Decimal
    recomputed: Decimal

    @property
    def change(self) -> Decimal:
        return self.recomputed - self.stored


def differences(stored: Result, fresh: Result) -> list[Difference]:
    """Every cell and figure where a recomputation differs from the stored figures."""
    zero = Decimal("0.00")
    old = {(r.property_category, r.loan_type): r for r in stored.rows}
    new = {(r.property_category, r.loan_type): r for r in fresh.rows}
    out: list[Difference] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: Row(*k).sort_key):
        for name in FIGURES:
            a = getattr(old[key], name) if key in old else zero
            b = getattr(new[key], name) if key in new else zero
            if a != b:
                out.append(Difference(key[0], key[1], name, a, b))
    return out


@transaction.atomic
def month_recompute(
    *, month: Month, user, source: str = Computation.Source.WEB, note: str = ""
) -> StatsMonth:
    """Replace a month's stored figures by a fresh computation (the old computation is kept) and close it."""
    _require(user, CLOSE_PERMISSION)
    existing = StatsMonth.objects.select_for_update().filter(month=month.first).first()
    computation = computation_store(result=month_figures(month), user=user, source=source, note=note)
    changed_by = user if getattr(user, "pk", None) else None
    if existing is None:
        return StatsMonth.objects.create(
            month=month.first, closed=True, computation=computation, changed_by=changed_by
        )
    existing.closed, existing.computation, existing.changed_by = True, computation, changed_by
    existing.save()
    return existing


def first_bank_day(month: Month) -> datetime.date:
    return bankdays.first_bank_day(month.first.year, month.first.month)


def monthly_close_run(*, business_date: datetime.date) -> dict:
    """The monthly task's body: on the month's first bank day, close the previous month. Other days: nothing."""
    this_month = Month(business_date.replace(day=1))
    if business_date != first_bank_day(this_month):
        return {"skipped": f"{business_date} is not the first bank day of {this_month.label}"}
    month = this_month.previous()
    stored = month_close(month=month, user=None, source=Computation.Source.TASK)
    return {"month": month.label, "computation": stored.computation_id, "closed": stored.closed}


def month_trend(month: Month, *, months: int = 12, current: Result | None = None) -> list:
    """The 12 months ending with `month` for the trend chart: each month's net lending and bond debt (DKK), the
    stored figures of a closed month, else computed; a month that cannot be computed (a missing rate) is a gap.
    `current`: the figures of `month` already at hand (the page's table), not computed again."""
    from .chart import Point
    from .figures import StatsError, totals

    series = [month]
    while len(series) < months:
        series.insert(0, series[0].previous())
    stored = {
        s.month: s
        for s in StatsMonth.objects.select_related("computation").filter(
            month__in=[m.first for m in series], closed=True
        )
    }
    points = []
    for m in series:
        try:
            if current is not None and m == month:
                rows = current.rows
            elif m.first in stored:
                rows = result_from_computation(stored[m.first].computation).rows
            else:
                rows = month_figures(m).rows
        except StatsError:
            points.append(Point(m.label, None, None))
            continue
        total = totals(rows)
        points.append(Point(m.label, total["net_lending"], total["bond_debt_outstanding"]))
    return points
