"""Computing a month's lending statistics from the servicing ledger and the register (STAT-1 to STAT-9).

The rules and how they are read are in DESIGN.md §2 and docs/statistics.md; in short, for the month [first, last]:

- gross lending (STAT-1): disbursements effective in the month, nominal × price / 100;
- a redemption effective in the month (its last interest date) is a transfer when another loan on the same
  property was taken from 11 months before that date up to and including it (STAT-3, inclusive window; the new
  loan's date is its first disbursement or its origination date), otherwise an extraordinary redemption; both at
  the redemption's price (STAT-2); a partial redemption follows the same rule; an extra repayment is always an
  extraordinary redemption;
- ordinary repayments (STAT-5) at nominal: the billed `scheduled_payment_due` postings falling due in the month and
  imported `scheduled_repayment` postings, an imported one not counted when the same installment was billed;
- net new lending = gross − transfers − extraordinary (STAT-4); net lending = net new − ordinary (STAT-5);
- bond debt outstanding (STAT-6): the nominal principal (`principal + principal_due`) at the month's last day,
  opening balances included (they are never a flow);
- a posting that has been reversed is not a flow, and its reversal is not either;
- each flow is placed in the property category in force on its effective date, the bond debt in the category in
  force on the last day (STAT-9, `servicing.PropertyCategoryChange`); loans without a property count as `other`;
- per cell and currency the values are summed unrounded, converted at the month-end rate (STAT-7: the last rate
  published on or before the last day) and each cell is rounded half-up to the øre once; a foreign-currency
  flow or balance without a rate is a `StatsError` naming the currency and the month.

Set-based: two grouped queries (flows, balances) whatever the size of the book.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import connection

from common.models import ExchangeRate
from common.rates import DKK
from loanregister.choices import LoanType, PropertyCategory

from .models import FIGURES

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CATEGORY_ORDER = {code: i for i, code in enumerate(PropertyCategory.values)}
TYPE_ORDER = {code: i for i, code in enumerate(LoanType.values)}
NO_PROPERTY_CATEGORY = PropertyCategory.OTHER
TRANSFER_WINDOW_MONTHS = 11
CSV_HEADER = ("month", "property_category", "loan_type", *FIGURES)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class StatsError(Exception):
    """The month cannot be computed (a missing rate, a bad month); the message says why."""


@dataclass(frozen=True)
class Month:
    first: datetime.date

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
            raise StatsError(f"month {text!r} is not a month: give it as YYYY-MM, e.g. 2026-03")
        return cls(datetime.date(int(match.group(1)), int(match.group(2)), 1))

    @property
    def last(self) -> datetime.date:
        return self.first.replace(day=calendar.monthrange(self.first.year, self.first.month)[1])

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    def previous(self) -> Month:
        return Month((self.first - datetime.timedelta(days=1)).replace(day=1))

    def next(self) -> Month:
        return Month(self.last + datetime.timedelta(days=1))

    def __str__(self) -> str:
        return self.label


@dataclass
class Row:
    """One property category and loan type: the seven figures in DKK, rounded to the øre."""

    property_category: str
    loan_type: str
    gross_lending: Decimal = ZERO
    transfers: Decimal = ZERO
    extraordinary_redemptions: Decimal = ZERO
    net_new_lending: Decimal = ZERO
    ordinary_repayments: Decimal = ZERO
    net_lending: Decimal = ZERO
    bond_debt_outstanding: Decimal = ZERO

    def values(self) -> list[Decimal]:
        return [getattr(self, name) for name in FIGURES]

    def is_zero(self) -> bool:
        return not any(self.values())

    @property
    def sort_key(self) -> tuple[int, int]:
        return CATEGORY_ORDER.get(self.property_category, 99), TYPE_ORDER.get(self.loan_type, 99)


@dataclass
class Result:
    """A month's figures and what they were based on."""

    month: Month
    rows: list[Row]
    rates: dict[str, dict[str, str]] = field(default_factory=dict)  # currency -> {rate (per 100), rate_date}
    nominal_totals: dict[str, dict[str, str]] = field(default_factory=dict)  # currency -> figure -> nominal
    flow_postings: int = 0
    balance_postings: int = 0
    loans_with_balance: int = 0
    last_posting_id: int | None = None


def round_cell(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- the SQL

# The category in force per property over date ranges [valid_from, valid_to) from its change history; before the
# first change, that change's previous category (STAT-9).
HISTORY_SQL = """
    SELECT property_id, effective_date AS valid_from,
           LEAD(effective_date) OVER (PARTITION BY property_id ORDER BY effective_date, id) AS valid_to,
           category
      FROM servicing_propertycategorychange
    UNION ALL
    (SELECT DISTINCT ON (property_id) property_id, DATE '0001-01-01', effective_date, previous_category
       FROM servicing_propertycategorychange
      WHERE previous_category <> ''
      ORDER BY property_id, effective_date, id)
"""

# Flow kinds and how each is valued. `stat_kind` is the figure a flow feeds.
FLOW_KINDS = ("disbursement", "redemption", "extra_repayment", "scheduled_payment_due", "scheduled_repayment")

FLOWS_SQL = f"""
    WITH hist AS ({HISTORY_SQL}),
    flows AS (
        SELECT p.id, p.loan_id, p.kind, p.effective_date, p.amount, p.price, p.currency,
               l.loan_type, l.property_id, l.loan_number
          FROM servicing_posting p
          JOIN loanregister_loan l ON l.id = p.loan_id
         WHERE p.effective_date BETWEEN %(first)s AND %(last)s
           AND p.kind IN {FLOW_KINDS!r}
           AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
    ),
    classified AS (
        SELECT f.*,
               COALESCE(h.category, pr.category, %(no_property)s) AS property_category,
               CASE
                 WHEN f.kind = 'disbursement' THEN 'gross_lending'
                 WHEN f.kind = 'extra_repayment' THEN 'extraordinary_redemptions'
                 WHEN f.kind = 'redemption' AND f.property_id IS NOT NULL AND EXISTS (
                      SELECT 1 FROM loanregister_loan n
                       WHERE n.property_id = f.property_id AND n.id <> f.loan_id
                         AND (n.origination_date BETWEEN
                                  (f.effective_date - INTERVAL '{TRANSFER_WINDOW_MONTHS} months')::date
                                  AND f.effective_date
                              OR EXISTS (
                                  SELECT 1 FROM servicing_posting d
                                   WHERE d.loan_id = n.id AND d.kind = 'disbursement'
                                     AND d.effective_date BETWEEN
                                         (f.effective_date - INTERVAL '{TRANSFER_WINDOW_MONTHS} months')::date
                                         AND f.effective_date
                                     AND NOT EXISTS (
                                         SELECT 1 FROM servicing_posting r WHERE r.reverses_id = d.id)))
                 ) THEN 'transfers'
                 WHEN f.kind = 'redemption' THEN 'extraordinary_redemptions'
                 WHEN f.kind = 'scheduled_repayment' AND EXISTS (
                      SELECT 1 FROM servicing_posting b
                       WHERE b.external_id = 'installment:' || f.loan_number || ':'
                                             || CAST(f.effective_date AS TEXT) || ':principal'
                         AND b.kind = 'scheduled_payment_due'
                         AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = b.id)
                 ) THEN NULL
                 ELSE 'ordinary_repayments'
               END AS figure,
               CASE WHEN f.kind IN ('scheduled_payment_due', 'scheduled_repayment') THEN f.amount
                    ELSE f.amount * f.price / 100 END AS value
          FROM flows f
          LEFT JOIN loanregister_property pr ON pr.id = f.property_id
          LEFT JOIN hist h ON h.property_id = f.property_id
                          AND f.effective_date >= h.valid_from
                          AND (h.valid_to IS NULL OR f.effective_date < h.valid_to)
    )
"""

FLOW_TOTALS_SQL = (
    FLOWS_SQL
    + """
    SELECT property_category, loan_type, currency, figure, SUM(value), SUM(amount), COUNT(*)
      FROM classified
     WHERE figure IS NOT NULL
     GROUP BY 1, 2, 3, 4
"""
)

PRINCIPAL = "('principal', 'principal_due')"

# The nominal principal of every loan at the month's last day, by the category in force then (STAT-6, STAT-9).
BALANCES_SQL = f"""
    WITH hist AS ({HISTORY_SQL}),
    balances AS (
        SELECT p.loan_id, p.currency,
               SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
                   - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END) AS balance,
               COUNT(*) AS postings
          FROM servicing_posting p
         WHERE p.effective_date <= %(last)s
           AND (p.debit_account IN {PRINCIPAL} OR p.credit_account IN {PRINCIPAL})
         GROUP BY p.loan_id, p.currency
    )
    SELECT COALESCE(h.category, pr.category, %(no_property)s), l.loan_type, b.currency,
           SUM(b.balance), SUM(b.postings), COUNT(*) FILTER (WHERE b.balance <> 0)
      FROM balances b
      JOIN loanregister_loan l ON l.id = b.loan_id
      LEFT JOIN loanregister_property pr ON pr.id = l.property_id
      LEFT JOIN hist h ON h.property_id = l.property_id
                      AND %(last)s >= h.valid_from AND (h.valid_to IS NULL OR %(last)s < h.valid_to)
     GROUP BY 1, 2, 3
"""


def _params(month: Month) -> dict:
    return {"first": month.first, "last": month.last, "no_property": NO_PROPERTY_CATEGORY}


# ---------------------------------------------------------------- rates


def month_end_rates(currencies, month: Month) -> dict[str, tuple[Decimal, datetime.date]]:
    """STAT-7: per currency the last rate (DKK per 100) published on or before the month's last day, with its
    date. Raises StatsError naming the currency and the month when there is none."""
    found: dict[str, tuple[Decimal, datetime.date]] = {}
    missing: list[str] = []
    for currency in sorted(set(currencies) - {DKK}):
        rate = (
            ExchangeRate.objects.filter(currency=currency, rate_date__lte=month.last)
            .order_by("-rate_date")
            .values_list("rate", "rate_date")
            .first()
        )
        if rate is None:
            missing.append(currency)
        else:
            found[currency] = rate
    if missing:
        raise StatsError(
            f"no {', '.join(missing)} exchange rate on or before {month.last.isoformat()}: "
            f"month {month.label} has {', '.join(missing)} flows or balances and cannot be converted to DKK "
            f"(import the rates with import_exchange_rates)"
        )
    return found


def dkk_factor(currency: str, rates: dict[str, tuple[Decimal, datetime.date]]) -> Decimal:
    """DKK per one unit."""
    return Decimal(1) if currency == DKK else rates[currency][0] / 100


# ---------------------------------------------------------------- the computation


def month_figures(month: Month) -> Result:
    """Compute the month's figures from the ledger (read-only). Raises StatsError."""
    # per (category, type) -> figure -> currency -> unrounded value
    cells: dict[tuple[str, str], dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    nominal: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    result = Result(month=month, rows=[])
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM servicing_posting")
        result.last_posting_id = cursor.fetchone()[0]
        cursor.execute(FLOW_TOTALS_SQL, _params(month))
        for category, loan_type, currency, figure, value, amount, count in cursor.fetchall():
            cells[(category, loan_type)][figure][currency] += value
            nominal[currency][figure] += amount
            result.flow_postings += int(count)
        cursor.execute(BALANCES_SQL, _params(month))
        for category, loan_type, currency, balance, postings, loans in cursor.fetchall():
            cells[(category, loan_type)]["bond_debt_outstanding"][currency] += balance
            nominal[currency]["bond_debt_outstanding"] += balance
            result.balance_postings += int(postings)
            result.loans_with_balance += int(loans)
    currencies = {
        currency
        for by_figure in cells.values()
        for by_currency in by_figure.values()
        for currency, value in by_currency.items()
        if value
    }
    rates = month_end_rates(currencies, month)
    result.rates = {
        currency: {"rate": str(rate), "rate_date": rate_date.isoformat()}
        for currency, (rate, rate_date) in rates.items()
    }
    result.nominal_totals = {
        currency: {name: str(value) for name, value in by_figure.items()}
        for currency, by_figure in sorted(nominal.items())
        if any(by_figure.values())
    }
    with localcontext() as ctx:
        ctx.prec = 60
        for (category, loan_type), by_figure in cells.items():
            row = Row(category, loan_type)
            for name, by_currency in by_figure.items():
                total = sum(
                    (value * dkk_factor(currency, rates) for currency, value in by_currency.items() if value),
                    Decimal(0),
                )
                setattr(row, name, round_cell(total))
            row.net_new_lending = row.gross_lending - row.transfers - row.extraordinary_redemptions
            row.net_lending = row.net_new_lending - row.ordinary_repayments
            if not row.is_zero():
                result.rows.append(row)
    result.rows.sort(key=lambda r: r.sort_key)
    return result


def totals(rows: list[Row]) -> dict[str, Decimal]:
    """The grand total: the sums of the rounded cells."""
    return {name: sum((getattr(row, name) for row in rows), ZERO) for name in FIGURES}


def subtotals(rows: list[Row], by: str) -> list[tuple[str, dict[str, Decimal]]]:
    """Subtotals per `property_category` or `loan_type`, in DESIGN.md's order."""
    order = CATEGORY_ORDER if by == "property_category" else TYPE_ORDER
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, by)].append(row)
    return [(code, totals(groups[code])) for code in sorted(groups, key=lambda c: order.get(c, 99))]


# ---------------------------------------------------------------- drill-down

DRILL_LIMIT = 500


def figure_postings(
    month: Month, *, figure: str, property_category: str | None = None, loan_type: str | None = None
) -> tuple[list[dict], int]:
    """The postings behind a flow figure of a cell (or of all cells), with their values; and how many there are."""
    if figure not in ("gross_lending", "transfers", "extraordinary_redemptions", "ordinary_repayments"):
        raise StatsError(f"{figure!r} is not a flow figure")
    where = ["figure = %(figure)s"]
    params = {**_params(month), "figure": figure, "limit": DRILL_LIMIT}
    if property_category:
        where.append("property_category = %(category)s")
        params["category"] = property_category
    if loan_type:
        where.append("loan_type = %(loan_type)s")
        params["loan_type"] = loan_type
    sql = (
        FLOWS_SQL
        + f"""
    SELECT id, loan_id, loan_number, kind, effective_date, amount, price, currency, value, property_category,
           loan_type, COUNT(*) OVER ()
      FROM classified WHERE {" AND ".join(where)}
     ORDER BY effective_date, loan_number, id
     LIMIT %(limit)s
"""
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [
            "posting_id",
            "loan_id",
            "loan_number",
            "kind",
            "effective_date",
            "amount",
            "price",
            "currency",
            "value",
            "property_category",
            "loan_type",
            "count",
        ]
        rows = [dict(zip(columns, record, strict=True)) for record in cursor.fetchall()]
    return rows, (rows[0]["count"] if rows else 0)


def balance_loans(
    month: Month, *, property_category: str | None = None, loan_type: str | None = None
) -> tuple[list[dict], int]:
    """The loans behind the bond debt outstanding of a cell: each loan's nominal principal at the month's end."""
    where = ["b.balance <> 0"]
    params = {**_params(month), "limit": DRILL_LIMIT}
    if property_category:
        where.append("COALESCE(h.category, pr.category, %(no_property)s) = %(category)s")
        params["category"] = property_category
    if loan_type:
        where.append("l.loan_type = %(loan_type)s")
        params["loan_type"] = loan_type
    sql = f"""
    WITH hist AS ({HISTORY_SQL}),
    balances AS (
        SELECT p.loan_id, p.currency,
               SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
                   - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END) AS balance
          FROM servicing_posting p
         WHERE p.effective_date <= %(last)s
           AND (p.debit_account IN {PRINCIPAL} OR p.credit_account IN {PRINCIPAL})
         GROUP BY p.loan_id, p.currency
    )
    SELECT l.id, l.loan_number, b.currency, b.balance, COALESCE(h.category, pr.category, %(no_property)s),
           l.loan_type, COUNT(*) OVER ()
      FROM balances b
      JOIN loanregister_loan l ON l.id = b.loan_id
      LEFT JOIN loanregister_property pr ON pr.id = l.property_id
      LEFT JOIN hist h ON h.property_id = l.property_id
                      AND %(last)s >= h.valid_from AND (h.valid_to IS NULL OR %(last)s < h.valid_to)
     WHERE {" AND ".join(where)}
     ORDER BY l.loan_number
     LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = ["loan_id", "loan_number", "currency", "balance", "property_category", "loan_type", "count"]
        rows = [dict(zip(columns, record, strict=True)) for record in cursor.fetchall()]
    return rows, (rows[0]["count"] if rows else 0)
