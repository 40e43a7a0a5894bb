"""Issue 11 items 2 and 3: the reminder ladder (COL-3), recorded with its outbox message in one transaction and
delivered from the outbox, each step at most once per loan and due date; templates with COL-2 and COL-6 content."""

import csv
import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from common import outbox
from common.models import ExportLog, JobRun, OutboxMessage
from loanregister.models import ContactLog
from servicing.collections.delinquency import delinquency_refresh
from servicing.collections.ladder import message_render
from servicing.collections.reminders import (
    collection_reminders_night,
    collection_reminders_run,
    reminder_deliver,
    reminders_deliver,
    reminders_record,
)
from servicing.models import CollectionCase, CollectionsContact, Reminder, ReminderStep

from .collections_support import billed_loan, notice, pay, reference_data
from .ledger_support import D

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 3, 2)
day = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _reference(settings):
    reference_data()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SERVICING_PAYMENT_ACCOUNT = "1234-5678901234"
    settings.SERVICING_HELP_PHONE = "+45 70 10 20 30"
    settings.SERVICING_FIRM_NAME = "Eksempel Realkredit"


def _run(on: datetime.date, *, force: bool = True):
    return collection_reminders_run(business_date=on, force=force)


def _steps(loan, due=DUE):
    return list(
        Reminder.objects.filter(loan=loan, due_date=due)
        .order_by("step_days")
        .values_list("step__code", "state", "business_date")
    )


def test_col2_a_fresh_database_has_the_ladder():
    assert list(
        ReminderStep.objects.filter(loan_type="").values_list(
            "code", "days", "channel", "condition", "call_task", "action"
        )
    ) == [
        ("pre_due", -5, "email", "late_before", False, "message"),
        ("friendly", 1, "email", "always", False, "message"),
        ("follow_up", 15, "letter", "always", True, "message"),
        ("formal", 30, "letter", "always", False, "message"),
        ("final", 60, "letter", "always", False, "message"),
        ("legal", 90, "letter", "always", False, "escalate"),
    ]


@pytest.mark.parametrize(
    "code, days", [("friendly", 1), ("follow_up", 15), ("formal", 30), ("final", 60), ("legal", 90)]
)
def test_col3_each_step_fires_on_its_day_and_not_the_day_before(code, days):
    # given an unpaid installment, and the ladder run every night up to the day before the step
    loan = billed_loan(f"C3-{code}", DUE, email="b@example.dk")
    reminders_record(business_date=DUE + (days - 1) * day)
    before = set(Reminder.objects.filter(loan=loan).values_list("step__code", flat=True))
    # when it runs on the step's day
    reminders_record(business_date=DUE + days * day)
    # then the step is recorded that day, not before
    assert code not in before
    assert Reminder.objects.get(loan=loan, step__code=code).business_date == DUE + days * day


def test_col3_a_run_after_missed_days_sends_only_the_highest_due_step():
    # given an unpaid installment and a job that did not run until day 31
    loan = billed_loan("C3-MISSED", DUE, email="b@example.dk")
    # when it runs
    result = reminders_record(business_date=DUE + 31 * day)
    # then formal is sent, friendly and follow_up are recorded skipped, not sent late
    assert (result["sent"], result["skipped"]) == (1, 2)
    assert _steps(loan) == [
        ("friendly", "skipped", DUE + 31 * day),
        ("follow_up", "skipped", DUE + 31 * day),
        ("formal", "sent", DUE + 31 * day),
    ]
    assert OutboxMessage.objects.filter(kind="collection_reminder").count() == 1


def test_col3_no_step_is_sent_twice_across_re_runs():
    loan = billed_loan("C3-TWICE", DUE, email="b@example.dk")
    first = _run(DUE + day)
    again = _run(DUE + day)
    not_forced = collection_reminders_run(business_date=DUE + day)
    next_day = _run(DUE + 2 * day)
    assert first.result["reminders"]["sent"] == 1
    assert again.result["reminders"] == {"sent": 0, "skipped": 0, "queued": 0, "escalated": 0}
    assert not_forced is None
    assert next_day.result["reminders"]["sent"] == 0
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(loan=loan).count() == 1


def test_col3_a_crash_between_recording_and_delivery_sends_once():
    # given the night recorded with its outbox message, and the worker killed before it delivered
    loan = billed_loan("C3-CRASH", DUE, email="b@example.dk")
    collection_reminders_run(business_date=DUE + day, deliver=False)
    assert len(mail.outbox) == 0
    # when the job runs again and the outbox is dispatched twice, and the handler is handed the message again
    collection_reminders_run(business_date=DUE + day, force=True)
    reminders_deliver()
    reminder = Reminder.objects.get(loan=loan)
    reminder_deliver({"reminder": reminder.pk})
    # then one e-mail went, and one contact is logged
    assert len(mail.outbox) == 1
    assert ContactLog.objects.filter(loan=loan, purpose="collections").count() == 1
    assert Reminder.objects.get(loan=loan).delivered_at is not None


def test_col3_a_full_payment_stops_the_ladder_and_a_partial_one_does_not():
    full = billed_loan("C3-FULL", DUE, email="f@example.dk")
    partial = billed_loan("C3-PART", DUE, email="p@example.dk")
    _run(DUE + day)
    pay(full, "5000.00", DUE + 10 * day)
    pay(partial, "4999.99", DUE + 10 * day)
    _run(DUE + 15 * day)
    assert [code for code, *_ in _steps(full)] == ["friendly"]
    assert [code for code, *_ in _steps(partial)] == ["friendly", "follow_up"]


def test_col3_the_email_delivered_is_logged_as_a_collections_contact():
    loan = billed_loan("C3-MAIL", DUE, email="b@example.dk", language="en")
    _run(DUE + day)
    message = mail.outbox[0]
    assert message.to == ["b@example.dk"]
    assert "C3-MAIL" in message.body and "5,000.00" in message.body
    contact = ContactLog.objects.get(loan=loan)
    assert (contact.channel, contact.direction, contact.purpose, contact.outcome, contact.contacted_on) == (
        "email",
        "out",
        "collections",
        "sent",
        DUE + day,
    )
    link = CollectionsContact.objects.get(contact=contact)
    assert link.reminder.step.code == "friendly"
    assert link.case == CollectionCase.objects.get(loan=loan)


def test_col3_a_borrower_without_an_email_address_gets_the_letter_instead():
    loan = billed_loan("C3-LETTER", DUE, email="")
    _run(DUE + day)
    reminder = Reminder.objects.get(loan=loan)
    assert (reminder.step.code, reminder.channel) == ("friendly", "letter")
    assert mail.outbox == []
    assert ContactLog.objects.get(loan=loan).channel == "letter"


def test_col3_do_not_contact_does_not_stop_the_reminders():
    loan = billed_loan("C3-DNC", DUE, email="d@example.dk")
    loan.borrower.do_not_contact = True
    loan.borrower.save()
    _run(DUE + day)
    assert len(mail.outbox) == 1


def test_col3_follow_up_puts_a_call_task_in_the_queue():
    loan = billed_loan("C3-CALL", DUE)
    _run(DUE + 15 * day)
    case = CollectionCase.objects.get(loan=loan)
    assert (case.next_action, case.next_action_on) == ("call", DUE + 15 * day)


def test_col3_pre_due_only_for_borrowers_late_before():
    # given two loans with a notice due on DUE; one paid its installment of 90 days before 20 days late
    earlier = DUE - 90 * day
    late = billed_loan("C3-PRE-LATE", earlier, email="l@example.dk")
    pay(late, "5000.00", earlier + 20 * day)
    punctual = billed_loan("C3-PRE-OK", earlier, email="o@example.dk")
    pay(punctual, "5000.00", earlier + 15 * day)
    notice(late, DUE)
    notice(punctual, DUE)
    # when the ladder runs six days before the due date, then five
    six = reminders_record(business_date=DUE - 6 * day)
    reminders_record(business_date=DUE - 5 * day)
    # then only the borrower who was late before gets pre_due, and on its day
    assert six["sent"] == 0
    assert list(Reminder.objects.filter(due_date=DUE).values_list("loan__loan_number", "step__code")) == [
        ("C3-PRE-LATE", "pre_due")
    ]


def test_col3_pre_due_is_not_sent_when_the_payment_is_in_already():
    earlier = DUE - 90 * day
    late = billed_loan("C3-PRE-PAID", earlier, email="l@example.dk")
    pay(late, "5000.00", earlier + 20 * day)
    notice(late, DUE)
    pay(late, "5000.00", DUE - 6 * day)  # held in suspense until the due date
    reminders_record(business_date=DUE - 5 * day)
    assert not Reminder.objects.filter(due_date=DUE).exists()


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "da",
            [
                "Kære",
                "5.000,00",
                "2. marts 2026",
                "1234-5678901234",
                "rykkergebyr",
                "gældsrådgivning",
                "+45 70 10 20 30",
            ],
        ),
        (
            "en",
            [
                "Dear",
                "5,000.00",
                "2 March 2026",
                "1234-5678901234",
                "late charge",
                "debt counselling",
                "+45 70 10 20 30",
            ],
        ),
    ],
)
def test_col2_col6_templates_render_in_both_languages(language, words):
    for step in ReminderStep.objects.filter(loan_type=""):
        message = message_render(
            step=step,
            language=language,
            borrower_name="Jens Hansen",
            loan_number="L-1",
            amount=D("5000.00"),
            currency="DKK",
            due_date=DUE,
            days=(DUE + step.days * day - DUE).days,
        )
        assert message.language == language
        text = message.subject + message.body
        # COL-2: amount, due date, how to pay; COL-6: help and counselling; the consequence of paying late
        for word in words[:4]:
            assert word in text, (step.code, word)
        consequence = {"da": ("rykkergebyr", "omkostninger"), "en": ("late charge", "costs")}[language]
        assert any(word in message.body for word in consequence), step.code
        assert words[5] in message.body, step.code
        assert words[6] in message.body, step.code
        assert "{{" not in text


def test_col3_export_reminders_header_order_and_log(tmp_path):
    b = billed_loan("C3-EXP-B", DUE, email="b@example.dk")
    a = billed_loan("C3-EXP-A", DUE)
    _run(DUE + day)
    _run(DUE + 15 * day)
    _run(DUE + 16 * day)
    out = tmp_path / "reminders.csv"
    call_command(
        "export_reminders",
        "--from",
        str(DUE),
        "--to",
        str(DUE + 20 * day),
        "--format",
        "csv",
        "--output",
        str(out),
    )
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:5] == ["loan_number", "due_date", "step", "channel", "sent_on"]
    assert [row[:5] for row in rows[1:]] == [
        [a.loan_number, str(DUE), "friendly", "letter", str(DUE + day)],
        [b.loan_number, str(DUE), "friendly", "email", str(DUE + day)],
        [a.loan_number, str(DUE), "follow_up", "letter", str(DUE + 15 * day)],
        [b.loan_number, str(DUE), "follow_up", "letter", str(DUE + 15 * day)],
    ]
    log = ExportLog.objects.get(kind=ExportLog.Kind.REMINDERS)
    assert (log.row_count, log.completed) == (4, True)


def test_col3_the_command_runs_the_night(capsys):
    billed_loan("C3-CMD", DUE, email="b@example.dk")
    call_command("run_collection_reminders", "--date", str(DUE + day))
    call_command("run_collection_reminders", "--date", str(DUE + day))
    out = capsys.readouterr().out
    assert "1 sent" in out and "already done" in out
    assert JobRun.objects.get(job="collection_reminders").state == JobRun.State.DONE
    assert len(mail.outbox) == 1


def test_col3_a_legal_step_opens_an_escalation_without_changing_the_status():
    from servicing.models import Escalation

    loan = billed_loan("C3-LEGAL", DUE)
    _run(DUE + 90 * day)
    escalation = Escalation.objects.get(loan=loan)
    loan.refresh_from_db()
    assert (escalation.path, escalation.recourse, loan.status, loan.in_collections) == (
        "lawsuit",
        True,
        "active",
        True,
    )
    # the ladder stops for the escalated loan
    _run(DUE + 120 * day)
    assert Reminder.objects.filter(loan=loan, state="sent").count() == 1


def test_col3_nothing_waits_in_the_outbox_after_the_night():
    billed_loan("C3-OUTBOX", DUE, email="b@example.dk")
    _run(DUE + day)
    assert outbox.dispatch(kinds=["collection_reminder"])["claimed"] == 0
    assert OutboxMessage.objects.get(kind="collection_reminder").state == "sent"
    delinquency_refresh(business_date=DUE + day)
    assert collection_reminders_night(DUE + day)["reminders"]["sent"] == 0
