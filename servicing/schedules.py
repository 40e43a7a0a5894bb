"""Payment schedules: pure functions, no database (docs/servicing_schedules.md states the rules).

- Periodic rate r = annual rate (percent) / 100 / payments per year.
- Annuity: the level payment is the exact annuity payment P·r / (1 − (1 + r)^−N), rounded half-up to the cent.
- Interest each period = opening balance × r, rounded half-up to the cent; principal = payment − interest.
- The last payment takes the rounding remainder, so the balance ends at exactly 0.00.
- Serial: equal principal parts P / N rounded half-up to the cent (the last takes the remainder) plus interest.
- Bullet: interest only, the whole principal with the last payment.
- Interest-only-then-annuity: interest only on every interest date up to and including `interest_only_until`,
  then the annuity over the remaining periods on the full balance.
- Interest dates run from the first payment date every 12/n months (n dividing 12: 1, 2, 3, 4, 6, 12), or every
  14 days (n = 26), up to the maturity date, which is always the last interest date (a short or long last period
  still takes one period's interest: the terms of the loan are per period, not per day).
- Month steps keep the first payment date's day of month and clamp to the month's last day: 31 January, then
  28/29 February, 31 March, 30 April, ... (each date is computed from the first one, so a clamp never sticks).
- The due date is the interest date moved to the next Danish bank day; the amounts do not change with it.
"""

import datetime
import decimal
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from common.bankdays import next_bank_day
from common.dates import add_months

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONTH_STEP_PAYMENTS = (1, 2, 3, 4, 6, 12)
FORTNIGHTLY = 26
ANNUITY = "annuity"
SERIAL = "serial"
BULLET = "bullet"
INTEREST_ONLY = "interest_only"
AMORTIZATIONS = (ANNUITY, SERIAL, BULLET, INTEREST_ONLY)
# The `loan_schedule` command's and the loan page's CSV columns (docs/requirements.md §3).
SCHEDULE_COLUMNS = ["period", "due_date", "payment", "interest", "principal", "balance"]

# Enough digits that the annuity factor (1 + r)^N for N up to thousands is exact far below a cent.
_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    period: int
    interest_date: datetime.date
    due_date: datetime.date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal  # after this payment


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (the only rounding the schedule does)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule_csv_rows(rows: list[ScheduleRow]) -> list[list[str]]:
    """The rows as CSV fields in SCHEDULE_COLUMNS order: ISO dates, amounts with two decimals and a point."""
    return [
        [
            str(r.period),
            r.due_date.isoformat(),
            f"{r.payment}",
            f"{r.interest}",
            f"{r.principal}",
            f"{r.balance}",
        ]
        for r in rows
    ]


def period_step(payments_per_year: int, start: datetime.date, k: int) -> datetime.date:
    """The k-th date after `start` (k = 0 is `start`) on the grid of the payment frequency."""
    if payments_per_year == FORTNIGHTLY:
        return start + datetime.timedelta(days=14 * k)
    if payments_per_year not in MONTH_STEP_PAYMENTS:
        raise ValueError(f"unsupported payments per year: {payments_per_year}")
    return add_months(start, k * (12 // payments_per_year))


def default_first_payment_date(*, origination_date: datetime.date, payments_per_year: int) -> datetime.date:
    """One period after origination."""
    return period_step(payments_per_year, origination_date, 1)


def _grid_count_before(first: datetime.date, payments_per_year: int, day: datetime.date) -> int:
    """How many grid dates (first, first + 1 step, ...) fall strictly before `day` (arithmetic, no walk)."""
    if day <= first:
        return 0
    if payments_per_year == FORTNIGHTLY:
        return ((day - first).days - 1) // 14 + 1
    if payments_per_year not in MONTH_STEP_PAYMENTS:
        raise ValueError(f"unsupported payments per year: {payments_per_year}")
    step = 12 // payments_per_year
    k = ((day.year - first.year) * 12 + day.month - first.month) // step  # within one of the answer
    while k > 0 and period_step(payments_per_year, first, k - 1) >= day:
        k -= 1
    while period_step(payments_per_year, first, k) < day:
        k += 1
    return k


class InterestDates(Sequence):
    """A loan's interest dates as a lazy sequence: the grid dates before maturity, then the maturity date.

    Its length and each date are computed, not listed, so the nightly job can take the few dates it needs of a
    40-year fortnightly loan without building a thousand. `dates[k:]` is again lazy.
    """

    def __init__(
        self, first: datetime.date, maturity: datetime.date, payments_per_year: int, offset: int = 0
    ):
        self.first = first
        self.maturity = maturity
        self.payments_per_year = payments_per_year
        self.offset = offset
        self._grid = _grid_count_before(first, payments_per_year, maturity)

    def __len__(self) -> int:
        return max(self._grid + 1 - self.offset, 0)

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if stop == len(self) and step == 1:
                return InterestDates(self.first, self.maturity, self.payments_per_year, self.offset + start)
            return [self[i] for i in range(start, stop, step)]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        position = self.offset + index
        if position < self._grid:
            return period_step(self.payments_per_year, self.first, position)
        return self.maturity

    def __repr__(self) -> str:
        return f"InterestDates({self.first}, {self.maturity}, {self.payments_per_year}, offset={self.offset})"


def interest_dates(
    *, first_payment_date: datetime.date, maturity_date: datetime.date, payments_per_year: int
) -> list[datetime.date]:
    """The grid dates from the first payment date before maturity, then the maturity date itself."""
    return list(InterestDates(first_payment_date, maturity_date, payments_per_year))


def periodic_rate(*, annual_rate: Decimal, payments_per_year: int) -> Decimal:
    return _CONTEXT.divide(Decimal(annual_rate), Decimal(100 * payments_per_year))


def annuity_payment(*, principal: Decimal, rate: Decimal, periods: int) -> Decimal:
    """The level payment for `periods` payments at periodic `rate`, rounded half-up to the cent."""
    if periods <= 0:
        raise ValueError("an annuity needs at least one period")
    principal = Decimal(principal)
    if rate == 0:
        return cents(principal / periods)
    ctx = _CONTEXT
    discount = ctx.power(ctx.add(Decimal(1), rate), -periods)
    exact = ctx.divide(ctx.multiply(principal, rate), ctx.subtract(Decimal(1), discount))
    return cents(exact)


def payment_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    payments_per_year: int,
    amortization: str,
    first_payment_date: datetime.date,
    maturity_date: datetime.date,
    interest_only_until: datetime.date | None = None,
) -> list[ScheduleRow]:
    """The whole schedule of a loan of `principal` from its first payment date to maturity."""
    return schedule_rows(
        balance=principal,
        dates=interest_dates(
            first_payment_date=first_payment_date,
            maturity_date=maturity_date,
            payments_per_year=payments_per_year,
        ),
        rate=periodic_rate(annual_rate=Decimal(annual_rate), payments_per_year=payments_per_year),
        amortization=amortization,
        interest_only_until=interest_only_until,
    )


def schedule_rows(
    *,
    balance: Decimal,
    dates: Sequence[datetime.date],
    rate: Decimal,
    amortization: str,
    interest_only_until: datetime.date | None = None,
    first_period: int = 1,
    stop_after: datetime.date | None = None,
) -> list[ScheduleRow]:
    """The schedule paying off `balance` on the given interest dates at periodic `rate`.

    `first_period` numbers the first row (a migrated loan's remaining schedule keeps its place in the term).
    `stop_after` ends the list at the last interest date on or before it (the rows are the same as in the
    whole schedule: the level payment is fixed from the start).
    """
    if amortization not in AMORTIZATIONS:
        raise ValueError(f"unknown amortization: {amortization}")
    balance = cents(Decimal(balance))
    if balance <= 0 or not dates:
        return []
    count = len(dates)

    # How many leading periods pay interest only.
    if amortization == BULLET:
        interest_only_periods = count - 1
    elif amortization == INTEREST_ONLY and interest_only_until is not None:
        interest_only_periods = min(bisect_right(dates, interest_only_until), count - 1)
    else:
        interest_only_periods = 0
    amortizing = count - interest_only_periods

    level_payment = serial_part = None
    if amortization in (ANNUITY, INTEREST_ONLY):
        level_payment = annuity_payment(principal=balance, rate=rate, periods=amortizing)
    elif amortization == SERIAL:
        serial_part = cents(balance / amortizing)

    rows = []
    for index, interest_date in enumerate(dates):
        if stop_after is not None and interest_date > stop_after:
            break
        interest = cents(balance * rate)
        if index == count - 1:
            principal_part = balance  # the last payment takes the rounding remainder
        elif index < interest_only_periods:
            principal_part = ZERO
        elif serial_part is not None:
            principal_part = min(serial_part, balance)
        else:
            # Never negative principal, never more than is owed (possible only at absurd rates).
            principal_part = min(max(level_payment - interest, ZERO), balance)
        balance -= principal_part
        rows.append(
            ScheduleRow(
                period=first_period + index,
                interest_date=interest_date,
                due_date=next_bank_day(interest_date),
                payment=interest + principal_part,
                interest=interest,
                principal=principal_part,
                balance=balance,
            )
        )
    return rows


def loan_interest_dates(loan) -> InterestDates:
    """All interest dates of a loan's term, from its first payment date (or one period after origination)."""
    payments_per_year = int(loan.payments_per_year)
    first = loan.first_payment_date or default_first_payment_date(
        origination_date=loan.origination_date, payments_per_year=payments_per_year
    )
    return InterestDates(first, loan.maturity_date, payments_per_year)


def schedule_for_loan(loan, *, stop_after: datetime.date | None = None) -> list[ScheduleRow]:
    """The schedule of a `loanregister.Loan` (duck-typed: any object with its fields).

    A loan with a `balance_date` (migrated with its outstanding balance) gets its remaining schedule: the
    interest dates after the balance date, starting from `outstanding_balance` and amortized over the remaining
    periods (as a Danish mortgage is after an extra repayment: the term is kept, the payment is recomputed).
    Its periods keep their numbers in the whole term. Any other loan is scheduled from its principal.
    """
    dates = loan_interest_dates(loan)
    first_period = 1
    balance = loan.principal
    if loan.balance_date is not None:
        skipped = bisect_right(dates, loan.balance_date)
        dates = dates[skipped:]
        first_period += skipped
        balance = loan.outstanding_balance
    return schedule_rows(
        balance=balance,
        dates=dates,
        rate=periodic_rate(
            annual_rate=Decimal(loan.interest_rate), payments_per_year=int(loan.payments_per_year)
        ),
        amortization=loan.amortization,
        interest_only_until=loan.interest_only_until,
        first_period=first_period,
        stop_after=stop_after,
    )


def loan_interest_dates_between(loan, *, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The loan's interest dates from `start` to `end` inclusive, without walking the whole term.

    Gives the same dates as `loan_interest_dates` (tested), for the nightly job's quick test of 1M loans.
    """
    payments_per_year = int(loan.payments_per_year)
    first = loan.first_payment_date or default_first_payment_date(
        origination_date=loan.origination_date, payments_per_year=payments_per_year
    )
    maturity = loan.maturity_date
    if first >= maturity:  # a single payment, at maturity
        return [maturity] if start <= maturity <= end else []
    if end < first or start > maturity:
        return []
    # Start a step before the first grid date that can be on or after `start`.
    if payments_per_year == FORTNIGHTLY:
        k = max(0, (start - first).days // 14 - 1)
    else:
        months = (start.year - first.year) * 12 + start.month - first.month
        k = max(0, months // (12 // payments_per_year) - 1)
    dates = []
    while True:
        day = period_step(payments_per_year, first, k)
        if day >= maturity or day > end:
            break
        if day >= start:
            dates.append(day)
        k += 1
    if start <= maturity <= end:
        dates.append(maturity)
    return dates
