"""Monthly payment notices (SRV-2, COL-2, COL-6): made before each due date, sent once, by e-mail or letter.

The nightly run has two idempotent steps, so a run that dies anywhere can simply be run again:

1. `payment_notices_generate`: for every active loan we service, the next scheduled payment due within
   `days_ahead` days becomes a PaymentNotice row. Loans are read in primary-key chunks through `.iterator()`
   (a server-side cursor on PostgreSQL, constant memory at 1M loans); each chunk is one `bulk_create(...,
   ignore_conflicts=True)`, i.e. INSERT ... ON CONFLICT DO NOTHING on the (loan, due_date) key, so a notice is
   never made twice however often, or however many workers at once, the step runs.
2. `payment_notices_send`: e-mail notices are claimed in batches with a state-guarded UPDATE (pending/failed →
   sending, rows locked with SKIP LOCKED so parallel senders never take the same row), sent, and marked sent;
   a crash between claim and mark leaves them `sending`, which is never sent again automatically (at most once:
   a borrower must not get two notices; a person looks at what was left in `sending`). Letter notices are put in
   the mail room's letter batch of the business date (a printable page and a CSV, servicing.views.notices).

While a hardship plan runs (COL-4, servicing/collections/hardship.py) the notice follows the plan, as the billing
does: the loan's own installments due within the plan's dates get no notice; each of the plan's payments due in the
window gets one with the plan's amount and date (`plan_payment` set; the billing bills it as the plan's payment,
never as an installment); a payment holiday's months, with nothing to pay, get none. The plans of a chunk are read
in one query, the plan payments of the whole window in one more: still set-based.

A payment notice is a service notice the loan agreement requires, not marketing: it goes to borrowers marked
"do not contact" as well (do-not-contact governs campaigns and retention calls).
"""

import datetime
import logging
from collections import namedtuple
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.bankdays import next_bank_day
from common.bulk import chunked
from common.jobs import job_run
from common.models import JobRun
from common.templatetags.money import format_money
from loanregister.choices import LoanStatus
from loanregister.models import Loan

from .models import EscrowAccount, HardshipInstallment, HardshipPlan, PaymentNotice
from .schedules import ZERO, cents, loan_interest_dates_between, schedule_for_loan

logger = logging.getLogger(__name__)

JOB_NAME = "payment_notices"
CHUNK = 2000
SEND_BATCH = 200
# A due date is at most a few days after its interest date (Easter: Thursday to Tuesday is 5 days).
_MAX_DUE_SHIFT = datetime.timedelta(days=10)
# What the schedule needs of a loan, read as plain rows (no model instances: 1M of them would cost minutes).
_LOAN_FIELDS = (
    "id",
    "currency",
    "principal",
    "outstanding_balance",
    "balance_date",
    "interest_rate",
    "payments_per_year",
    "amortization",
    "interest_only_until",
    "origination_date",
    "first_payment_date",
    "maturity_date",
    "borrower__email",
    "borrower__preferred_language",
)
_NoticeLoan = namedtuple("_NoticeLoan", [field.replace("borrower__", "borrower_") for field in _LOAN_FIELDS])


def _notice_loans(*, start: datetime.date, end: datetime.date) -> Iterator[_NoticeLoan]:
    """Active loans we service that can have a payment due between the dates, in primary-key order."""
    rows = (
        Loan.objects.filter(status=LoanStatus.ACTIVE, servicer__is_own=True, maturity_date__gte=start)
        .exclude(first_payment_date__gt=end)
        .exclude(origination_date__gt=end)
        .order_by("pk")
        .values_list(*_LOAN_FIELDS)
    )
    return (_NoticeLoan(*row) for row in rows.iterator(chunk_size=CHUNK))


def _next_due(loan, *, business_date: datetime.date, until: datetime.date) -> datetime.date | None:
    """The interest date of the loan's first payment due from `business_date` to `until` (dates only)."""
    for interest_date in loan_interest_dates_between(loan, start=business_date - _MAX_DUE_SHIFT, end=until):
        if business_date <= next_bank_day(interest_date) <= until:
            return interest_date
    return None


def _schedule_row(loan, interest_date: datetime.date):
    rows = schedule_for_loan(loan, stop_after=interest_date)
    return rows[-1] if rows and rows[-1].interest_date == interest_date else None


def _fees_due(loan_ids: list[int], as_of: datetime.date) -> dict[int, Decimal]:
    """Fees the borrower owes (from the ledger), added to the notice."""
    from .ledger import ledger_balances

    return {pk: balances.fees_due for pk, balances in ledger_balances(loan_ids=loan_ids, as_of=as_of).items()}


def _escrow_per_payment(loan_ids: list[int]) -> dict[int, Decimal]:
    """The monthly escrow deposit of each loan with an active escrow account."""
    return dict(
        EscrowAccount.objects.filter(loan_id__in=loan_ids, active=True).values_list(
            "loan_id", "monthly_deposit"
        )
    )


def _plan_windows(loan_ids: list[int]) -> dict[int, list[tuple[datetime.date, datetime.date]]]:
    """The dates of the running hardship plans of these loans (one query): their own installments are replaced."""
    windows: dict[int, list[tuple[datetime.date, datetime.date]]] = {}
    rows = HardshipPlan.objects.filter(loan_id__in=loan_ids, state=HardshipPlan.State.ACTIVE).values_list(
        "loan_id", "starts_on", "ends_on"
    )
    for loan_id, starts_on, ends_on in rows:
        windows.setdefault(loan_id, []).append((starts_on, ends_on))
    return windows


def _in_plan(windows: dict, loan_id: int, due_date: datetime.date) -> bool:
    return any(starts_on <= due_date <= ends_on for starts_on, ends_on in windows.get(loan_id, ()))


def _plan_notices_generate(*, business_date: datetime.date, until: datetime.date) -> int:
    """The notices of the running plans' payments due in the window (a holiday's nothing-to-pay months get none)."""
    payments = list(
        HardshipInstallment.objects.filter(
            plan__state=HardshipPlan.State.ACTIVE,
            plan__loan__status=LoanStatus.ACTIVE,
            plan__loan__servicer__is_own=True,
            due_date__gte=business_date,
            due_date__lte=until,
        )
        .filter(Q(principal__gt=0) | Q(interest__gt=0))
        .exclude(
            Exists(
                PaymentNotice.objects.filter(loan_id=OuterRef("plan__loan_id"), due_date=OuterRef("due_date"))
            )
        )
        .order_by("plan__loan_id", "due_date")
        .values_list(
            "pk",
            "plan__loan_id",
            "plan__starts_on",
            "plan__currency",
            "due_date",
            "principal",
            "interest",
            "plan__loan__borrower__email",
            "plan__loan__borrower__preferred_language",
        )
    )
    if not payments:
        return 0
    fees = _fees_due(sorted({row[1] for row in payments}), business_date)
    notices = []
    for pk, loan_id, starts_on, currency, due_date, principal, interest, email, language in payments:
        loan_fees = max(fees.get(loan_id, ZERO), ZERO)
        email = (email or "").strip()
        notices.append(
            PaymentNotice(
                loan_id=loan_id,
                plan_payment_id=pk,
                # The plan's n-th payment (its dates are whole months from its start).
                period=(due_date.year - starts_on.year) * 12 + due_date.month - starts_on.month + 1,
                due_date=due_date,
                interest_date=due_date,
                currency=currency,
                principal=principal,
                interest=interest,
                fees=loan_fees,
                # The plan bills no escrow, and the notice asks for what is billed.
                escrow=ZERO,
                amount=principal + interest + loan_fees,
                channel=PaymentNotice.Channel.EMAIL if email else PaymentNotice.Channel.LETTER,
                recipient=email,
                language=language or settings.LANGUAGE_CODE,
                business_date=business_date,
            )
        )
    PaymentNotice.objects.bulk_create(notices, ignore_conflicts=True)
    return len(notices)


def payment_notices_generate(*, business_date: datetime.date, days_ahead: int = 14) -> int:
    """Make the notices of payments due from `business_date` to `days_ahead` days later. Returns how many."""
    until = business_date + datetime.timedelta(days=days_ahead)
    loans = _notice_loans(start=business_date - _MAX_DUE_SHIFT, end=until)
    created = 0
    for chunk in chunked(loans, CHUNK):
        # First the dates alone (cheap), then what already exists, then the amounts of what is new.
        due = []
        for loan in chunk:
            interest_date = _next_due(loan, business_date=business_date, until=until)
            if interest_date is not None:
                due.append((loan, interest_date))
        if not due:
            continue
        # COL-4: an installment a running hardship plan replaces gets no notice (the plan's payments get theirs).
        windows = _plan_windows([loan.id for loan, _date in due])
        if windows:
            due = [
                (loan, interest_date)
                for loan, interest_date in due
                if not _in_plan(windows, loan.id, next_bank_day(interest_date))
            ]
            if not due:
                continue
        existing = set(
            PaymentNotice.objects.filter(
                loan_id__in=[loan.id for loan, _date in due], due_date__gte=business_date
            ).values_list("loan_id", "due_date")
        )
        due = [
            (loan, row)
            for loan, interest_date in due
            if (loan.id, next_bank_day(interest_date)) not in existing
            and (row := _schedule_row(loan, interest_date)) is not None
        ]
        if not due:
            continue
        fees = _fees_due([loan.id for loan, _row in due], business_date)
        escrow = _escrow_per_payment([loan.id for loan, _row in due])
        notices = []
        for loan, row in due:
            loan_fees = max(fees.get(loan.id, ZERO), ZERO)
            # The escrow account holds a monthly deposit; a quarterly payment carries three of them.
            loan_escrow = cents(escrow.get(loan.id, ZERO) * 12 / int(loan.payments_per_year))
            email = (loan.borrower_email or "").strip()
            notices.append(
                PaymentNotice(
                    loan_id=loan.id,
                    period=row.period,
                    due_date=row.due_date,
                    interest_date=row.interest_date,
                    currency=loan.currency,
                    principal=row.principal,
                    interest=row.interest,
                    fees=loan_fees,
                    escrow=loan_escrow,
                    amount=row.principal + row.interest + loan_fees + loan_escrow,
                    channel=PaymentNotice.Channel.EMAIL if email else PaymentNotice.Channel.LETTER,
                    recipient=email,
                    language=loan.borrower_preferred_language or settings.LANGUAGE_CODE,
                    business_date=business_date,
                )
            )
        # ON CONFLICT DO NOTHING: a parallel or earlier run that made the same notice wins, silently.
        PaymentNotice.objects.bulk_create(notices, ignore_conflicts=True)
        created += len(notices)
    created += _plan_notices_generate(business_date=business_date, until=until)
    logger.info("payment notices for %s: %d made", business_date, created)
    return created


def notice_context(notice: PaymentNotice) -> dict:
    """What the e-mail and the letter say (COL-6: the amount, its parts, the date, how to pay, where to get help)."""
    language = notice.language

    def money(amount: Decimal) -> str:
        return format_money(amount, notice.currency, language=language)

    return {
        "notice": notice,
        "loan": notice.loan,
        "borrower": notice.loan.borrower,
        "amount": money(notice.amount),
        "principal": money(notice.principal),
        "interest": money(notice.interest),
        "fees": money(notice.fees),
        "escrow": money(notice.escrow),
        "moved": notice.due_date != notice.interest_date,
        "plan": notice.plan_payment_id is not None,
        # Set per installation (config/settings.py, from the environment); the texts leave out what is empty.
        "firm": getattr(settings, "SERVICING_FIRM_NAME", ""),
        "payment_account": getattr(settings, "SERVICING_PAYMENT_ACCOUNT", ""),
        "help_phone": getattr(settings, "SERVICING_HELP_PHONE", ""),
        "help_email": getattr(settings, "SERVICING_HELP_EMAIL", "") or settings.DEFAULT_FROM_EMAIL,
    }


def _email_for(notice: PaymentNotice, connection) -> EmailMultiAlternatives:
    with translation.override(notice.language):
        context = {"n": notice_context(notice)}
        subject = render_to_string("servicing/notices/payment_notice_subject.txt", context).strip()
        body = render_to_string("servicing/notices/payment_notice_email.txt", context)
        html = render_to_string("servicing/notices/payment_notice_email.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=body, to=[notice.recipient], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim_email_batch() -> list[int]:
    """Claim up to SEND_BATCH pending e-mail notices for this worker; the UPDATE only takes rows still pending."""
    pending = PaymentNotice.State.PENDING
    with transaction.atomic():
        ids = list(
            PaymentNotice.objects.select_for_update(skip_locked=True)
            .filter(channel=PaymentNotice.Channel.EMAIL, state=pending)
            .order_by("pk")
            .values_list("pk", flat=True)[:SEND_BATCH]
        )
        if not ids:
            return []
        PaymentNotice.objects.filter(pk__in=ids, state=pending).update(
            state=PaymentNotice.State.SENDING, error=""
        )
    return ids


def payment_notices_send(*, business_date: datetime.date) -> dict:
    """Send the e-mail notices still to send and put the letter notices in the business date's letter batch."""
    sent = failed = 0
    # What failed in an earlier run is tried once more; what fails now waits for the next run.
    PaymentNotice.objects.filter(
        channel=PaymentNotice.Channel.EMAIL, state=PaymentNotice.State.FAILED
    ).update(state=PaymentNotice.State.PENDING)
    connection = get_connection()
    while True:
        ids = _claim_email_batch()
        if not ids:
            break
        notices = PaymentNotice.objects.filter(pk__in=ids, state=PaymentNotice.State.SENDING).select_related(
            "loan", "loan__borrower"
        )
        delivered = []
        for notice in notices:
            try:
                _email_for(notice, connection).send()
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                logger.warning("payment notice %s: e-mail failed: %s", notice.pk, exc)
                PaymentNotice.objects.filter(pk=notice.pk, state=PaymentNotice.State.SENDING).update(
                    state=PaymentNotice.State.FAILED, error=str(exc)[:2000]
                )
                failed += 1
                continue
            delivered.append(notice.pk)
        sent += PaymentNotice.objects.filter(pk__in=delivered, state=PaymentNotice.State.SENDING).update(
            state=PaymentNotice.State.SENT, sent_at=timezone.now()
        )
    batched_letters = PaymentNotice.objects.filter(
        channel=PaymentNotice.Channel.LETTER, state=PaymentNotice.State.PENDING
    ).update(state=PaymentNotice.State.BATCHED, batch_date=business_date, sent_at=timezone.now())
    logger.info(
        "payment notices %s: %d e-mailed, %d failed, %d letters", business_date, sent, failed, batched_letters
    )
    return {"emailed": sent, "failed": failed, "letters": batched_letters}


def payment_notices_run(
    *, business_date: datetime.date, days_ahead: int = 14, force: bool = False
) -> JobRun | None:
    """The nightly job: once per business date (common.jobs.job_run); None when done already."""

    def body(day: datetime.date) -> dict:
        created = payment_notices_generate(business_date=day, days_ahead=days_ahead)
        return {"created": created, **payment_notices_send(business_date=day)}

    return job_run(job=JOB_NAME, business_date=business_date, body=body, force=force)


def letter_batch(*, batch_date: datetime.date):
    """The letter notices of a batch date, in the mail room's order (by postal address, then loan)."""
    return (
        PaymentNotice.objects.filter(channel=PaymentNotice.Channel.LETTER, batch_date=batch_date)
        .select_related("loan", "loan__borrower")
        .order_by("loan__borrower__address", "loan__loan_number")
    )
