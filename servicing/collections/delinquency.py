"""Delinquency from the ledger (issue 11 item 1), set-based over the whole book in one pass.

For each loan we service ourselves (active or defaulted) as of a date D:

- the **billed installments** are the ledger's postings into the due accounts (`principal_due`, `interest_due`,
  `escrow_due`) dated on or before D, grouped by their date (the due date); what **paid** them is every posting out
  of those accounts dated on or before D (payments' applications, repayments, write-offs). A posting that was
  reversed, and its reversal, count for neither (SRV-4: the pair cancels).
- payments settle the oldest due date first, so the unsettled amount `U` = billed − paid belongs to the newest
  due dates: a due date is fully settled when the bills after it are at least `U`. The **oldest due date not
  fully settled** gives `days_past_due` = D − that date (0 on the due date itself).
- `amount_past_due` is `U`, in the loan's currency; fees and late charges (`fees_due`) are shown apart and never
  make a loan delinquent.
- the **bucket** is the `DelinquencyBucket` (reference data) whose days hold `days_past_due`.

`delinquency_refresh(business_date=D)` keeps `LoanDelinquency` (one row per loan with something unsettled) and the
loan's collections state (DESIGN.md §5: `Loan.days_past_due`, `Loan.in_collections`, true while days past due
≥ 1, a hardship plan runs or a legal case is open) in step; it is the only writer of those two fields
(tests/test_cached_facts.py). The loan's history does not record them: they are derived nightly from the ledger.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from loanregister.choices import LoanStatus
from loanregister.register_cache import bump_version

from ..models import Account

DUE_ACCOUNTS = [Account.PRINCIPAL_DUE.value, Account.INTEREST_DUE.value, Account.ESCROW_DUE.value]
COLLECTIBLE_STATUSES = [LoanStatus.ACTIVE.value, LoanStatus.DEFAULTED.value]
LEGAL_CASE_OPEN_STATES = ["open", "in_court", "enforcing"]


@dataclass(frozen=True)
class Delinquency:
    loan_id: int
    loan_number: str
    oldest_unpaid_due_date: datetime.date
    days_past_due: int
    amount_past_due: Decimal
    fees_due: Decimal
    currency: str
    bucket: str


# Per loan and day: what was billed into the due accounts and what was paid out of them (reversed pairs left out).
FLOWS_SQL = """
    SELECT p.loan_id, p.effective_date,
           SUM(CASE WHEN p.debit_account = ANY(%(due)s) THEN p.amount ELSE 0 END) AS billed,
           SUM(CASE WHEN p.credit_account = ANY(%(due)s) THEN p.amount ELSE 0 END) AS paid
    FROM servicing_posting p
    WHERE (p.debit_account = ANY(%(due)s) OR p.credit_account = ANY(%(due)s))
      AND p.effective_date <= %(as_of)s AND p.kind <> 'reversal'
      AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)
      AND p.loan_id IN ({loans})
    GROUP BY p.loan_id, p.effective_date"""

# Each day's bills with the loan's unsettled total and what was billed after that day: window functions over one
# sorted pass, no join (a join of two large intermediate sets is what a planner without fresh statistics, as
# inside the demo seed's transaction, can turn quadratic).
DAYS_SQL = """
    SELECT loan_id, effective_date AS due_date, billed,
           SUM(billed - paid) OVER (PARTITION BY loan_id) AS unsettled,
           SUM(billed) OVER (PARTITION BY loan_id ORDER BY effective_date DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - billed AS billed_later
    FROM ({flows}) f"""


def book_sql(*, loan_ids: bool = False) -> str:
    """The loans collections covers: ours, active or defaulted (`%(loan_ids)s` only, when asked)."""
    only = " AND l.id = ANY(%(loan_ids)s)" if loan_ids else ""
    return (
        "SELECT l.id FROM loanregister_loan l JOIN loanregister_servicer s ON s.id = l.servicer_id "
        f"WHERE s.is_own AND l.status = ANY(%(statuses)s){only}"
    )


def unpaid_days_sql(loans: str) -> str:
    """Every unpaid due date of the loans of the subquery `loans` as of `%(as_of)s`: (loan_id, due_date, billed,
    unsettled, billed_later); a due date is unpaid when what was billed after it is less than the unsettled total."""
    days = DAYS_SQL.format(flows=FLOWS_SQL.format(loans=loans))
    return f"SELECT * FROM ({days}) d WHERE billed > 0 AND unsettled > 0 AND billed_later < unsettled"


def delinquency_sql(*, loan_ids: bool = False) -> str:
    """The one statement: every loan with an unsettled billed amount as of `%(as_of)s`, with its oldest unpaid
    due date, days past due, amount past due, fees due and bucket. `loan_ids`: only the loans of `%(loan_ids)s`."""
    return f"""
    WITH oldest AS (
        SELECT loan_id, MIN(due_date) AS due_date, MAX(unsettled) AS unsettled
        FROM ({unpaid_days_sql(book_sql(loan_ids=loan_ids))}) u
        GROUP BY loan_id
    )
    SELECT o.loan_id, l.loan_number, o.due_date,
           GREATEST(%(as_of)s::date - o.due_date, 0) AS days,
           o.unsettled,
           COALESCE((SELECT SUM(CASE WHEN f.debit_account = 'fees_due' THEN f.amount ELSE -f.amount END)
                     FROM servicing_posting f
                     WHERE f.loan_id = o.loan_id AND f.effective_date <= %(as_of)s
                       AND (f.debit_account = 'fees_due' OR f.credit_account = 'fees_due')), 0) AS fees,
           l.currency,
           COALESCE((SELECT b.code FROM servicing_delinquencybucket b
                     WHERE %(as_of)s::date - o.due_date >= b.min_days
                       AND (b.max_days IS NULL OR %(as_of)s::date - o.due_date <= b.max_days)
                     ORDER BY b.min_days LIMIT 1), '') AS bucket
    FROM oldest o JOIN loanregister_loan l ON l.id = o.loan_id
    """


def _params(as_of: datetime.date, loan_ids: Iterable[int] | None = None) -> dict:
    params = {"as_of": as_of, "due": DUE_ACCOUNTS, "statuses": COLLECTIBLE_STATUSES}
    if loan_ids is not None:
        params["loan_ids"] = list(loan_ids)
    return params


def delinquency_as_of(*, as_of: datetime.date, loan_ids: Iterable[int] | None = None) -> list[Delinquency]:
    """Every loan (or those of `loan_ids`) with something billed and unsettled as of the date."""
    with connection.cursor() as cursor:
        cursor.execute(delinquency_sql(loan_ids=loan_ids is not None), _params(as_of, loan_ids))
        return [Delinquency(*row) for row in cursor.fetchall()]


def loan_delinquency(*, loan, as_of: datetime.date) -> Delinquency | None:
    """One loan's delinquency as of the date (None: nothing billed is unsettled)."""
    rows = delinquency_as_of(as_of=as_of, loan_ids=[loan.pk])
    return rows[0] if rows else None


def bucket_for(days: int) -> str:
    """The bucket of a number of days past due ('' for none), as the statement finds it."""
    from ..models import DelinquencyBucket

    for bucket in DelinquencyBucket.objects.order_by("min_days"):
        if days >= bucket.min_days and (bucket.max_days is None or days <= bucket.max_days):
            return bucket.code
    return ""


@transaction.atomic
def delinquency_refresh(*, business_date: datetime.date, loan_ids: Iterable[int] | None = None) -> dict:
    """Bring `LoanDelinquency` and every loan's collections state (or only these loans') in step with the ledger
    as of the date.

    Three statements: the delinquency into its table (upsert, and the rows of loans no longer behind deleted),
    then one UPDATE of the loans whose days past due or in-collections flag changed. Returns counts."""
    ids = None if loan_ids is None else list(loan_ids)
    only = "" if ids is None else " AND {column} = ANY(%(loan_ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _delinquency (LIKE servicing_loandelinquency) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE _delinquency")
        cursor.execute(
            f"""
            INSERT INTO _delinquency (loan_id, as_of, oldest_unpaid_due_date, days_past_due, amount_past_due,
                                      fees_due, currency, bucket)
            SELECT d.loan_id, %(as_of)s, d.due_date, d.days, d.unsettled, d.fees, d.currency, d.bucket
            FROM ({delinquency_sql(loan_ids=ids is not None)}) AS d
                 (loan_id, loan_number, due_date, days, unsettled, fees, currency, bucket)
            """,
            _params(business_date, ids),
        )
        cursor.execute(
            """
            DELETE FROM servicing_loandelinquency d
            WHERE NOT EXISTS (SELECT 1 FROM _delinquency n WHERE n.loan_id = d.loan_id)"""
            + only.format(column="d.loan_id"),
            {"loan_ids": ids},
        )
        cleared = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO servicing_loandelinquency
            SELECT * FROM _delinquency
            ON CONFLICT (loan_id) DO UPDATE SET
                as_of = EXCLUDED.as_of, oldest_unpaid_due_date = EXCLUDED.oldest_unpaid_due_date,
                days_past_due = EXCLUDED.days_past_due, amount_past_due = EXCLUDED.amount_past_due,
                fees_due = EXCLUDED.fees_due, currency = EXCLUDED.currency, bucket = EXCLUDED.bucket
            """
        )
        behind = cursor.rowcount
        cursor.execute(
            """
            WITH state AS (
                SELECT l.id,
                       COALESCE(d.days_past_due, 0) AS days,
                       (COALESCE(d.days_past_due, 0) >= 1
                        OR EXISTS (SELECT 1 FROM servicing_hardshipplan h WHERE h.loan_id = l.id AND h.state = 'active')
                        OR EXISTS (SELECT 1 FROM servicing_escalation e WHERE e.loan_id = l.id AND e.state = 'open')
                        OR EXISTS (SELECT 1 FROM servicing_legalcase c
                                   WHERE c.loan_id = l.id AND c.state = ANY(%(legal_open)s))) AS flagged
                FROM loanregister_loan l
                LEFT JOIN _delinquency d ON d.loan_id = l.id
                WHERE (l.days_past_due > 0 OR l.in_collections OR d.loan_id IS NOT NULL
                   OR l.id IN (SELECT loan_id FROM servicing_hardshipplan WHERE state = 'active')
                   OR l.id IN (SELECT loan_id FROM servicing_escalation WHERE state = 'open')
                   OR l.id IN (SELECT loan_id FROM servicing_legalcase WHERE state = ANY(%(legal_open)s)))"""
            + only.format(column="l.id")
            + """
            )
            UPDATE loanregister_loan l SET days_past_due = s.days, in_collections = s.flagged
            FROM state s
            WHERE l.id = s.id AND (l.days_past_due <> s.days OR l.in_collections <> s.flagged)
            """,
            {"legal_open": LEGAL_CASE_OPEN_STATES, "loan_ids": ids},
        )
        loans_changed = cursor.rowcount
    if loans_changed:
        bump_version()  # the register's cached totals that filter on the collections state
    return {"behind": behind, "cleared": cleared, "loans_changed": loans_changed}
