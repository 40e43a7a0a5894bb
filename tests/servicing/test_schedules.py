import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loanregister.models import Borrower, Loan, Servicer
from servicing.schedules import (
    add_months,
    annuity_payment,
    payment_schedule,
    period_step,
    schedule_for_loan,
)

D = datetime.date
C = Decimal


def _cents(x: float) -> Decimal:
    return C(repr(float(x))).quantize(C("0.01"), rounding=ROUND_HALF_UP)


def _maturity(first: datetime.date, n: int, periods: int) -> datetime.date:
    return period_step(n, first, periods - 1)


def test_srv1_annuity_worked_example_one_million_at_4_percent_30_years():
    # given a 1,000,000 loan at 4% a year, 360 monthly payments
    rows = payment_schedule(
        principal=C("1000000"),
        annual_rate=C("4"),
        payments_per_year=12,
        amortization="annuity",
        first_payment_date=D(2026, 2, 1),
        maturity_date=D(2056, 1, 1),
    )
    # then the level payment is the textbook 4,774.15 and the first interest is 1,000,000 × 0.04/12
    assert len(rows) == 360
    assert rows[0].payment == C("4774.15")
    assert rows[0].interest == C("3333.33")
    assert rows[0].principal == C("1440.82")
    assert rows[0].balance == C("998559.18")
    assert all(r.payment == C("4774.15") for r in rows[:-1])
    # the last payment takes the rounding remainder and the balance ends at exactly zero
    assert rows[-1].balance == C("0.00")
    assert sum(r.principal for r in rows) == C("1000000.00")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy-financial divides by a zero rate
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=st.integers(min_value=10_000_00, max_value=50_000_000_00).map(lambda c: C(c) / 100),
    # 0%, or from 0.01% a year: below that, float pmt loses its digits to cancellation in 1 − (1 + r)^−N
    rate=st.one_of(st.just(0), st.integers(min_value=10_000, max_value=12_000_000)).map(
        lambda m: C(m) / 1_000_000
    ),
    n=st.sampled_from([4, 12, 26]),
    years=st.integers(min_value=1, max_value=40),
)
def test_srv1_annuity_agrees_with_numpy_financial_to_the_cent(principal, rate, n, years):
    # given an annuity loan of `years` × n payments
    periods = years * n
    first = D(2026, 1, 31)
    rows = payment_schedule(
        principal=principal,
        annual_rate=rate,
        payments_per_year=n,
        amortization="annuity",
        first_payment_date=first,
        maturity_date=_maturity(first, n, periods),
    )
    r = float(rate) / 100 / n
    p = float(principal)
    assert len(rows) == periods
    # then the level payment is numpy-financial's pmt rounded to the cent (float may sit on the half cent)
    level = rows[0].payment
    exact = -npf.pmt(r, periods, p)
    assert abs(float(level) - exact) <= 0.005 + 1e-6
    assert level == _cents(exact) or abs(abs(float(level) - exact) - 0.005) < 1e-6
    # each period's interest is ipmt on the opening balance to the cent, and the principal is what is left
    opening = principal
    drift = 0.0  # provable bound on |balance − numpy-financial's exact balance| from cent rounding
    for k, row in enumerate(rows, start=1):
        remaining = periods - k + 1
        assert abs(float(row.interest) + npf.ipmt(r, 1, remaining, float(opening))) <= 0.005 + 1e-6
        if k < periods:
            assert row.payment == level
            assert row.principal == level - row.interest
        # numpy-financial's ipmt/ppmt for the whole loan agree to the cent plus the rounding drift: each period
        # adds at most half a cent of payment rounding and half a cent of interest rounding, compounded.
        assert abs(float(row.interest) + npf.ipmt(r, k, periods, p)) <= 0.005 + r * drift + 1e-6
        if k < periods:
            tolerance = 0.005 + abs(float(level) - exact) + r * drift + 1e-6
            assert abs(float(row.principal) + npf.ppmt(r, k, periods, p)) <= tolerance
        drift = drift * (1 + r) + 0.01
        opening = row.balance
    # and the principal parts sum exactly to the principal, the balance ending at 0.00
    assert sum(row.principal for row in rows) == principal
    assert rows[-1].balance == C("0.00")
    assert all(row.balance >= 0 and row.principal >= 0 for row in rows)


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(min_value=100, max_value=10_000_000_00).map(lambda c: C(c) / 100),
    rate=st.integers(min_value=0, max_value=15_000_000).map(lambda m: C(m) / 1_000_000),
    n=st.sampled_from([4, 12, 26]),
    periods=st.integers(min_value=1, max_value=200),
    amortization=st.sampled_from(["annuity", "serial", "bullet", "interest_only"]),
    io_periods=st.integers(min_value=0, max_value=250),
)
def test_srv1_every_schedule_repays_the_principal_exactly(
    principal, rate, n, periods, amortization, io_periods
):
    first = D(2026, 3, 1)
    rows = payment_schedule(
        principal=principal,
        annual_rate=rate,
        payments_per_year=n,
        amortization=amortization,
        first_payment_date=first,
        maturity_date=_maturity(first, n, periods),
        interest_only_until=period_step(n, first, io_periods - 1) if io_periods else None,
    )
    assert len(rows) == periods
    assert sum(row.principal for row in rows) == principal
    assert rows[-1].balance == C("0.00")
    for row in rows:
        assert row.payment == row.interest + row.principal
        assert row.principal >= 0 and row.balance >= 0


def test_srv1_serial_loan_repays_equal_principal_parts():
    rows = payment_schedule(
        principal=C("1200.00"),
        annual_rate=C("12"),
        payments_per_year=12,
        amortization="serial",
        first_payment_date=D(2026, 2, 1),
        maturity_date=D(2027, 1, 1),
    )
    assert [r.principal for r in rows] == [C("100.00")] * 12
    assert [r.interest for r in rows[:3]] == [C("12.00"), C("11.00"), C("10.00")]
    assert rows[-1].interest == C("1.00")
    assert rows[-1].balance == C("0.00")


def test_srv1_serial_last_part_takes_the_remainder():
    rows = payment_schedule(
        principal=C("1000.00"),
        annual_rate=C("0"),
        payments_per_year=4,
        amortization="serial",
        first_payment_date=D(2026, 4, 1),
        maturity_date=D(2026, 10, 1),
    )
    assert [r.principal for r in rows] == [C("333.33"), C("333.33"), C("333.34")]


def test_srv1_bullet_pays_interest_then_everything_at_maturity():
    rows = payment_schedule(
        principal=C("100000"),
        annual_rate=C("5"),
        payments_per_year=4,
        amortization="bullet",
        first_payment_date=D(2026, 4, 1),
        maturity_date=D(2027, 1, 1),
    )
    assert [r.interest for r in rows] == [C("1250.00")] * 4
    assert [r.principal for r in rows] == [C("0.00")] * 3 + [C("100000.00")]
    assert rows[-1].payment == C("101250.00")


def test_srv1_interest_only_then_annuity_over_the_remaining_periods():
    # given two years of interest only on a five-year quarterly loan
    rows = payment_schedule(
        principal=C("500000"),
        annual_rate=C("4"),
        payments_per_year=4,
        amortization="interest_only",
        first_payment_date=D(2026, 4, 1),
        maturity_date=D(2031, 1, 1),
        interest_only_until=D(2028, 1, 1),
    )
    # then the eight interest dates up to 2028-01-01 pay interest only
    assert len(rows) == 20
    assert all(r.principal == 0 and r.interest == C("5000.00") for r in rows[:8])
    # and the last twelve are the annuity of the whole principal over twelve quarters
    level = annuity_payment(principal=C("500000"), rate=C("0.01"), periods=12)
    assert level == _cents(-npf.pmt(0.01, 12, 500000))
    assert all(r.payment == level for r in rows[8:-1])
    assert sum(r.principal for r in rows) == C("500000.00")


def test_srv1_month_steps_keep_the_day_and_clamp_to_month_end():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 1, 31), 2) == D(2026, 3, 31)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    rows = payment_schedule(
        principal=C("1000"),
        annual_rate=C("3"),
        payments_per_year=12,
        amortization="annuity",
        first_payment_date=D(2026, 1, 31),
        maturity_date=D(2026, 5, 31),
    )
    # the clamp to 28 February does not stick: March is the 31st again
    assert [r.interest_date for r in rows] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
    ]
    # and the due dates move off weekends (31 Jan, 28 Feb and 31 May 2026 are weekend days)
    assert [r.due_date for r in rows] == [
        D(2026, 2, 2),
        D(2026, 3, 2),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 6, 1),
    ]


def test_srv1_fortnightly_payments_fall_every_14_days():
    rows = payment_schedule(
        principal=C("26000"),
        annual_rate=C("6.5"),
        payments_per_year=26,
        amortization="annuity",
        first_payment_date=D(2026, 1, 7),
        maturity_date=D(2026, 1, 7) + datetime.timedelta(days=14 * 51),
    )
    assert len(rows) == 52
    gaps = {(b.interest_date - a.interest_date).days for a, b in zip(rows, rows[1:], strict=False)}
    assert gaps == {14}
    assert rows[0].interest == C("65.00")  # 26,000 × 6.5% / 26


def test_srv1_due_date_on_a_bank_closing_day_moves_but_the_amounts_do_not():
    # given a quarterly loan whose interest date is Ascension Day 2026 (Thursday 14 May)
    kwargs = dict(
        principal=C("400000"),
        annual_rate=C("3"),
        payments_per_year=4,
        amortization="annuity",
        maturity_date=D(2027, 5, 14),
    )
    rows = payment_schedule(first_payment_date=D(2026, 5, 14), **kwargs)
    # then it is due on Monday 18 May (Friday after Ascension is closed too), the interest date stays
    assert rows[0].interest_date == D(2026, 5, 14)
    assert rows[0].due_date == D(2026, 5, 18)
    assert rows[1].due_date == D(2026, 8, 14)
    # and the amounts equal those of a loan whose dates are all bank days (interest is per period)
    shifted = payment_schedule(
        first_payment_date=D(2026, 5, 13), **{**kwargs, "maturity_date": D(2027, 5, 13)}
    )
    assert [(r.payment, r.interest, r.principal) for r in rows] == [
        (r.payment, r.interest, r.principal) for r in shifted
    ]


def test_srv1_maturity_off_the_grid_is_the_last_interest_date():
    rows = payment_schedule(
        principal=C("1000"),
        annual_rate=C("0"),
        payments_per_year=4,
        amortization="annuity",
        first_payment_date=D(2026, 1, 1),
        maturity_date=D(2026, 8, 15),
    )
    assert [r.interest_date for r in rows] == [D(2026, 1, 1), D(2026, 4, 1), D(2026, 7, 1), D(2026, 8, 15)]
    assert sum(r.principal for r in rows) == C("1000.00")


def _loan(number: str = "L-1", **fields) -> Loan:
    servicer, _ = Servicer.objects.get_or_create(code="OWN", defaults={"name": "Own", "is_own": True})
    defaults = dict(
        borrower=Borrower.objects.create(name=f"Borrower {number}"),
        servicer=servicer,
        servicer_since=D(2026, 1, 1),
        loan_type="fixed",
        principal=C("120000"),
        interest_rate=C("6"),
        payments_per_year=12,
        amortization="annuity",
        origination_date=D(2026, 1, 15),
        maturity_date=D(2027, 1, 15),
    )
    defaults.update(fields)
    return Loan.objects.create(loan_number=number, **defaults)


@pytest.mark.django_db
def test_srv1_loan_schedule_starts_one_period_after_origination():
    loan = _loan()
    rows = schedule_for_loan(loan)
    assert rows[0].interest_date == D(2026, 2, 15)
    assert rows[-1].interest_date == D(2027, 1, 15)
    assert len(rows) == 12


@pytest.mark.django_db
def test_srv1_migrated_loan_schedule_runs_from_its_outstanding_balance():
    # given a loan migrated on 2026-06-30 with 60,000 left
    loan = _loan(balance_date=D(2026, 6, 30), outstanding_balance=C("60000"))
    # when
    rows = schedule_for_loan(loan)
    # then the remaining payments (July to January) keep their period numbers and repay 60,000 exactly
    assert [r.period for r in rows] == list(range(6, 13))
    assert rows[0].interest_date == D(2026, 7, 15)
    assert rows[0].interest == C("300.00")
    assert rows[0].payment == _cents(-npf.pmt(0.005, 7, 60000))
    assert sum(r.principal for r in rows) == C("60000.00")


@pytest.mark.django_db
def test_srv1_loan_schedule_command_prints_the_csv_contract():
    # given
    _loan(
        "L-CSV",
        principal=C("1200"),
        interest_rate=C("0"),
        first_payment_date=D(2026, 2, 1),
        maturity_date=D(2026, 4, 1),
    )
    out = io.StringIO()
    # when
    call_command("loan_schedule", "L-CSV", "--format", "csv", stdout=out)
    # then (1 February 2026 is a Sunday: due Monday 2 February)
    assert out.getvalue().splitlines() == [
        "period,due_date,payment,interest,principal,balance",
        "1,2026-02-02,400.00,0.00,400.00,800.00",
        "2,2026-03-02,400.00,0.00,400.00,400.00",
        "3,2026-04-01,400.00,0.00,400.00,0.00",
    ]


@pytest.mark.django_db
def test_srv1_loan_schedule_command_table_and_unknown_loan():
    _loan("L-TAB")
    out = io.StringIO()
    call_command("loan_schedule", "L-TAB", "--format", "table", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["period", "due_date", "payment", "interest", "principal", "balance"]
    assert len(lines) == 13
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("loan_schedule", "NOPE")


@settings(max_examples=200, deadline=None)
@given(
    n=st.sampled_from([1, 4, 12, 26]),
    first=st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    periods=st.integers(min_value=1, max_value=400),
    extra_days=st.integers(min_value=0, max_value=40),
    start_offset=st.integers(min_value=-400, max_value=12000),
    width=st.integers(min_value=0, max_value=60),
)
def test_srv1_interest_dates_lazy_and_windowed_equal_a_step_by_step_walk(
    n, first, periods, extra_days, start_offset, width
):
    # given a loan (maturity on or off the grid) and any window
    from types import SimpleNamespace

    from servicing.schedules import loan_interest_dates, loan_interest_dates_between

    maturity = period_step(n, first, periods - 1) + datetime.timedelta(days=extra_days)
    loan = SimpleNamespace(
        payments_per_year=n, first_payment_date=first, origination_date=first, maturity_date=maturity
    )
    start = first + datetime.timedelta(days=start_offset)
    end = start + datetime.timedelta(days=width)
    # and the dates walked one step at a time (the reference)
    walked, k = [], 0
    while (day := period_step(n, first, k)) < maturity:
        walked.append(day)
        k += 1
    walked.append(maturity)
    # then the lazy sequence of the whole term is the walk, and so is any slice of it
    dates = loan_interest_dates(loan)
    assert list(dates) == walked and len(dates) == len(walked)
    assert list(dates[min(width, len(walked)) :]) == walked[width:]
    # and the quick look-up gives exactly the dates inside the window
    expected = [day for day in walked if start <= day <= end]
    assert loan_interest_dates_between(loan, start=start, end=end) == expected
