"""Benchmark of the Django admin's changelists at a million loans (issue 9, target 5). Run by hand, not in the suite.

    .venv/bin/python bench/admin_changelists.py [--database-url postgres://postgres@127.0.0.1:5432/lr_admin_bench]
                                                [--fill] [--repeat 5] [--only loan,borrower] [--json PATH]

The database must hold a seeded book (`manage.py seed_demo --loans 1000000 --without-ledger`, see
docs/benchmarks.md); the script neither creates nor drops it. `--fill` first adds synthetic rows, by SQL, to the
big tables a seed without ledger leaves empty (postings, payment notices, the export, import and job logs; and the
later issues' reminders, loans behind, payoff statements, transfer notices and campaign members), so that every
changelist of issue 9 is measured on more than 100,000 rows (the loans behind: 50,000, one in twenty).

For each big changelist it times, server-side through Django's test Client with a signed-in superuser
(`force_login`; whole request: middleware, session, admin view, template; `DEBUG=false`): page 1, a deep page
(`?p=999`), the last page the paginator links to, searches, and filters with their last page. Each is warmed up once, run
once under `CaptureQueriesContext`, then timed `--repeat` times (median). Beside it: its floor, the changelist's
main SELECT (the page's rows) run alone by `psql` with `\\timing` in one warm session (median of `--repeat` after
one warm-up), and the ratio Django ÷ floor; the number of statements, and whether any of them was a `COUNT(*)`
over the whole table or a `DISTINCT`.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

# A server-side cursor (QuerySet.iterator) is captured as its DECLARE; psql runs the SELECT inside it.
_DECLARE = re.compile(r"^\s*DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+", re.I | re.S)
_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK|BEGIN|COMMIT)\b", re.I)
_PAGE_LINK = re.compile(rb"[?&]amp;p=(\d+)|[?&]p=(\d+)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_admin_bench"),
        help="a seeded database (it is not created or dropped here)",
    )
    parser.add_argument(
        "--fill",
        action="store_true",
        help="add synthetic postings, notices and log rows where the seed left those tables small",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (median reported)")
    parser.add_argument("--only", default="", help="comma-separated changelist names (see CHANGELISTS)")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


# --- the synthetic rows ---------------------------------------------------------------------------------------

FILL_MIN_ROWS = 100_000

# Per table: the SQL that adds rows (set-based, one statement), run only when the table holds fewer than
# FILL_MIN_ROWS rows. The shapes are plausible, not exact: the admin's queries care about volume and spread.
FILL_SQL = {
    "servicing_posting": """
        INSERT INTO servicing_posting (kind, effective_date, amount, currency, debit_account, credit_account,
            property_category, payee, note, external_id, created_at, loan_id)
        SELECT 'opening_balance', CURRENT_DATE - 400, outstanding_balance, currency, 'principal', 'opening',
               '', '', '', NULL, now(), id
          FROM loanregister_loan WHERE outstanding_balance > 0
        UNION ALL
        SELECT k.kind, CURRENT_DATE - (l.id % 365)::int,
               round(greatest(l.outstanding_balance, 1000) * 0.0025, 2) + 0.01, l.currency,
               CASE WHEN k.kind IN ('payment', 'reversal') THEN 'cash' WHEN k.kind = 'interest' THEN 'interest_due'
                    ELSE 'fees_due' END,
               CASE WHEN k.kind IN ('payment', 'reversal') THEN 'suspense'
                    WHEN k.kind = 'interest' THEN 'interest_income' ELSE 'fee_income' END,
               '', '', '', 'BANK-' || l.id, now(), l.id
          FROM loanregister_loan l
         CROSS JOIN LATERAL (
               SELECT CASE WHEN l.id % 1000 = 1 THEN 'reversal' WHEN l.id % 500 = 0 THEN 'late_charge'
                           WHEN l.id % 97 = 0 THEN 'fee' WHEN l.id % 2 = 0 THEN 'payment' ELSE 'interest' END
                      AS kind) k
    """,
    "servicing_paymentnotice": """
        INSERT INTO servicing_paymentnotice (period, due_date, interest_date, currency, amount, principal,
            interest, fees, escrow, channel, recipient, language, state, business_date, batch_date,
            created_at, sent_at, error, loan_id)
        SELECT 1 + (l.id % 120)::int, d.due, d.due - 1, l.currency,
               round(l.principal / 360, 2) + round(l.principal * 0.0025, 2), round(l.principal / 360, 2),
               round(l.principal * 0.0025, 2), 0, 0,
               CASE WHEN l.id % 7 = 0 THEN 'letter' ELSE 'email' END,
               CASE WHEN l.id % 7 = 0 THEN '' ELSE 'borrower' || l.borrower_id || '@example.com' END,
               CASE WHEN l.id % 33 = 0 THEN 'en' ELSE 'da' END,
               CASE WHEN l.id % 7 = 0 THEN 'batched' WHEN l.id % 1000 = 3 THEN 'failed'
                    WHEN l.id % 200 = 5 THEN 'pending' ELSE 'sent' END,
               d.due - 21, CASE WHEN l.id % 7 = 0 THEN d.due - 21 END, now(),
               CASE WHEN l.id % 7 <> 0 THEN now() END, '', l.id
          FROM loanregister_loan l
         CROSS JOIN LATERAL (
               SELECT (date_trunc('month', CURRENT_DATE) + make_interval(months => (l.id % 12)::int))::date
               AS due) d
         WHERE l.status = 'active'
    """,
    "loanregister_exportlog": """
        INSERT INTO loanregister_exportlog (created_at, finished_at, kind, source, format, dialect, filters,
            include_do_not_contact, with_contact_details, row_count, file_name, completed, error, user_id)
        SELECT now() - make_interval(mins => g), now() - make_interval(mins => g) + interval '3 seconds',
               CASE WHEN g % 10 = 0 THEN 'leads' ELSE 'register' END,
               CASE WHEN g % 5 = 0 THEN 'command' ELSE 'web' END, CASE WHEN g % 4 = 0 THEN 'xlsx' ELSE 'csv' END,
               '', '{}'::jsonb, g % 50 = 0, g % 3 = 0, g % 100000, 'maturities-' || g || '.csv', g % 90 <> 0, '',
               NULL
          FROM generate_series(1, 200000) g
    """,
    "loanregister_importrun": """
        INSERT INTO loanregister_importrun (kind, file_name, started_at, ok, rows, created, updated, unchanged,
            errors, notices, user_id)
        SELECT (ARRAY['loans', 'transactions', 'exchange_rates'])[1 + g % 3], 'file-' || g || '.csv',
               now() - make_interval(mins => g), g % 20 <> 0, g % 5000, g % 100, g % 50, g % 4000,
               CASE WHEN g % 20 = 0 THEN 'line 2: amount: not a number' ELSE '' END, '', NULL
          FROM generate_series(1, 200000) g
    """,
    "loanregister_jobrun": """
        INSERT INTO loanregister_jobrun (job, business_date, state, started_at, finished_at, result, error)
        SELECT j.job, CURRENT_DATE - g, CASE WHEN g % 97 = 0 THEN 'failed' ELSE 'done' END,
               now() - make_interval(days => g), now() - make_interval(days => g) + interval '1 minute',
               '{}'::jsonb, CASE WHEN g % 97 = 0 THEN 'boom' ELSE '' END
          FROM generate_series(1, 30000) g
         CROSS JOIN (VALUES ('installments_due'), ('payment_notices'), ('servicing_transfers'),
                            ('escrow_disbursements')) j(job)
        ON CONFLICT DO NOTHING
    """,
    # The later issues' big tables (collections, payoffs, transfers, campaigns). Reminders: a first night's worth
    # (docs/collections.md: 330,000 recorded), one step of the default ladder for every third loan.
    "servicing_reminder": """
        INSERT INTO servicing_reminder (loan_id, due_date, step_id, step_days, state, channel, business_date,
            amount_past_due, currency, language, recipient, created_at, delivered_at)
        SELECT l.id, date_trunc('month', CURRENT_DATE)::date - 31 * (1 + l.id % 3)::int, s.id, s.days,
               CASE WHEN l.id % 7 = 0 THEN 'skipped' ELSE 'sent' END,
               CASE WHEN l.id % 7 = 0 THEN '' ELSE s.channel END,
               CURRENT_DATE - (l.id % 90)::int, round(l.principal * 0.005, 2), l.currency,
               CASE WHEN l.id % 33 = 0 THEN 'en' ELSE 'da' END, '', now(),
               CASE WHEN l.id % 7 <> 0 THEN now() END
          FROM loanregister_loan l
          JOIN (SELECT id, days, channel, row_number() OVER (ORDER BY days) - 1 AS n,
                       count(*) OVER () AS steps
                  FROM servicing_reminderstep WHERE loan_type = '') s ON s.n = l.id % s.steps
         WHERE l.id % 3 = 0
    """,
    # Loans behind: one in twenty (the demo's arrears are about 5%), in the default buckets.
    "servicing_loandelinquency": """
        INSERT INTO servicing_loandelinquency (loan_id, as_of, oldest_unpaid_due_date, days_past_due,
            amount_past_due, fees_due, currency, bucket)
        SELECT l.id, CURRENT_DATE, CURRENT_DATE - (1 + l.id % 130)::int, (1 + l.id % 130)::int,
               round(l.principal * 0.005, 2), 0, l.currency,
               CASE WHEN l.id % 130 < 29 THEN '1-29' WHEN l.id % 130 < 59 THEN '30-59'
                    WHEN l.id % 130 < 89 THEN '60-89' ELSE '90+' END
          FROM loanregister_loan l
         WHERE l.id % 20 = 0
        ON CONFLICT DO NOTHING
    """,
    # Payoff quotes: one for every eighth loan (some 125,000), issued over the last year.
    "servicing_payoffstatement": """
        INSERT INTO servicing_payoffstatement (loan_id, requested_by, as_of, good_through, currency, interest_rate,
            day_count, interest_from, interest_days, principal, interest_due, accrued_interest, per_diem, fees,
            escrow_balance, suspense, total, issued_at, issued_by_id)
        SELECT l.id, '', CURRENT_DATE - (l.id % 365)::int, CURRENT_DATE - (l.id % 365)::int + 14, l.currency,
               4.5, '30E/360', CURRENT_DATE - (l.id % 365)::int - 20, 20, l.outstanding_balance, 0, 10, 0.5, 0,
               0, 0, l.outstanding_balance + 10, now() - make_interval(mins => (l.id % 525600)::int), NULL
          FROM loanregister_loan l
         WHERE l.id % 8 = 0
    """,
    # One servicing transfer of every fifth loan (200,000 notices) to the third-party servicer.
    "servicing_transfernotice": """
        WITH own AS (SELECT id FROM loanregister_servicer ORDER BY is_own DESC, id LIMIT 1),
             other AS (SELECT id FROM loanregister_servicer ORDER BY is_own, id LIMIT 1),
             transfer AS (
               INSERT INTO servicing_servicingtransfer (from_servicer_id, to_servicer_id, effective_date,
                   loan_count, selection, reason, state, applied_at, created_at, created_by_id)
               SELECT NULL, other.id, CURRENT_DATE - 30, 0, '{}'::jsonb, 'admin bench', 'done', now(), now(), NULL
                 FROM other RETURNING id, to_servicer_id)
        INSERT INTO servicing_transfernotice (transfer_id, loan_id, borrower_id, old_servicer_id, new_servicer_id,
            effective_date, language, channel, subject, body, created_at, sent_at)
        SELECT t.id, l.id, l.borrower_id, coalesce(l.servicer_id, own.id), t.to_servicer_id, CURRENT_DATE - 30,
               CASE WHEN l.id % 33 = 0 THEN 'en' ELSE 'da' END,
               CASE WHEN l.id % 7 = 0 THEN 'letter' ELSE 'email' END, 'Ny servicer', '...', now(), now()
          FROM loanregister_loan l CROSS JOIN transfer t CROSS JOIN own
         WHERE l.id % 5 = 0
    """,
    # Four frozen campaigns of 50,000 members each (docs/campaigns.md), one in ten left out.
    "loanregister_campaignmember": """
        WITH campaigns AS (
               INSERT INTO loanregister_campaign (name, channel, filters, state, created_by_id, created_at,
                   frozen_on, frozen_at, frozen_by_id, sent_on, updated_at)
               SELECT 'Bench campaign ' || g, 'mailing', '{}'::jsonb, 'frozen', NULL, now(), CURRENT_DATE - g,
                      now(), NULL, NULL, now()
                 FROM generate_series(0, 3) g RETURNING id),
             numbered AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM campaigns)
        INSERT INTO loanregister_campaignmember (campaign_id, loan_id, borrower_id, event_date, reason,
            household_loans, won_loan_id)
        SELECT c.id, l.id, l.borrower_id, l.maturity_date,
               CASE WHEN l.id % 500 = 5 THEN 'contact_cap' WHEN l.id / 5 % 10 = 1 THEN 'do_not_contact'
                    WHEN l.id / 5 % 10 = 2 THEN 'recent_campaign' ELSE '' END, 0, NULL
          FROM loanregister_loan l JOIN numbered c ON c.n = l.id % 4
         WHERE l.id % 5 = 0
    """,
}


def fill(database_url: str) -> dict:
    """Add the synthetic rows where a table is small; VACUUM ANALYZE what changed. Returns rows per table."""
    from django.db import connection

    added = {}
    for table, sql in FILL_SQL.items():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our table names)
            before = cursor.fetchone()[0]
            if before >= FILL_MIN_ROWS:
                continue
            started = time.perf_counter()
            cursor.execute(sql)
            added[table] = cursor.rowcount
            print(
                f"  {table}: +{cursor.rowcount:,} rows in {time.perf_counter() - started:.0f} s", flush=True
            )
    if added:
        tables = " ".join(added)
        subprocess.run(
            ["psql", "-X", "-q", "-d", database_url, "-c", f"VACUUM (ANALYZE) {', '.join(added)}"], check=True
        )
        print(f"  vacuumed and analyzed {tables}", flush=True)
    return added


# --- the changelists --------------------------------------------------------------------------------------


def changelists() -> dict[str, dict]:
    """Per big changelist: its URL, its table, and the searches and filters to time (built from the book)."""
    from django.urls import reverse

    from loanregister.models import Campaign, Loan, Servicer

    def url(label: str) -> str:
        app, model = label.split(".")
        return reverse(f"admin:{app}_{model}_changelist")

    a_loan = Loan.objects.order_by("id").values_list("loan_number", flat=True)[500_000]
    third_party = Servicer.objects.filter(code="LSD").values_list("pk", flat=True).first()  # seed_demo's
    a_campaign = Campaign.objects.order_by("id").values_list("pk", flat=True).first()  # --fill's
    return {
        "loan": {
            "url": url("loanregister.loan"),
            "table": "loanregister_loan",
            "searches": {"name jensen": "jensen", "full name": "anders jensen", "loan number": a_loan},
            "filters": {
                "currency EUR": {"currency__exact": "EUR"},
                "status charged off": {"status__exact": "charged_off"},
            },
        },
        "borrower": {
            "url": url("loanregister.borrower"),
            "table": "loanregister_borrower",
            "searches": {"name jensen": "jensen", "full name": "anders jensen"},
            "filters": {"do not contact": {"do_not_contact__exact": "1"}},
        },
        "property": {
            "url": url("loanregister.property"),
            "table": "loanregister_property",
            "searches": {"address vestergade": "vestergade"},
            "filters": {"category industry": {"category__exact": "industry"}},
        },
        "servicer assignment": {
            "url": url("loanregister.servicerassignment"),
            "table": "loanregister_servicerassignment",
            "searches": {"loan number": a_loan},
            "filters": {"third-party servicer": {"servicer__id__exact": str(third_party)}},
        },
        "register event": {
            "url": url("loanregister.registerevent"),
            "table": "loanregister_registerevent",
            "searches": {"loan number": a_loan},
            "filters": {
                "kind rate reset": {"kind__exact": "rate_reset"},
                "currency EUR": {"currency__exact": "EUR"},
            },
        },
        "register day sum": {
            "url": url("loanregister.registerdaysum"),
            "table": "loanregister_registerdaysum",
            "searches": {},  # searched by a day only (the key index's first column): not timed here
            "filters": {
                "kind maturity": {"kind__exact": "maturity"},
                "currency EUR": {"currency__exact": "EUR"},
            },
        },
        "posting": {
            "url": url("servicing.posting"),
            "table": "servicing_posting",
            "searches": {"loan number": a_loan},
            "filters": {
                "kind reversal": {"kind__exact": "reversal"},
                "currency EUR": {"currency__exact": "EUR"},
            },
        },
        "payment notice": {
            "url": url("servicing.paymentnotice"),
            "table": "servicing_paymentnotice",
            "searches": {"loan number": a_loan, "name jensen": "jensen", "full name": "anders jensen"},
            "filters": {"state failed": {"state__exact": "failed"}, "language en": {"language__exact": "en"}},
        },
        "export log": {
            "url": url("common.exportlog"),
            "table": "loanregister_exportlog",
            "searches": {"file name": "maturities-4711"},
            "filters": {"format xlsx": {"format__exact": "xlsx"}},
        },
        "import run": {
            "url": url("common.importrun"),
            "table": "loanregister_importrun",
            "searches": {"file name": "file-4711"},
            "filters": {"kind transactions": {"kind__exact": "transactions"}},
        },
        "reminder": {
            "url": url("servicing.reminder"),
            "table": "servicing_reminder",
            "searches": {"loan number": a_loan},
            "filters": {
                "state skipped": {"state__exact": "skipped"},
                "channel letter": {"channel__exact": "letter"},
            },
        },
        "loan delinquency": {
            "url": url("servicing.loandelinquency"),
            "table": "servicing_loandelinquency",
            "searches": {"loan number": a_loan[:-2]},
            "filters": {"bucket 90+": {"bucket__exact": "90+"}, "currency EUR": {"currency__exact": "EUR"}},
        },
        "payoff statement": {
            "url": url("servicing.payoffstatement"),
            "table": "servicing_payoffstatement",
            "searches": {"loan number": a_loan[:-2]},
            "filters": {"currency EUR": {"currency__exact": "EUR"}},
        },
        "transfer notice": {
            "url": url("servicing.transfernotice"),
            "table": "servicing_transfernotice",
            "searches": {"loan number": a_loan[:-2], "name jensen": "jensen"},
            "filters": {
                "language en": {"language__exact": "en"},
                "channel letter": {"channel__exact": "letter"},
            },
        },
        "campaign member": {
            "url": url("loanregister.campaignmember"),
            "table": "loanregister_campaignmember",
            "searches": {"loan number": a_loan[:-2], "name jensen": "jensen"},
            "filters": {
                "reason contact cap": {"reason__exact": "contact_cap"},
                "reason recent campaign": {"reason__exact": "recent_campaign"},
                "campaign": {"campaign__id__exact": str(a_campaign)},
            },
        },
        "job run": {
            "url": url("common.jobrun"),
            "table": "loanregister_jobrun",
            "searches": {"job": "payment_notices"},
            "filters": {"job payment notices": {"job__exact": "payment_notices"}},
        },
    }


def last_page(content: bytes) -> int:
    """The highest page number the changelist's paginator links to (1 when it shows none)."""
    numbers = [int(a or b) for a, b in _PAGE_LINK.findall(content)]
    return max(numbers, default=1)


def rows_on_page(content: bytes) -> int:
    """The rows of the changelist's result table."""
    start, end = content.find(b"<tbody>"), content.find(b"</tbody>")
    return content[start:end].count(b"<tr") if start >= 0 else 0


def main_select(statements: list[str], table: str) -> str | None:
    """The changelist's main SELECT: the last statement that reads the page's rows from its table (with a LIMIT
    when the list has more than one page; without one when it fits on one)."""
    candidates = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and f'FROM "{table}"' in s
        and "COUNT(" not in s.upper()
        and "DISTINCT" not in s.upper()
        and " MIN(" not in s.upper()
    ]
    paged = [s for s in candidates if " LIMIT " in s]
    return (paged or candidates or [None])[-1]


def whole_table_count(statement: str) -> bool:
    """A COUNT(*) that is not over a LIMITed subquery."""
    upper = statement.upper()
    return "COUNT(" in upper and " LIMIT " not in upper


def psql_ms(database_url: str, statement: str, repeat: int) -> float:
    """Median `\\timing` of one statement over `repeat` runs in one warm session, after one warm-up run."""
    statement = _DECLARE.sub("", statement).strip().rstrip(";")
    script = "SET TIME ZONE 'UTC';\n\\timing on\n\\o /dev/null\n" + f"{statement};\n" * (repeat + 1)
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr}\n{statement}")
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", result.stdout)]
    return statistics.median(times[1:])


def time_page(client, url: str, repeat: int, table: str, database_url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm up (templates, plans, PostgreSQL's buffers)
    status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = [q for q in captured.captured_queries if not _TRANSACTION_CONTROL.match(q["sql"])]
    content = response.content
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        _ = response.content
        timings.append((time.perf_counter() - started) * 1000)
    statements = [q["sql"] for q in queries]
    main = main_select(statements, table)
    slowest = max(queries, key=lambda q: float(q["time"]))
    floor = psql_ms(database_url, main, repeat) if main else None
    django_ms = statistics.median(timings)
    return {
        "url": url,
        "status": status,
        "django_ms": django_ms,
        "django_best_ms": min(timings),
        "floor_ms": floor,
        "ratio": django_ms / floor if floor else None,
        "queries": len(statements),
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"][:400],
        "main_select": main,
        "whole_table_counts": sum(whole_table_count(s) for s in statements),
        "distincts": sum("DISTINCT" in s.upper() for s in statements),
        "last_page": last_page(content),
        "rows_on_page": rows_on_page(content),
    }


def main() -> int:
    args = parse_args()
    env = {
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",  # as in production: no debug cursor, no debug toolbar
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    filled = fill(args.database_url) if args.fill else {}

    user, _created = get_user_model().objects.get_or_create(
        username="admin-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "testserver")
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    lists = changelists()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    rows_per_table = {}
    with connection.cursor() as cursor:
        for spec in lists.values():
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [spec["table"]])
            rows_per_table[spec["table"]] = cursor.fetchone()[0]
    load = os.getloadavg()
    print(
        f"\n{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"rows (pg_class.reltuples): "
        + ", ".join(f"{table} {n:,}" for table, n in rows_per_table.items())
        + "\n"
    )
    header = (
        f"{'changelist':20} {'page':34} {'status':>6} {'Django ms':>10} {'floor ms':>9} {'ratio':>6} "
        f"{'queries':>7} {'SQL ms':>7} {'slowest':>8} {'COUNT(*)':>8} {'DISTINCT':>8} {'last p':>7}"
    )
    print(header)
    results: dict[str, dict] = {}
    for name, spec in lists.items():
        if only and name not in only:
            continue
        base = spec["url"]
        first = client.get(base)
        pages = {
            "page 1": base,
            "deep page (?p=999)": base + "?p=999",
            f"last page (?p={last_page(first.content)})": base + f"?p={last_page(first.content)}",
        }
        for label, term in spec["searches"].items():
            pages[f"search: {label}"] = base + "?" + urlencode({"q": term})
        for label, params in spec["filters"].items():
            pages[f"filter: {label}"] = base + "?" + urlencode(params)
            last = last_page(client.get(base + "?" + urlencode(params)).content)
            if last > 1:
                pages[f"filter: {label}, p={last}"] = base + "?" + urlencode({**params, "p": last})
        for page, url in pages.items():
            figures = time_page(client, url, args.repeat, spec["table"], args.database_url)
            results[f"{name} / {page}"] = figures
            floor = f"{figures['floor_ms']:9.1f}" if figures["floor_ms"] is not None else f"{'-':>9}"
            ratio = f"{figures['ratio']:6.1f}" if figures["ratio"] is not None else f"{'-':>6}"
            print(
                f"{name:20} {page:34} {figures['status']:6d} {figures['django_ms']:10.1f} {floor} {ratio} "
                f"{figures['queries']:7d} {figures['sql_ms']:7.1f} {figures['slowest_ms']:8.1f} "
                f"{figures['whole_table_counts']:8d} {figures['distincts']:8d} {figures['last_page']:7d}",
                flush=True,
            )
    load_after = os.getloadavg()
    print(f"\nload average after: {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "load_average_before": load,
                    "load_average_after": load_after,
                    "rows": rows_per_table,
                    "filled": filled,
                    "pages": results,
                },
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
