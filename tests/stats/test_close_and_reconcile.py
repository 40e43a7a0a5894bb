"""Closing a month (issue 13 item 4) and the reconciliation of a month (item 5)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from common.models import ExchangeRate, JobRun
from stats.figures import Month
from stats.models import Computation, StatsMonth
from stats.reconcile import month_reconcile
from stats.services import (
    differences,
    first_bank_day,
    month_close,
    month_recompute,
    month_reopen,
    month_report,
    result_from_computation,
)
from stats.tasks import close_month_task

from .support import D, bill, loan, opening, post, prop

pytestmark = pytest.mark.django_db
APRIL, MAY = Month.parse("2026-04"), Month.parse("2026-05")


def _book():
    old = loan("OLD", on=prop("P1"))
    opening(old, "200000.00")
    new = loan("NEW", on=prop("P1"), origination_date=D(2026, 4, 1))
    post(new, "disbursement", "100000.00", D(2026, 4, 1), price="98.00")
    post(old, "redemption", "50000.00", D(2026, 4, 1), price="99.50")
    return old, new


def test_closing_stores_the_figures_with_their_provenance(make_user):
    _book()
    officer = make_user("rep", "reporting")
    stored = month_close(month=APRIL, user=officer)
    computation = stored.computation
    assert stored.closed
    assert computation.computed_by == officer
    assert computation.source == Computation.Source.WEB
    assert (computation.flow_postings, computation.balance_postings, computation.loans_with_balance) == (
        2,
        3,
        2,
    )
    assert computation.nominal_totals["DKK"]["bond_debt_outstanding"] == "250000.00"
    assert computation.rates == {}
    row = computation.figures.get()
    assert (row.gross_lending, row.transfers, row.bond_debt_outstanding) == (
        Decimal("98000.00"),
        Decimal("49750.00"),
        Decimal("250000.00"),
    )


def test_closing_twice_stores_once_and_only_the_reporting_role_may(make_user):
    _book()
    month_close(month=APRIL, user=None)
    month_close(month=APRIL, user=None)
    assert Computation.objects.count() == 1
    with pytest.raises(PermissionDenied):
        month_close(month=MAY, user=make_user("clerk", "servicing"))


def test_reopen_and_recompute_show_the_differences_before_replacing(make_user):
    old, _new = _book()
    officer = make_user("rep", "reporting")
    month_close(month=APRIL, user=officer)
    post(old, "extra_repayment", "1000.00", D(2026, 4, 20), price="100")
    stored = StatsMonth.objects.get()
    fresh, _ = month_report(APRIL, recompute=True)
    diffs = differences(result_from_computation(stored.computation), fresh)
    assert [(d.figure, d.stored, d.recomputed) for d in diffs] == [
        ("extraordinary_redemptions", Decimal("0.00"), Decimal("1000.00")),
        ("net_new_lending", Decimal("48250.00"), Decimal("47250.00")),
        ("net_lending", Decimal("48250.00"), Decimal("47250.00")),
        ("bond_debt_outstanding", Decimal("250000.00"), Decimal("249000.00")),
    ]
    month_recompute(month=APRIL, user=officer, note="late extra repayment")
    assert Computation.objects.count() == 2  # the old computation is kept
    shown, _ = month_report(APRIL)
    assert shown.rows[0].bond_debt_outstanding == Decimal("249000.00")
    reopened = month_reopen(month=APRIL, user=officer)
    assert not reopened.closed


def test_the_monthly_task_closes_the_previous_month_on_the_first_bank_day_only():
    _book()
    # 1 May 2026 is a Friday and a bank day (1 May is not a bank closing day)
    assert first_bank_day(MAY) == D(2026, 5, 1)
    assert close_month_task("2026-04-30")["skipped"]
    assert not StatsMonth.objects.exists()
    result = close_month_task("2026-05-01")
    assert result["month"] == "2026-04"
    assert StatsMonth.objects.get().computation.source == Computation.Source.TASK
    # a second delivery the same day is a no-op
    assert close_month_task("2026-05-01") is None
    assert Computation.objects.count() == 1
    assert JobRun.objects.filter(job="lending_stats_close").count() == 2
    # January 2027: the 1st is a closing day, the 4th a Monday
    assert first_bank_day(Month.parse("2027-01")) == datetime.date(2027, 1, 4)


def test_reconciliation_holds_with_each_movement_listed_by_kind():
    old, new = _book()
    # May: an installment billed (and not yet paid), an extra repayment, a write-off is not in the book
    bill(old, D(2026, 5, 1), "1500.00")
    post(new, "extra_repayment", "2000.00", D(2026, 5, 15), price="100")
    month_close(month=APRIL, user=None)
    reconciliation = month_reconcile(MAY)
    assert reconciliation.holds
    (dkk,) = reconciliation.currencies
    # 250,000 + 0 - 2,000 (extra) - 1,500 (ordinary) + 1,500 (fallen due, not paid) = 248,000
    assert dkk.previous == Decimal("250000.00")
    assert dkk.lines["extra_repayments"] == Decimal("-2000.00")
    assert dkk.lines["ordinary_repayments"] == Decimal("-1500.00")
    assert dkk.lines["arrears"] == Decimal("1500.00")
    assert dkk.end == Decimal("248000.00")
    out = io.StringIO()
    call_command("lending_stats", "--month", "2026-05", "--reconcile", stdout=out)
    assert "holds" in out.getvalue()


def test_reconciliation_shows_a_rate_change_as_its_own_line():
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 4, 30), rate=Decimal("746.00"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 5, 29), rate=Decimal("747.00"))
    eur = loan("EUR-1", on=prop("P1"), currency="EUR")
    opening(eur, "10000.00")
    reconciliation = month_reconcile(MAY)
    assert reconciliation.holds
    # 10,000 EUR x (7.47 - 7.46) = 100.00 DKK
    assert ("rate:EUR", Decimal("100.00")) in reconciliation.dkk_lines
    assert reconciliation.dkk_previous == Decimal("74600.00")
    assert reconciliation.dkk_end == Decimal("74700.00")


def test_reconciliation_breaks_when_the_ledger_changed_behind_a_stored_month_and_names_the_loan():
    old, _new = _book()
    month_close(month=APRIL, user=None)
    # a posting dated in April written after April was stored
    post(old, "extra_repayment", "700.00", D(2026, 4, 28), price="100")
    reconciliation = month_reconcile(MAY)
    assert not reconciliation.holds
    assert reconciliation.currencies[0].difference == Decimal("-700.00")
    assert [(u["loan_number"], u["effect"]) for u in reconciliation.unexplained_loans] == [
        ("OLD", Decimal("-700.00"))
    ]
    with pytest.raises(CommandError, match="does not hold"):
        call_command("lending_stats", "--month", "2026-05", "--reconcile", stdout=io.StringIO())
