"""Escrow (SRV-1): the servicer pays third parties (hazard insurance, property tax) from the borrower's escrow.

The escrow balance is what the ledger says (`loan_balances(...).escrow`); deposits and disbursements are posted
through the ledger's API, never written here. A scheduled disbursement is paid once: the nightly job claims it
with a state-guarded UPDATE in the same transaction as its posting (whose external id is the disbursement's),
so a second run, or two workers at once, pay nothing twice.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.dates import add_months
from common.jobs import job_run
from common.models import JobRun
from loanregister.models import Loan

from .ledger import ZERO, ledger_balances, loan_balances, posting_create
from .models import EscrowAccount, EscrowDisbursement, EscrowPayee, Posting, PostingKind

logger = logging.getLogger(__name__)

JOB_NAME = "escrow_disbursements"


def disbursement_external_id(disbursement_id: int) -> str:
    return f"escrow-disbursement:{disbursement_id}"


# ---------------------------------------------------------------- reading


def escrow_balance(*, loan: Loan, as_of: datetime.date | None = None) -> Decimal:
    """What the servicer holds in escrow for the loan, from the ledger (negative: the servicer has advanced)."""
    return loan_balances(loan=loan, as_of=as_of).escrow


def escrow_next_disbursement(*, loan: Loan) -> EscrowDisbursement | None:
    return (
        EscrowDisbursement.objects.filter(account__loan=loan, state=EscrowDisbursement.State.SCHEDULED)
        .select_related("payee")
        .order_by("due_date", "id")
        .first()
    )


@dataclass(frozen=True)
class EscrowShortage:
    """The escrow balance cannot cover the next scheduled disbursement: `amount` is what it lacks."""

    amount: Decimal
    balance: Decimal
    disbursement: EscrowDisbursement


def escrow_shortage(loan: Loan) -> EscrowShortage | None:
    """A shortage when the escrow balance is less than the next scheduled disbursement; None when covered."""
    upcoming = escrow_next_disbursement(loan=loan)
    if upcoming is None:
        return None
    balance = escrow_balance(loan=loan)
    if balance >= upcoming.amount:
        return None
    return EscrowShortage(amount=upcoming.amount - balance, balance=balance, disbursement=upcoming)


def escrow_disbursements_due(*, until: datetime.date) -> QuerySet[EscrowDisbursement]:
    """Scheduled disbursements due on or before `until` (the overdue ones first)."""
    return (
        EscrowDisbursement.objects.filter(
            state=EscrowDisbursement.State.SCHEDULED, due_date__lte=until, account__active=True
        )
        .select_related("payee", "account__loan")
        .order_by("due_date", "id")
    )


def escrow_disbursement_is_overdue(disbursement: EscrowDisbursement, *, today: datetime.date) -> bool:
    """SRV-1: a scheduled disbursement not paid by its due date is overdue (the nightly job pays it first)."""
    return disbursement.state == EscrowDisbursement.State.SCHEDULED and disbursement.due_date < today


@dataclass(frozen=True)
class DueRow:
    disbursement: EscrowDisbursement
    balance: Decimal
    shortage: Decimal
    overdue: bool = False


def escrow_due_rows(
    *, until: datetime.date, limit: int = 20, today: datetime.date | None = None
) -> tuple[list[DueRow], int]:
    """For the servicing home page: the first `limit` disbursements due, each with its loan's escrow balance,
    shortage (balances read for all the shown loans at once) and whether it is overdue, and how many are due."""
    due = escrow_disbursements_due(until=until)
    rows = list(due[:limit])
    balances = ledger_balances(loan_ids=[row.account.loan_id for row in rows])
    today = today or timezone.localdate()
    result = []
    for row in rows:
        balance = balances[row.account.loan_id].escrow if row.account.loan_id in balances else ZERO
        overdue = escrow_disbursement_is_overdue(row, today=today)
        result.append(DueRow(row, balance, max(row.amount - balance, ZERO), overdue))
    return result, (len(rows) if len(rows) < limit else due.count())


# ---------------------------------------------------------------- writing


def escrow_payee_create(
    *, name: str, kind: str, account: str = "", reference: str = "", user: AbstractBaseUser | None = None
) -> EscrowPayee:
    """A new payee that escrow disbursements can be scheduled to (servicing staff add them on the payees page)."""
    payee = EscrowPayee(name=name, kind=kind, account=account, reference=reference)
    payee.full_clean()
    payee.save()
    logger.info(
        "escrow payee added: id=%s kind=%s user=%s", payee.pk, kind, user.get_username() if user else "-"
    )
    return payee


def escrow_account_open(
    *, loan: Loan, opened_on: datetime.date, monthly_deposit: Decimal = ZERO
) -> EscrowAccount:
    account, created = EscrowAccount.objects.get_or_create(
        loan=loan, defaults={"opened_on": opened_on, "monthly_deposit": monthly_deposit}
    )
    return account


def escrow_deposit_post(
    *,
    loan: Loan,
    amount: Decimal,
    received_on: datetime.date,
    external_id: str | None,
    user: AbstractBaseUser | None = None,
    note: str = "",
) -> Posting:
    """Money paid straight into escrow (outside a scheduled payment's waterfall), through the ledger."""
    return posting_create(
        loan=loan,
        kind=PostingKind.ESCROW_DEPOSIT,
        amount=amount,
        effective_date=received_on,
        external_id=external_id,
        user=user,
        note=note,
    )


def escrow_disbursement_schedule(
    *,
    account: EscrowAccount,
    payee: EscrowPayee,
    amount: Decimal,
    due_date: datetime.date,
    frequency: str = EscrowDisbursement.Frequency.ONCE,
    description: str = "",
    user: AbstractBaseUser | None = None,
) -> EscrowDisbursement:
    disbursement = EscrowDisbursement(
        account=account,
        payee=payee,
        amount=amount,
        due_date=due_date,
        frequency=frequency,
        description=description,
        created_by=user if user and user.is_authenticated else None,
    )
    disbursement.full_clean()
    disbursement.save()
    return disbursement


_BATCH = 500


def _next_occurrence(disbursement: EscrowDisbursement) -> EscrowDisbursement | None:
    months = EscrowDisbursement.MONTHS.get(disbursement.frequency)
    if not months:
        return None
    return EscrowDisbursement(
        previous=disbursement,
        account_id=disbursement.account_id,
        payee_id=disbursement.payee_id,
        amount=disbursement.amount,
        due_date=add_months(disbursement.due_date, months),
        frequency=disbursement.frequency,
        description=disbursement.description,
        created_by_id=disbursement.created_by_id,
    )


def escrow_disbursements_pay(
    *, business_date: datetime.date, user: AbstractBaseUser | None = None
) -> dict[str, object]:
    """Pay every scheduled disbursement due on or before the business date, once each (idempotent).

    In batches: each batch's rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED` (a second worker takes other
    rows, never the same ones), posted through the ledger's API in loan order (so two workers lock loans in the
    same order), and marked paid in the same transaction; the loans' escrow balances are read once per batch.
    A disbursement the ledger refuses (a closed loan, say) is rolled back alone (a savepoint), stays scheduled
    for the next run, and is counted as failed. A recurring one gets its next occurrence (one per paid one: the
    unique link to the previous). RESPA 1024.17(k): the servicer pays on time even when escrow is short,
    advancing the difference, which is recorded as the disbursement's shortage.
    """
    paid = short = failed = 0
    total = ZERO
    failed_ids: set[int] = set()
    while True:
        with transaction.atomic():
            batch = list(
                escrow_disbursements_due(until=business_date)
                .exclude(pk__in=failed_ids)
                .select_for_update(skip_locked=True, of=("self",))[:_BATCH]
            )
            if not batch:
                break
            batch.sort(key=lambda d: (d.account.loan_id, d.due_date, d.pk))
            balances = {
                loan_id: b.escrow
                for loan_id, b in ledger_balances(
                    loan_ids={d.account.loan_id for d in batch}, as_of=business_date
                ).items()
            }
            done: list[EscrowDisbursement] = []
            for disbursement in batch:
                loan = disbursement.account.loan
                try:
                    with transaction.atomic():
                        posting = posting_create(
                            loan=loan,
                            kind=PostingKind.ESCROW_DISBURSEMENT,
                            amount=disbursement.amount,
                            effective_date=business_date,
                            external_id=disbursement_external_id(disbursement.pk),
                            payee=disbursement.payee.name[:200],
                            note=(disbursement.description or disbursement.payee.reference)[:500],
                            user=user,
                        )
                except Exception:  # noqa: BLE001 - one bad disbursement must not stop the others
                    logger.exception("escrow disbursement %s could not be paid", disbursement.pk)
                    failed_ids.add(disbursement.pk)
                    failed += 1
                    continue
                balance = balances.get(loan.pk, ZERO)
                disbursement.shortage = max(disbursement.amount - balance, ZERO)
                balances[loan.pk] = balance - disbursement.amount
                disbursement.state = EscrowDisbursement.State.PAID
                disbursement.paid_on = business_date
                disbursement.posting = posting
                done.append(disbursement)
                paid += 1
                total += disbursement.amount
                short += 1 if disbursement.shortage > 0 else 0
            EscrowDisbursement.objects.bulk_update(done, ["state", "paid_on", "posting", "shortage"])
            EscrowDisbursement.objects.bulk_create(
                [n for n in map(_next_occurrence, done) if n is not None], ignore_conflicts=True
            )
    return {"paid": paid, "amount": str(total), "with_shortage": short, "failed": failed}


def escrow_disbursements_run(*, business_date: datetime.date, force: bool = False) -> JobRun | None:
    """The nightly job: once per business date (common.jobs), resumable after a crash."""
    return job_run(
        job=JOB_NAME,
        business_date=business_date,
        body=lambda day: escrow_disbursements_pay(business_date=day),
        force=force,
    )
