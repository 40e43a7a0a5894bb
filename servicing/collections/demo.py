"""Arrears for the demo book (issue 11), so that `make run` shows a working collector's queue.

Registered as a demo seeder (common.hooks.add_demo_seeder, servicing's AppConfig.ready()); runs inside seed_demo's
transaction after the opening balances. About 5% of the active loans we service fall behind, spread across the
buckets (days past due from 3 to 130): each gets its monthly payment notices from its oldest unpaid due date to
today, those installments billed into the ledger as the nightly billing does (same external ids, so the nightly job
never bills them twice), and about half of them a partial payment that paid the oldest installment's interest.
Then the collections job's own steps run for today (delinquency, the queue). Set-based: a few statements whatever
the size of the book; deterministic for a seed. Needs the ledger (`--without-ledger`: no arrears).
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from ..ledger import postings_insert_select
from ..models import Account, PostingKind
from .delinquency import delinquency_refresh
from .queue import cases_sync

SHARE = 20  # one loan in SHARE falls behind (5%)
DAYS = [3, 8, 12, 20, 26, 35, 45, 55, 65, 75, 85, 95, 110, 130]


def demo_arrears_seed(*, loan_ids, today: datetime.date, seed: int, ledger: bool) -> str:
    if not ledger or not len(loan_ids):
        return "no arrears (no ledger)"
    first, last = loan_ids[0], loan_ids[-1]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _demo_arrears")
        cursor.execute(
            """
            CREATE TEMP TABLE _demo_arrears ON COMMIT DROP AS
            SELECT l.id AS loan_id, l.loan_number, l.currency, l.borrower_id,
                   b.email, COALESCE(NULLIF(b.preferred_language, ''), 'da') AS language,
                   GREATEST(ROUND(l.outstanding_balance * l.interest_rate / 1200, 2), 0) AS interest,
                   LEAST(l.outstanding_balance,
                         ROUND(l.outstanding_balance / GREATEST((l.maturity_date - %(today)s) / 30, 1), 2))
                       AS principal,
                   (%(days)s::int[])[1 + (hashint4(l.id::int # %(seed)s) & 2147483647) %% %(n_days)s] AS days
            FROM loanregister_loan l
            JOIN loanregister_servicer s ON s.id = l.servicer_id AND s.is_own
            JOIN loanregister_borrower b ON b.id = l.borrower_id
            WHERE l.id BETWEEN %(first)s AND %(last)s AND l.status = 'active' AND l.outstanding_balance > 0
              AND l.maturity_date > %(today)s::date + 180
              AND (hashint4(l.id::int + %(seed)s) & 2147483647) %% %(share)s = 0
            """,
            {
                "today": today,
                "days": DAYS,
                "n_days": len(DAYS),
                "seed": seed,
                "first": first,
                "last": last,
                "share": SHARE,
            },
        )
        cursor.execute(
            """
            CREATE TEMP TABLE _demo_dues ON COMMIT DROP AS
            SELECT a.*, (%(today)s::date - a.days + make_interval(months => k))::date AS due_date, k
            FROM _demo_arrears a, generate_series(0, 5) k
            WHERE (%(today)s::date - a.days + make_interval(months => k))::date <= %(today)s
            """,
            {"today": today},
        )
        cursor.execute(
            """
            INSERT INTO servicing_paymentnotice (loan_id, period, due_date, interest_date, currency, amount,
                principal, interest, fees, escrow, channel, recipient, language, state, business_date,
                batch_date, created_at, sent_at, error)
            SELECT loan_id, k + 1, due_date, due_date, currency, principal + interest, principal, interest, 0, 0,
                   CASE WHEN email = '' THEN 'letter' ELSE 'email' END, email, language,
                   CASE WHEN email = '' THEN 'batched' ELSE 'sent' END, due_date - 14,
                   CASE WHEN email = '' THEN due_date - 14 END, %(now)s, %(now)s, ''
            FROM _demo_dues
            ON CONFLICT (loan_id, due_date) DO NOTHING
            """,
            {"now": now},
        )
        notices = cursor.rowcount
    billed = 0
    for column, kind, debit, credit in (
        ("principal", PostingKind.SCHEDULED_PAYMENT_DUE, Account.PRINCIPAL_DUE, Account.PRINCIPAL),
        ("interest", PostingKind.INTEREST, Account.INTEREST_DUE, Account.INTEREST_INCOME),
    ):
        billed += postings_insert_select(
            f"""
            SELECT d.loan_id, %s, d.due_date, d.{column}, d.currency, %s, %s, NULL, COALESCE(p.category, ''), '',
                   '', 'installment:' || d.loan_number || ':' || CAST(d.due_date AS TEXT) || ':' || %s,
                   NULL, NULL, %s, NULL
            FROM _demo_dues d JOIN loanregister_loan l ON l.id = d.loan_id
            LEFT JOIN loanregister_property p ON p.id = l.property_id
            WHERE d.{column} > 0
            ORDER BY d.loan_id, d.due_date
            """,
            [kind.value, debit.value, credit.value, column, now],
        )
    # Half of them paid the oldest installment's interest a few days late: a payment and its application.
    paid = 0
    for kind, debit, credit, suffix in (
        (PostingKind.PAYMENT, Account.CASH, Account.SUSPENSE, "payment"),
        (PostingKind.INTEREST_PAID, Account.SUSPENSE, Account.INTEREST_DUE, "interest"),
    ):
        paid += postings_insert_select(
            """
            SELECT d.loan_id, %s, LEAST(d.due_date + 3, %s::date), d.interest, d.currency, %s, %s, NULL, '', '',
                   'demo arrears', 'demo-arrears:' || d.loan_number || ':' || %s, NULL, NULL, %s, NULL
            FROM _demo_dues d
            WHERE d.k = 0 AND d.interest > 0 AND d.loan_id %% 2 = 0
            ORDER BY d.loan_id
            """,
            [kind.value, today, debit.value, credit.value, suffix, now],
        )
    with connection.cursor() as cursor:
        # statistics of what this transaction wrote, so the planner sees a book and not empty tables
        cursor.execute("ANALYZE loanregister_loan, servicing_posting, servicing_paymentnotice")
    behind = delinquency_refresh(business_date=today)
    cases = cases_sync(business_date=today)
    return (
        f"{behind['behind']} loans behind ({notices} notices, {billed} installment postings, {paid // 2} partial "
        f"payments), {cases['opened']} collections cases"
    )
