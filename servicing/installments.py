"""The nightly billing of scheduled installments into the ledger: what a payment's waterfall then pays.

On its due date each scheduled payment's principal falls due (`scheduled_payment_due`: principal → principal due),
its interest is charged (`interest`) and its escrow part billed (`escrow_due`), taken from the payment notice the
borrower was sent (SRV-2: the ledger bills exactly what the notice asked for; its fees are in the ledger already).

Set-based: one `INSERT … SELECT … ON CONFLICT (external_id) DO NOTHING` per part (the ledger's
`postings_insert_select`), whatever the size of the book;
idempotent by the external id `installment:<loan number>:<interest date>:<part>`, the same key
`ledger.installment_due_post` uses, so a by-hand billing and the nightly one never both post. None of these
movements changes the outstanding principal, so the cached balance and the register need no update. A window of
`CATCH_UP_DAYS` lets a run after missed nights bill what fell due meanwhile.

A loan with a running hardship plan (COL-4, `servicing/collections/hardship.py`) is billed the plan's payments
instead of its own installments due within the plan's dates; a notice of a plan's payment (`plan_payment` set) is
never billed as an installment (the plan's billing bills it, only while the plan runs).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from common.jobs import job_run
from common.models import JobRun
from loanregister.choices import LoanStatus

from .collections.hardship import PLAN_REPLACES_SQL, hardship_installments_post
from .ledger import postings_insert_select
from .models import Account, PostingKind

JOB = "installments_due"
CATCH_UP_DAYS = 31

# (notice column, posting kind, debit, credit, key suffix)
_PARTS = [
    ("principal", PostingKind.SCHEDULED_PAYMENT_DUE, Account.PRINCIPAL_DUE, Account.PRINCIPAL, "principal"),
    ("interest", PostingKind.INTEREST, Account.INTEREST_DUE, Account.INTEREST_INCOME, "interest"),
    ("escrow", PostingKind.ESCROW_DUE, Account.ESCROW_DUE, Account.ESCROW, "escrow"),
]


@transaction.atomic
def installments_due_post(*, business_date: datetime.date) -> dict:
    """Bill every installment due from `CATCH_UP_DAYS` before the business date up to it; returns counts."""
    since = business_date - datetime.timedelta(days=CATCH_UP_DAYS)
    now = timezone.now()
    result = {}
    for column, kind, debit, credit, suffix in _PARTS:
        amount = f"n.{column}"
        not_yet_due = ""
        if column == "principal":
            # Never more principal falls due than is outstanding not yet due (a partial redemption since the
            # notice was made): the balance of those loans only, from one grouped pass over their postings.
            amount = "LEAST(n.principal, COALESCE(b.balance, 0))"
            not_yet_due = """
            LEFT JOIN (
                SELECT loan_id, SUM(CASE WHEN debit_account = %s THEN amount ELSE 0 END)
                              - SUM(CASE WHEN credit_account = %s THEN amount ELSE 0 END) AS balance
                FROM servicing_posting
                WHERE loan_id IN (SELECT loan_id FROM servicing_paymentnotice WHERE due_date > %s AND due_date <= %s)
                GROUP BY loan_id
            ) b ON b.loan_id = n.loan_id"""
        params = [kind.value, debit.value, credit.value, suffix, now]
        if not_yet_due:
            params += [Account.PRINCIPAL.value, Account.PRINCIPAL.value, since, business_date]
        params += [since, business_date, LoanStatus.ACTIVE.value]
        # The ledger's one set-based insert: an installment already billed (its external id) is skipped.
        result[suffix] = postings_insert_select(
            f"""
            SELECT n.loan_id, %s, n.due_date, {amount}, n.currency, %s, %s, NULL,
                   COALESCE(p.category, ''), '', '',
                   'installment:' || l.loan_number || ':' || CAST(n.interest_date AS TEXT) || ':' || %s,
                   NULL, NULL, %s, NULL
            FROM servicing_paymentnotice n
            JOIN loanregister_loan l ON l.id = n.loan_id
            LEFT JOIN loanregister_property p ON p.id = l.property_id{not_yet_due}
            WHERE n.due_date > %s AND n.due_date <= %s AND {amount} > 0 AND l.status = %s
              AND n.plan_payment_id IS NULL AND {PLAN_REPLACES_SQL}
            ORDER BY n.loan_id
            """,
            params,
        )
    # COL-4: a running hardship plan's own payments are billed instead of the installments it replaces.
    hardship = hardship_installments_post(business_date=business_date)
    if hardship:
        result["hardship"] = hardship
    return result


def installments_due_run(*, business_date: datetime.date, force: bool = False) -> JobRun | None:
    """The nightly job: once per business date (common.jobs.job_run); the body is idempotent anyway."""
    return job_run(
        job=JOB,
        business_date=business_date,
        body=lambda day: installments_due_post(business_date=day),
        force=force,
    )
