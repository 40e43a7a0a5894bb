"""The conversion radar (issue 10 item 4a): a loan whose rate is so far above today's offered rate that refinancing
pays the borrower becomes a lead with the event `conversion`, dated the business date it was found.

**The rule** (reference data an admin keeps: `OfferedRate` per loan type and remaining-term band, and the one
`ConversionRule` row; a fresh database has no offered rate, so the radar finds nothing until rates are set):

1. The loan is active, in DKK (the rule's amounts are DKK), has a balance, and matures after the business date D.
2. **Remaining payments n**, from the loan's own schedule: its interest dates (from its first payment date, or one
   period after origination, every 12/n months or 14 days, then the maturity date: the same grid as servicing's
   schedules) that fall after D.
3. **Term band**: the smallest of 10, 20 and 30 years that holds the n payments (n <= years x payments per year);
   a loan with more than 30 years left has none. The offered rate is the one for the loan's type and band; none set,
   no lead.
4. **The payment now and at the offered rate**, each rounded half-up to the cent, on the outstanding balance B
   over n payments at the periodic rate (annual rate / 100 / payments per year), by the loan's amortization: an
   annuity's level payment B·r / (1 − (1 + r)^−n) (B / n at a rate of 0); a serial loan's next payment B / n + B·r;
   a bullet loan, or an interest-only loan whose interest-only period runs past D, pays interest B·r; an
   interest-only loan past its period, the annuity.
5. **Monthly saving** = (payment now − payment at the offered rate) × payments per year / 12, rounded half-up to the
   cent. It must be at least the rule's least monthly saving (300 DKK).
6. **Cost** = the fee (5,000 DKK) + B × the price spread (0.5 point) / 100, to the cent. **Break-even month** =
   cost / monthly saving, rounded up to a whole month: the month in which the savings have paid the cost. It must
   be at most the rule's months (24).

The schedule is servicing's to compute (servicing/schedules.py), but the core may not import servicing: this
module computes the two payments itself, with Decimal and the same rounding, and the radar does the same in one SQL
statement (PostgreSQL `numeric`) for every loan at once. `conversion_figures` is the Python form the lead page
shows; tests hold the two to the same figures.

**Leads** (in the nightly radar's run, loanregister/leads/radar.py, same idempotency): one open conversion lead per
loan (the partial unique index, ON CONFLICT DO NOTHING), for the loan's owner (responsible officer, else the
office's default officer, else the unassigned queue). A loan whose conversion lead a person closed (won, lost, not
interested) gets no new one until an offered rate for its type changes after that lead was found. An open
conversion lead of a loan that is no longer active is closed as `obsolete`.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal

from common.dates import add_months

from ..choices import Amortization, LeadEvent, LeadStatus, LoanStatus
from ..models import ConversionRule, Lead, Loan, OfferedRate

CENT = Decimal("0.01")
FORTNIGHTLY = 26
CURRENCY = "DKK"
BANDS = (10, 20, 30)
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _step(first: datetime.date, payments_per_year: int, k: int) -> datetime.date:
    if payments_per_year == FORTNIGHTLY:
        return first + datetime.timedelta(days=14 * k)
    return add_months(first, k * (12 // payments_per_year))


def _count_before(first: datetime.date, payments_per_year: int, day: datetime.date) -> int:
    """How many grid dates (first, first + 1 step, …) fall strictly before `day`."""
    if day <= first:
        return 0
    if payments_per_year == FORTNIGHTLY:
        return ((day - first).days - 1) // 14 + 1
    k = ((day.year - first.year) * 12 + day.month - first.month) // (12 // payments_per_year)
    return k + (1 if _step(first, payments_per_year, k) < day else 0)


def remaining_payments(loan: Loan, on: datetime.date) -> int:
    """The loan's interest dates after `on`: its grid dates before maturity, then the maturity date."""
    if loan.maturity_date <= on:
        return 0
    first = loan.first_payment_date or _step(loan.origination_date, loan.payments_per_year, 1)
    grid = _count_before(first, loan.payments_per_year, loan.maturity_date)
    done = min(_count_before(first, loan.payments_per_year, on + datetime.timedelta(days=1)), grid)
    return grid - done + 1


def term_band(*, payments: int, payments_per_year: int) -> int | None:
    for years in BANDS:
        if payments <= years * payments_per_year:
            return years
    return None


def period_payment(loan: Loan, *, annual_rate: Decimal, periods: int, on: datetime.date) -> Decimal:
    """The loan's next payment at `annual_rate` over `periods` payments (module docstring, rule 4)."""
    balance = Decimal(loan.outstanding_balance)
    rate = _CONTEXT.divide(Decimal(annual_rate), Decimal(100 * loan.payments_per_year))
    # B x annual rate first, then the division: a half cent of interest rounds the same here and in SQL
    interest = _cents(
        _CONTEXT.divide(
            _CONTEXT.multiply(balance, Decimal(annual_rate)), Decimal(100 * loan.payments_per_year)
        )
    )
    interest_only = loan.amortization == Amortization.INTEREST_ONLY and (
        loan.interest_only_until is not None and loan.interest_only_until > on
    )
    if loan.amortization == Amortization.BULLET or interest_only:
        return interest
    if loan.amortization == Amortization.SERIAL:
        return _cents(_CONTEXT.divide(balance, Decimal(periods))) + interest
    if rate == 0:
        return _cents(_CONTEXT.divide(balance, Decimal(periods)))
    discount = _CONTEXT.power(_CONTEXT.add(Decimal(1), rate), -periods)
    return _cents(_CONTEXT.divide(_CONTEXT.multiply(balance, rate), _CONTEXT.subtract(Decimal(1), discount)))


@dataclass(frozen=True)
class ConversionFigures:
    offered_rate: Decimal
    term_band: int
    payments_left: int
    payment_now: Decimal
    payment_offered: Decimal
    monthly_saving: Decimal
    cost: Decimal
    break_even_months: int | None  # None: no saving
    min_monthly_saving: Decimal
    max_break_even_months: int

    @property
    def qualifies(self) -> bool:
        return (
            self.monthly_saving > 0
            and self.monthly_saving >= self.min_monthly_saving
            and self.break_even_months is not None
            and self.break_even_months <= self.max_break_even_months
        )

    def break_even_on(self, start: datetime.date) -> datetime.date | None:
        """The calendar month (as its date) the savings from `start` have paid the cost."""
        return add_months(start, self.break_even_months) if self.break_even_months is not None else None


def conversion_rule() -> ConversionRule:
    return ConversionRule.objects.order_by("pk").first() or ConversionRule.objects.create(pk=1)


def conversion_figures(
    loan: Loan, *, on: datetime.date, rule: ConversionRule | None = None
) -> ConversionFigures | None:
    """What refinancing the loan at today's offered rate would save and when it pays (module docstring); None when
    the rule does not apply to it (not an active DKK loan with a balance, no term band or no offered rate)."""
    if loan.status != LoanStatus.ACTIVE or loan.currency != CURRENCY or loan.outstanding_balance <= 0:
        return None
    payments = remaining_payments(loan, on)
    band = term_band(payments=payments, payments_per_year=loan.payments_per_year) if payments else None
    offered = (
        OfferedRate.objects.filter(loan_type=loan.loan_type, max_years=band)
        .values_list("rate", flat=True)
        .first()
        if band
        else None
    )
    if offered is None:
        return None
    rule = rule or conversion_rule()
    now = period_payment(loan, annual_rate=loan.interest_rate, periods=payments, on=on)
    then = period_payment(loan, annual_rate=offered, periods=payments, on=on)
    saving = _cents(
        _CONTEXT.divide(_CONTEXT.multiply(now - then, Decimal(loan.payments_per_year)), Decimal(12))
    )
    cost = _cents(
        Decimal(rule.fee)
        + _CONTEXT.divide(
            _CONTEXT.multiply(Decimal(loan.outstanding_balance), rule.price_spread), Decimal(100)
        )
    )
    months = (
        int(_CONTEXT.divide(cost, saving).to_integral_value(rounding=ROUND_CEILING)) if saving > 0 else None
    )
    return ConversionFigures(
        offered_rate=offered,
        term_band=band,
        payments_left=payments,
        payment_now=now,
        payment_offered=then,
        monthly_saving=saving,
        cost=cost,
        break_even_months=months,
        min_monthly_saving=rule.min_monthly_saving,
        max_break_even_months=rule.break_even_months,
    )


# ------------------------------------------------------------------------------------------------ the SQL form

_LOAN = Loan._meta.db_table
_LEAD = Lead._meta.db_table
_RATE = OfferedRate._meta.db_table
_RULE = ConversionRule._meta.db_table
_OPEN = "(" + ", ".join(f"'{s}'" for s in ("new", "contacted", "offer_made")) + ")"
_CONVERSION = f"'{LeadEvent.CONVERSION.value}'"


def _step_sql(first: str, k: str, ppy: str) -> str:
    return (
        f"(CASE WHEN {ppy} = {FORTNIGHTLY} THEN {first} + 14 * ({k}) "
        f"ELSE ({first} + make_interval(months => (({k}) * (12 / {ppy}))::int))::date END)"
    )


def _count_before_sql(first: str, day: str, ppy: str) -> str:
    months = (
        f"((extract(year FROM {day})::int - extract(year FROM {first})::int) * 12"
        f" + extract(month FROM {day})::int - extract(month FROM {first})::int)"
    )
    k = f"({months} / (12 / {ppy}))"
    return (
        f"(CASE WHEN {day} <= {first} THEN 0"
        f" WHEN {ppy} = {FORTNIGHTLY} THEN (({day} - {first}) - 1) / 14 + 1"
        f" ELSE {k} + (CASE WHEN {_step_sql(first, k, ppy)} < {day} THEN 1 ELSE 0 END) END)"
    )


def _payment_sql(rate: str) -> str:
    """The next payment at the annual `rate` (rule 4), over c.n payments of c.b; `c` is the candidate row."""
    r = f"({rate}::numeric / (100 * c.ppy))"
    interest = f"round(c.b * {rate} / (100 * c.ppy), 2)"
    return f"""(CASE
        WHEN c.amortization = '{Amortization.BULLET.value}'
          OR (c.amortization = '{Amortization.INTEREST_ONLY.value}' AND c.interest_only_until > %(day)s)
          THEN {interest}
        WHEN c.amortization = '{Amortization.SERIAL.value}' THEN round(c.b / c.n, 2) + {interest}
        WHEN {rate} = 0 THEN round(c.b / c.n, 2)
        ELSE round(c.b * {r} / (1 - power(1 + {r}, -c.n::numeric)), 2)
    END)"""


# Each OFFSET 0 keeps PostgreSQL from pulling a subquery up into the next: pulled up, every use of a computed column
# (the first payment date, the grid counts, n) is its whole expression again, and the plan grows past a gigabyte.
# Every active DKK loan with a balance whose rate is above an offered rate of its type (a cheap first cut), with its
# remaining payments n, its band's offered rate, both payments, the monthly saving, the cost and the break-even
# month; the candidates that qualify under the rule. Bound to %(day)s (the business date).
CANDIDATES_SQL = f"""
    SELECT c.id AS loan_id, c.loan_number, c.officer_id, c.office_id, c.offered, c.changed_on, c.n, c.saving,
        c.cost, ceil(c.cost / c.saving)::int AS break_even
    FROM (
        SELECT c.*, round((p.now - p.offered_payment) * c.ppy / 12, 2) AS saving,
            round(rule.fee + c.b * rule.price_spread / 100, 2) AS cost,
            rule.min_monthly_saving, rule.break_even_months
        FROM (
            SELECT l.id, l.loan_number, l.officer_id, l.office_id, l.amortization, l.interest_only_until,
                l.outstanding_balance AS b, l.interest_rate, l.payments_per_year AS ppy,
                g.grid + 1 - LEAST(g.done, g.grid) AS n, o.rate AS offered, o.changed_on
            FROM {_LOAN} l
            CROSS JOIN LATERAL (
                SELECT COALESCE(l.first_payment_date, {_step_sql("l.origination_date", "1", "l.payments_per_year")})
                    AS first
                OFFSET 0
            ) f
            CROSS JOIN LATERAL (
                SELECT {_count_before_sql("f.first", "l.maturity_date", "l.payments_per_year")} AS grid,
                    {_count_before_sql("f.first", "(%(day)s::date + 1)", "l.payments_per_year")} AS done
                OFFSET 0
            ) g
            JOIN {_RATE} o ON o.loan_type = l.loan_type AND o.rate < l.interest_rate
                AND o.max_years = CASE
                    WHEN g.grid + 1 - LEAST(g.done, g.grid) <= 10 * l.payments_per_year THEN 10
                    WHEN g.grid + 1 - LEAST(g.done, g.grid) <= 20 * l.payments_per_year THEN 20
                    WHEN g.grid + 1 - LEAST(g.done, g.grid) <= 30 * l.payments_per_year THEN 30
                END
            WHERE l.status = '{LoanStatus.ACTIVE.value}' AND l.currency = '{CURRENCY}'
              AND l.outstanding_balance > 0 AND l.maturity_date > %(day)s
              AND EXISTS (SELECT 1 FROM {_RATE} x WHERE x.loan_type = l.loan_type AND x.rate < l.interest_rate)
            OFFSET 0
        ) c
        CROSS JOIN LATERAL (
            SELECT {_payment_sql("c.interest_rate")} AS now, {_payment_sql("c.offered")} AS offered_payment
            OFFSET 0
        ) p
        CROSS JOIN (SELECT * FROM {_RULE} ORDER BY id LIMIT 1) rule
        OFFSET 0
    ) c
    WHERE c.saving > 0 AND c.saving >= c.min_monthly_saving AND c.cost <= c.saving * c.break_even_months
"""

# The candidates without an open conversion lead, and whose last conversion lead no person closed since their
# offered rate last changed, with their owner.
DUE_FROM = f"""
    ({CANDIDATES_SQL}) c
    LEFT JOIN auth_user responsible ON responsible.id = c.officer_id AND responsible.is_active
    LEFT JOIN loanregister_office office ON office.id = c.office_id
    LEFT JOIN auth_user fallback ON fallback.id = office.default_officer_id AND fallback.is_active
"""
DUE_WHERE = f"""
    NOT EXISTS (
        SELECT 1 FROM {_LEAD} other
        WHERE other.loan_id = c.loan_id AND other.event = {_CONVERSION}
          AND (
            other.status IN {_OPEN}
            OR (other.status <> '{LeadStatus.OBSOLETE.value}' AND other.found_on >= c.changed_on)
          )
    )
"""
OWNER = "COALESCE(responsible.id, fallback.id)"

CREATE_STATEMENT = f"""INSERT INTO {_LEAD} AS l (loan_id, event, event_date, officer_id, status, found_on,
        status_changed_at, created_at, updated_at)
    SELECT c.loan_id, {_CONVERSION}, %(day)s, {OWNER}, '{LeadStatus.NEW.value}', %(day)s, %(now)s, %(now)s, %(now)s
    FROM {DUE_FROM} WHERE {DUE_WHERE}
    ON CONFLICT (loan_id, event) WHERE status IN {_OPEN} DO NOTHING"""

# Open conversion leads of loans that are no longer active.
OBSOLETE_FROM = f"{_LOAN} gone"
OBSOLETE_WHERE = f"""
    l.event = {_CONVERSION} AND l.status IN {_OPEN} AND gone.id = l.loan_id
    AND gone.status <> '{LoanStatus.ACTIVE.value}'
"""
OBSOLETE_STATEMENT = f"""UPDATE {_LEAD} l SET status = '{LeadStatus.OBSOLETE.value}', closed_on = %(day)s,
        status_changed_at = %(now)s, updated_at = %(now)s
    FROM {OBSOLETE_FROM} WHERE {OBSOLETE_WHERE}"""
