"""Reconciliation of a month (issue 13 item 5): the bond debt outstanding at the month's end is the previous
month's plus the month's principal movements, each listed by kind.

Per currency, in nominal (exact: the ledger's amounts have two decimals and nothing is rounded):

    end = previous + new principal − redemptions − extra repayments − ordinary repayments
          + arrears (principal fallen due, not yet paid) ± opening balances and true-ups − write-offs ± reversals
          ± any other principal movement (by kind)

`previous` and `end` are the figures the statistics show: a closed month's stored figure, else the ledger's. The
movements are read from the ledger (postings effective in the month that move the outstanding principal). A
reversed posting and its reversal are listed together as reversals, so the flows are the statistics' own.

In DKK, each line at the month-end rate, the previous figure at the previous month-end rate, and a currency's
rate change as its own line (previous nominal × (rate now − rate then)); the rounding of the cells to the øre is a
line of its own. It holds when every currency's nominal identity holds. When it does not, the loans whose ledger
changed behind a stored figure are listed: postings written after a stored computation and dated on or before the
end of the month it stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from django.db import connection

from .figures import PRINCIPAL, Month, month_end_rates, round_cell
from .models import Computation
from .services import month_report, stored_month

ZERO = Decimal("0.00")

LINES = (
    "new_principal",
    "redemptions",
    "extra_repayments",
    "ordinary_repayments",
    "arrears",
    "opening_balances",
    "write_offs",
    "reversals",
)

MOVEMENTS_SQL = f"""
    SELECT p.currency,
           CASE
             WHEN p.kind = 'reversal' OR EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
               THEN 'reversals'
             WHEN p.kind = 'disbursement' THEN 'new_principal'
             WHEN p.kind = 'redemption' THEN 'redemptions'
             WHEN p.kind = 'extra_repayment' THEN 'extra_repayments'
             WHEN p.kind IN ('scheduled_repayment', 'scheduled_payment_due') THEN 'ordinary_repayments'
             WHEN p.kind = 'principal_paid' THEN 'arrears'
             WHEN p.kind = 'opening_balance' THEN 'opening_balances'
             WHEN p.kind = 'write_off' THEN 'write_offs'
             ELSE 'other:' || p.kind
           END AS line,
           SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
               - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
               - CASE WHEN p.kind = 'scheduled_payment_due'
                       AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
                      THEN p.amount ELSE 0 END) AS effect,
           SUM(CASE WHEN p.kind = 'scheduled_payment_due'
                     AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
                    THEN p.amount ELSE 0 END) AS fallen_due
      FROM servicing_posting p
     WHERE p.effective_date BETWEEN %(first)s AND %(last)s
       AND (p.debit_account IN {PRINCIPAL} OR p.credit_account IN {PRINCIPAL})
     GROUP BY 1, 2
"""

BALANCE_SQL = f"""
    SELECT p.currency,
           SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
               - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END)
      FROM servicing_posting p
     WHERE p.effective_date <= %(last)s
       AND (p.debit_account IN {PRINCIPAL} OR p.credit_account IN {PRINCIPAL})
     GROUP BY 1
"""

LATE_POSTINGS_SQL = f"""
    SELECT l.loan_number, p.currency,
           SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
               - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END),
           STRING_AGG(DISTINCT p.kind, ', '), MIN(p.effective_date), MAX(p.effective_date)
      FROM servicing_posting p
      JOIN loanregister_loan l ON l.id = p.loan_id
     WHERE p.id > %(after)s AND p.effective_date <= %(last)s
       AND (p.debit_account IN {PRINCIPAL} OR p.credit_account IN {PRINCIPAL})
     GROUP BY 1, 2
    HAVING SUM(CASE WHEN p.debit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END
               - CASE WHEN p.credit_account IN {PRINCIPAL} THEN p.amount ELSE 0 END) <> 0
     ORDER BY 1
     LIMIT 500
"""


@dataclass
class CurrencyReconciliation:
    currency: str
    previous: Decimal
    lines: dict[str, Decimal]
    end: Decimal

    @property
    def explained(self) -> Decimal:
        return self.previous + sum(self.lines.values(), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.end - self.explained

    @property
    def holds(self) -> bool:
        return self.difference == 0


@dataclass
class Reconciliation:
    month: Month
    currencies: list[CurrencyReconciliation]
    dkk_previous: Decimal = ZERO
    dkk_lines: list[tuple[str, Decimal]] = field(
        default_factory=list
    )  # (line or "rate:EUR" or "rounding", value)
    dkk_end: Decimal = ZERO

    @property
    def dkk_difference(self) -> Decimal:
        return self.dkk_end - self.dkk_previous - sum((v for _n, v in self.dkk_lines), ZERO)

    previous_stored: bool = False
    end_stored: bool = False
    unexplained_loans: list[dict] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return all(c.holds for c in self.currencies) and not self.unexplained_loans


def _ledger_balances(month: Month) -> dict[str, Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(BALANCE_SQL, {"last": month.last})
        return {currency: value for currency, value in cursor.fetchall()}


def _late_postings(month: Month, computation: Computation) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(LATE_POSTINGS_SQL, {"after": computation.last_posting_id or 0, "last": month.last})
        return [
            {
                "loan_number": number,
                "currency": currency,
                "effect": effect,
                "kinds": kinds,
                "from": first,
                "to": last,
                "stored_month": Month(computation.month).label,
            }
            for number, currency, effect, kinds, first, last in cursor.fetchall()
        ]


def month_reconcile(month: Month) -> Reconciliation:
    """Reconcile the month's bond debt outstanding with the previous month's and the month's movements."""
    shown, stored = month_report(month)
    previous_month = month.previous()
    prev_stored = stored_month(previous_month)
    prev_closed = prev_stored is not None and prev_stored.closed
    if prev_closed:
        prev_nominal = {
            currency: Decimal(values.get("bond_debt_outstanding", "0"))
            for currency, values in prev_stored.computation.nominal_totals.items()
        }
    else:
        prev_nominal = _ledger_balances(previous_month)
    end_nominal = {
        currency: Decimal(values.get("bond_debt_outstanding", "0"))
        for currency, values in shown.nominal_totals.items()
    }
    lines: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(LINES, ZERO))
    with connection.cursor() as cursor:
        cursor.execute(MOVEMENTS_SQL, {"first": month.first, "last": month.last})
        for currency, line, effect, fallen_due in cursor.fetchall():
            by_line = lines[currency]
            by_line[line] = by_line.get(line, ZERO) + effect
            if fallen_due:
                by_line["arrears"] += fallen_due
    currencies = sorted(set(prev_nominal) | set(end_nominal) | set(lines))
    result = Reconciliation(
        month=month,
        currencies=[],
        previous_stored=prev_closed,
        end_stored=stored is not None and stored.closed,
    )
    for currency in currencies:
        result.currencies.append(
            CurrencyReconciliation(
                currency=currency,
                previous=prev_nominal.get(currency, ZERO),
                lines=dict(lines[currency]) if currency in lines else dict.fromkeys(LINES, ZERO),
                end=end_nominal.get(currency, ZERO),
            )
        )
    # In DKK: lines at the month-end rate, the previous figure at its own month-end rate.
    needed_now = {c.currency for c in result.currencies if c.end or any(c.lines.values()) or c.previous}
    needed_then = {c.currency for c in result.currencies if c.previous}
    rates_now = month_end_rates(needed_now, month)
    rates_then = month_end_rates(needed_then, previous_month)

    def factor(rates, currency):
        return Decimal(1) if currency == "DKK" else rates[currency][0] / 100

    with localcontext() as ctx:
        ctx.prec = 60
        by_line: dict[str, Decimal] = defaultdict(Decimal)
        previous_dkk = Decimal(0)
        rate_lines: list[tuple[str, Decimal]] = []
        for c in result.currencies:
            previous_dkk += c.previous * factor(rates_then, c.currency) if c.previous else 0
            for name, value in c.lines.items():
                if value:
                    by_line[name] += value * factor(rates_now, c.currency)
            if c.previous and c.currency != "DKK":
                change = c.previous * (factor(rates_now, c.currency) - factor(rates_then, c.currency))
                rate_lines.append((f"rate:{c.currency}", change))
        dkk_end = sum((r.bond_debt_outstanding for r in shown.rows), ZERO)
        if prev_closed:
            result.dkk_previous = sum(
                (f.bond_debt_outstanding for f in prev_stored.computation.figures.all()), ZERO
            )
        else:
            result.dkk_previous = round_cell(previous_dkk)
        result.dkk_lines = [(name, round_cell(value)) for name, value in by_line.items() if value]
        result.dkk_lines += [(name, round_cell(value)) for name, value in rate_lines]
        if all(c.holds for c in result.currencies):
            # What is left is the cells' rounding to the øre (and the lines' own rounding for display).
            shown_sum = result.dkk_previous + sum((v for _n, v in result.dkk_lines), ZERO)
            result.dkk_lines.append(("rounding", dkk_end - shown_sum))
        result.dkk_end = dkk_end
    if not all(c.holds for c in result.currencies):
        if prev_closed:
            result.unexplained_loans += _late_postings(previous_month, prev_stored.computation)
        if stored is not None and stored.closed:
            result.unexplained_loans += _late_postings(month, stored.computation)
    return result


def reconciliation_text(reconciliation: Reconciliation) -> str:
    """The reconciliation as plain text (the command's output), with the codes of the lines."""
    out = [
        f"reconciliation of {reconciliation.month.label}: {'holds' if reconciliation.holds else 'DOES NOT HOLD'}"
    ]
    for c in reconciliation.currencies:
        out.append(f"{c.currency} (nominal)")
        out.append(
            f"  previous {'(stored)' if reconciliation.previous_stored else '(ledger)'}: {c.previous:.2f}"
        )
        for name, value in c.lines.items():
            if value:
                out.append(f"  {name}: {value:+.2f}")
        out.append(f"  end {'(stored)' if reconciliation.end_stored else '(ledger)'}: {c.end:.2f}")
        if not c.holds:
            out.append(f"  unexplained: {c.difference:+.2f}")
    out.append("DKK")
    out.append(f"  previous: {reconciliation.dkk_previous:.2f}")
    for name, value in reconciliation.dkk_lines:
        out.append(f"  {name}: {value:+.2f}")
    out.append(f"  end: {reconciliation.dkk_end:.2f}")
    if reconciliation.dkk_difference:
        out.append(f"  unexplained: {reconciliation.dkk_difference:+.2f}")
    for loan in reconciliation.unexplained_loans:
        out.append(
            f"loan {loan['loan_number']}: {loan['effect']:+.2f} {loan['currency']} posted ({loan['kinds']}, "
            f"dated {loan['from']} to {loan['to']}) after {loan['stored_month']} was stored"
        )
    return "\n".join(out) + "\n"
