"""seed_demo gives the demo book a year of flows (issue 13, acceptance), so the statistics have something true to
show: every kind of flow, EUR loans, category changes, the months before last closed, and each month reconciles."""

import datetime
import io

import pytest
from django.core.management import call_command

from servicing.ledger import ledger_reconcile
from servicing.models import Posting, PropertyCategoryChange
from stats.figures import Month, month_figures, totals
from stats.models import StatsMonth
from stats.reconcile import month_reconcile

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


def test_seed_demo_gives_a_year_of_flows_that_the_statistics_show():
    out = io.StringIO()
    call_command("seed_demo", loans=600, seed=5, today=TODAY, stdout=out)
    assert "lending_flows:" in out.getvalue()
    kinds = set(
        Posting.objects.filter(effective_date__gte=datetime.date(2025, 11, 1)).values_list("kind", flat=True)
    )
    assert {"disbursement", "redemption", "extra_repayment", "scheduled_repayment"} <= kinds
    assert PropertyCategoryChange.objects.count() == 4
    assert Posting.objects.filter(kind="disbursement", currency="EUR").exists()
    # the months November 2025 .. September 2026 are closed; October 2026 is left to the reporting role
    closed = sorted(
        m.strftime("%Y-%m") for m in StatsMonth.objects.filter(closed=True).values_list("month", flat=True)
    )
    assert closed[0] == "2025-11" and closed[-1] == "2026-09" and len(closed) == 11
    october = month_figures(Month.parse("2026-10"))
    total = totals(october.rows)
    assert total["gross_lending"] > 0 and total["transfers"] > 0 and total["extraordinary_redemptions"] > 0
    assert total["ordinary_repayments"] > 0 and total["bond_debt_outstanding"] > 0
    assert "EUR" in october.rates
    # nothing is posted to a loan before it enters the ledger: no cell's bond debt is below zero in any month
    for label in ("2025-11", "2026-04", "2026-10"):
        assert all(row.bond_debt_outstanding >= 0 for row in month_figures(Month.parse(label)).rows), label
    # every month reconciles with the one before, and the ledger agrees with the loans
    for label in ("2026-01", "2026-10"):
        assert month_reconcile(Month.parse(label)).holds, label
    assert ledger_reconcile() == []
