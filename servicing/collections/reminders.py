"""`run_collection_reminders [--date D]` and its nightly task (issue 11 item 3; COL-3, COL-4, COL-5).

The night's work, once per business date (`common.jobs.job_run`; every step idempotent, so a crashed run simply
runs again):

1. hardship plans: one whose plan payment was missed ends (`broken`), one past its last date is `completed`;
2. delinquency from the ledger, and the loan's collections state (`delinquency.delinquency_refresh`);
3. the collector's queue: cases opened and closed, assigned by rule, promises kept or broken (`queue`);
4. the reminders, in **one transaction**: for each loan and each due date unpaid as of D (or due within the ladder's
   lead before it: `pre_due`), the highest step now due (`step.days <= D − due date`) that was never recorded is
   recorded `sent`, and the lower ones never recorded are recorded `skipped` (the job did not run on their day:
   they are not sent late). One `INSERT … SELECT … ON CONFLICT (loan, due_date, step) DO NOTHING` writes them, and
   one `INSERT … SELECT` puts a message for each sent one into the outbox (`common.outbox`, key
   `collection_reminder:<id>`): both or neither. The unique constraint makes each step at most once per loan and
   due date whatever happens (a re-run, two schedulers, a crash). A loan with a running hardship plan or an open
   escalation is left out (the ladder pauses), so is a due date fully paid (a partial payment does not stop it).
   A legal step also opens the escalation (`escalation.escalation_open`);
5. delivery, after the commit: `common.outbox.dispatch` hands each message to `reminder_deliver`, which, in one
   transaction with the reminder row locked, sends the e-mail (a borrower without an e-mail address gets the
   letter instead), hands a letter to the mail room, or puts a call task in the queue, marks the reminder
   delivered and logs the contact (purpose `collections`, COL-3). A reminder already delivered is not sent again.

Do-not-contact does not stop these reminders: they are the notices the loan agreement requires, not marketing.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from common import outbox
from common.jobs import job_run
from common.models import JobRun
from loanregister.choices import ContactChannel, ContactDirection, ContactOutcome, ContactPurpose
from loanregister.contacts import contact_log_add

from ..models import CollectionCase, CollectionsContact, Reminder, ReminderStep
from .delinquency import COLLECTIBLE_STATUSES, DUE_ACCOUNTS, delinquency_refresh, unpaid_days_sql
from .ladder import message_render

logger = logging.getLogger(__name__)

JOB = "collection_reminders"
OUTBOX_KIND = "collection_reminder"
LATE_DAYS = 15  # pre_due's borrowers: a payment more than this many days late ...
LATE_WINDOW = 365  # ... in the past 12 months

# Each unpaid due date of the night's loans, with the loan's unsettled total (the ledger, as delinquency reads it).
_UNPAID = f"""
    unpaid AS (
        SELECT loan_id, due_date, unsettled AS amount FROM ({unpaid_days_sql("SELECT id FROM book")}) u
    )"""

# The loans the ladder works tonight: ours, active or defaulted, no running hardship plan, no open escalation or
# legal case of the recovery module (the legal team has them).
_BOOK = """
    book AS MATERIALIZED (
        SELECT l.id, l.loan_type, l.currency, l.borrower_id
        FROM loanregister_loan l JOIN loanregister_servicer s ON s.id = l.servicer_id
        WHERE s.is_own AND l.status = ANY(%(statuses)s)
          AND NOT EXISTS (SELECT 1 FROM servicing_hardshipplan h WHERE h.loan_id = l.id AND h.state = 'active')
          AND NOT EXISTS (SELECT 1 FROM servicing_escalation e WHERE e.loan_id = l.id AND e.state = 'open')
          AND NOT EXISTS (SELECT 1 FROM servicing_legalcase c
                          WHERE c.loan_id = l.id AND c.state IN ('open', 'in_court', 'enforcing'))
    )"""

# Due dates coming up within the ladder's lead (pre_due), from the payment notices, not yet billed and not
# already covered by money the borrower paid in ahead (held in suspense).
_UPCOMING = """
    upcoming AS (
        SELECT n.loan_id, n.due_date, n.amount
        FROM servicing_paymentnotice n JOIN book l ON l.id = n.loan_id
        WHERE n.due_date > %(as_of)s AND n.due_date <= %(as_of)s::date + %(lead)s
          AND n.amount > COALESCE((
              SELECT SUM(CASE WHEN q.credit_account = 'suspense' THEN q.amount ELSE -q.amount END)
              FROM servicing_posting q
              WHERE q.loan_id = n.loan_id AND q.effective_date <= %(as_of)s
                AND (q.credit_account = 'suspense' OR q.debit_account = 'suspense')), 0)
    )"""

# A payment more than 15 days late in the 12 months before the step's day: a due date in that window whose bills
# up to it were not all paid 15 days after it (the ledger's own postings; reversed pairs count for neither).
_LATE_BEFORE = """
    EXISTS (
        SELECT 1 FROM (
            SELECT DISTINCT p.effective_date AS due
            FROM servicing_posting p
            WHERE p.loan_id = c.loan_id AND p.debit_account = ANY(%(due)s) AND p.kind <> 'reversal'
              AND p.effective_date BETWEEN c.due_date + s.days - %(window)s AND c.due_date + s.days - %(late)s - 1
        ) b
        WHERE (SELECT SUM(CASE WHEN q.debit_account = ANY(%(due)s) AND q.effective_date <= b.due THEN q.amount
                               WHEN q.credit_account = ANY(%(due)s) THEN -q.amount ELSE 0 END)
               FROM servicing_posting q
               WHERE q.loan_id = c.loan_id AND q.kind <> 'reversal'
                 AND q.effective_date <= b.due + %(late)s
                 AND (q.debit_account = ANY(%(due)s) OR q.credit_account = ANY(%(due)s))
                 AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = q.id)) > 0
    )"""


def selection_sql() -> str:
    """The night's selection: every (loan, due date, step) now due, ranked within the loan and due date by the
    step's days (1 = the highest, the one to send), with the channel it goes by and its recipient."""
    return f"""
    WITH {_BOOK}, {_UNPAID}, {_UPCOMING},
    candidates AS (
        SELECT loan_id, due_date, amount FROM unpaid
        UNION ALL
        SELECT loan_id, due_date, amount FROM upcoming
    ),
    due_steps AS (
        SELECT c.loan_id, c.due_date, c.amount, l.currency, l.borrower_id, s.id AS step_id, s.days, s.channel,
               ROW_NUMBER() OVER (PARTITION BY c.loan_id, c.due_date ORDER BY s.days DESC) AS rank
        FROM candidates c
        JOIN book l ON l.id = c.loan_id
        JOIN servicing_reminderstep s ON s.active AND s.days <= %(as_of)s::date - c.due_date
             AND (s.loan_type = l.loan_type
                  OR (s.loan_type = '' AND NOT EXISTS (
                      SELECT 1 FROM servicing_reminderstep o WHERE o.active AND o.loan_type = l.loan_type)))
        WHERE s.condition = 'always' OR {_LATE_BEFORE}
    )
    SELECT d.loan_id, d.due_date, d.step_id, d.days,
           CASE WHEN d.rank = 1 THEN 'sent' ELSE 'skipped' END AS state,
           CASE WHEN d.rank > 1 THEN ''
                WHEN d.channel = 'email' AND b.email = '' THEN 'letter'
                WHEN d.channel = 'sms' AND b.phone = '' THEN 'letter'
                ELSE d.channel END AS channel,
           d.amount, d.currency,
           COALESCE(NULLIF(b.preferred_language, ''), %(language)s) AS language,
           CASE WHEN d.rank > 1 THEN '' WHEN d.channel = 'email' THEN b.email
                WHEN d.channel = 'sms' THEN b.phone ELSE '' END AS recipient
    FROM due_steps d JOIN loanregister_borrower b ON b.id = d.borrower_id
    """


def _params(business_date: datetime.date) -> dict:
    lead = (
        ReminderStep.objects.filter(active=True, days__lt=0).order_by("days").values_list("days", flat=True)
    )
    return {
        "as_of": business_date,
        "due": DUE_ACCOUNTS,
        "statuses": COLLECTIBLE_STATUSES,
        "lead": -lead[0] if lead else 0,
        "late": LATE_DAYS,
        "window": LATE_WINDOW,
        "language": settings.LANGUAGE_CODE[:2],
    }


@transaction.atomic
def reminders_record(*, business_date: datetime.date) -> dict:
    """Step 4: record the night's reminders and put the sent ones in the outbox, in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH selection AS ({selection_sql()}),
            recorded AS (
                INSERT INTO servicing_reminder (loan_id, due_date, step_id, step_days, state, channel, business_date,
                                                amount_past_due, currency, language, recipient, created_at)
                SELECT loan_id, due_date, step_id, days, state, channel, %(as_of)s, amount, currency, language,
                       recipient, statement_timestamp()
                FROM selection
                ORDER BY loan_id, due_date, days
                ON CONFLICT (loan_id, due_date, step_id) DO NOTHING
                RETURNING id, state
            ),
            queued AS (
                INSERT INTO common_outbox (kind, key, payload)
                SELECT %(kind)s, %(kind)s || ':' || id, jsonb_build_object('reminder', id)
                FROM recorded WHERE state = 'sent'
                ON CONFLICT (key) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT COUNT(*) FROM recorded WHERE state = 'sent'),
                   (SELECT COUNT(*) FROM recorded WHERE state = 'skipped'),
                   (SELECT COUNT(*) FROM queued)
            """,
            {**_params(business_date), "kind": OUTBOX_KIND},
        )
        sent, skipped, queued = cursor.fetchone()
    escalated = _escalate(business_date=business_date)
    return {"sent": sent, "skipped": skipped, "queued": queued, "escalated": escalated}


def _escalate(*, business_date: datetime.date) -> int:
    """A legal step recorded tonight opens the loan's escalation (set-based, `escalation`)."""
    from .escalation import escalations_open_for_night

    return escalations_open_for_night(business_date=business_date)


# ------------------------------------------------------------------------------------------------ delivery


def sms_send(*, to: str, text: str) -> None:
    """The SMS sender: `settings.COLLECTIONS_SMS_SENDER` (a dotted path to `fn(to=, text=)`), else logged only."""
    path = getattr(settings, "COLLECTIONS_SMS_SENDER", "")
    if path:
        from common.jobs import resolve

        resolve(path)(to=to, text=text)
        return
    logger.info("sms to %s (no COLLECTIONS_SMS_SENDER set): %s", to, text[:160])


_CONTACT_CHANNEL = {"email": ContactChannel.EMAIL, "letter": ContactChannel.LETTER, "sms": ContactChannel.SMS}


def reminder_message(reminder: Reminder):
    """The reminder's message as the borrower gets it (e-mail, SMS, or the mail room's letter)."""
    loan = reminder.loan
    return message_render(
        step=reminder.step,
        language=reminder.language,
        borrower_name=loan.borrower.name,
        loan_number=loan.loan_number,
        amount=reminder.amount_past_due,
        currency=reminder.currency,
        due_date=reminder.due_date,
        days=(reminder.business_date - reminder.due_date).days,
    )


def reminder_deliver(payload: dict) -> None:
    """The outbox handler of `collection_reminder`: deliver one reminder, once.

    In one transaction with the reminder locked: skip it when delivered already; else send the e-mail or SMS,
    hand a letter to the mail room (its letter batch is the reminders of the business date), or put a call task in
    the collector's queue; then mark it delivered and log the contact. A send that fails rolls it all back and the
    outbox tries again later."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("loan", "loan__borrower", "step")
            .filter(pk=payload["reminder"], delivered_at__isnull=True)
            .first()
        )
        if reminder is None:
            return  # delivered already (or being delivered by another dispatcher): nothing twice
        loan, borrower = reminder.loan, reminder.loan.borrower
        case = CollectionCase.objects.filter(loan=loan, state=CollectionCase.State.OPEN).first()
        if reminder.channel in ("email", "sms", "letter"):
            message = reminder_message(reminder)
            if reminder.channel == "email":
                EmailMessage(subject=message.subject, body=message.body, to=[reminder.recipient]).send()
            elif reminder.channel == "sms":
                sms_send(to=reminder.recipient, text=f"{message.subject}. {loan.loan_number}")
            contact = contact_log_add(
                borrower=borrower,
                loan=loan,
                channel=_CONTACT_CHANNEL[reminder.channel],
                direction=ContactDirection.OUT,
                purpose=ContactPurpose.COLLECTIONS,
                contacted_on=reminder.business_date,
                outcome=ContactOutcome.SENT,
                note=f"{reminder.step.code}: {message.subject}",
            )
            CollectionsContact.objects.create(contact=contact, case=case, reminder=reminder)
        if (reminder.channel == "phone" or reminder.step.call_task) and case is not None:
            CollectionCase.objects.filter(pk=case.pk).update(
                next_action=CollectionCase.NextAction.CALL, next_action_on=reminder.business_date
            )
        Reminder.objects.filter(pk=reminder.pk).update(delivered_at=timezone.now())


def reminders_deliver(*, limit: int | None = None) -> dict:
    """Deliver the reminders waiting in the outbox until none is left (or `limit` in one batch)."""
    totals = {"claimed": 0, "sent": 0, "retry": 0, "failed": 0, "unavailable": 0}
    while True:
        counts = outbox.dispatch(kinds=[OUTBOX_KIND], limit=limit)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if not counts["claimed"] or limit is not None:
            return totals


# ------------------------------------------------------------------------------------------------ the night


def collection_reminders_night(business_date: datetime.date) -> dict:
    """Steps 1 to 4 of the module docstring for one business date; returns their counts."""
    from .hardship import hardship_plans_review
    from .queue import cases_sync

    result = {"plans": hardship_plans_review(business_date=business_date)}
    result["delinquency"] = delinquency_refresh(business_date=business_date)
    result["cases"] = cases_sync(business_date=business_date)
    result["reminders"] = reminders_record(business_date=business_date)
    return result


def collection_reminders_run(
    *, business_date: datetime.date, force: bool = False, deliver: bool = True
) -> JobRun | None:
    """The nightly job: once per business date (common.jobs.job_run), then delivery from the outbox. None when
    the date was done already (its delivery is the outbox's, which a second run also drives)."""
    run = job_run(job=JOB, business_date=business_date, body=collection_reminders_night, force=force)
    if deliver:
        delivered = reminders_deliver()
        if run is not None:
            run.result = {**(run.result or {}), "delivered": delivered}
    return run
