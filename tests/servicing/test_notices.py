import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from common.models import ExportLog, JobRun
from loanregister.models import Borrower, Loan, Servicer
from servicing import notices as notices_module
from servicing.ledger import posting_create
from servicing.models import EscrowAccount, PaymentNotice, PostingKind
from servicing.notices import payment_notices_generate, payment_notices_run, payment_notices_send
from servicing.schedules import schedule_for_loan
from servicing.tasks import payment_notices_task

pytestmark = pytest.mark.django_db

D = datetime.date
C = Decimal
TODAY = D(2026, 5, 1)  # a Friday; the window is 1–15 May


class FailingForSomeBackend(EmailBackend):
    """The test outbox, refusing addresses that contain "bounce" (a real SMTP server refuses some too)."""

    def send_messages(self, messages):
        for message in messages:
            if any("bounce" in address for address in message.to):
                raise ConnectionRefusedError("550 mailbox unavailable")
        return super().send_messages(messages)


def _servicer(own: bool = True) -> Servicer:
    code = "OWN" if own else "OTHER"
    return Servicer.objects.get_or_create(code=code, defaults={"name": code, "is_own": own})[0]


def _loan(
    number: str, *, email: str = "", language: str = "en", do_not_contact: bool = False, **fields
) -> Loan:
    borrower = Borrower.objects.create(
        name=f"Borrower {number}",
        email=email,
        address=f"Vej {number}, 2100 København Ø",
        preferred_language=language,
        do_not_contact=do_not_contact,
    )
    values = dict(
        borrower=borrower,
        servicer=_servicer(),
        servicer_since=D(2026, 1, 1),
        loan_type="fixed",
        principal=C("120000"),
        interest_rate=C("6"),
        payments_per_year=12,
        amortization="annuity",
        origination_date=D(2025, 12, 10),
        first_payment_date=D(2026, 1, 10),
        maturity_date=D(2036, 1, 10),
    )
    values.update(fields)
    return Loan.objects.create(loan_number=number, **values)


@pytest.fixture
def book():
    return {
        # 10 May 2026 is a Sunday: due Monday 11 May
        "email": _loan("L-EMAIL", email="anna@example.dk"),
        # quarterly, due Tuesday 12 May
        "letter": _loan("L-LETTER", payments_per_year=4, first_payment_date=D(2026, 2, 12)),
        "dnc": _loan("L-DNC", email="dnc@example.dk", do_not_contact=True),
        # due 25 May: outside the 14-day window
        "later": _loan("L-LATER", email="later@example.dk", first_payment_date=D(2026, 1, 25)),
        "other_servicer": _loan("L-OTHER", email="o@example.dk", servicer=_servicer(own=False)),
        "paid_off": _loan("L-PAID", email="p@example.dk", status="paid_off"),
    }


def test_srv2_notice_for_each_loan_due_within_the_window(book):
    # when
    created = payment_notices_generate(business_date=TODAY)
    # then the three loans we service with a payment due 1–15 May have one notice each
    assert created == 3
    notices = {n.loan.loan_number: n for n in PaymentNotice.objects.select_related("loan")}
    assert set(notices) == {"L-EMAIL", "L-LETTER", "L-DNC"}
    email = notices["L-EMAIL"]
    assert (email.interest_date, email.due_date) == (D(2026, 5, 10), D(2026, 5, 11))
    row = next(r for r in schedule_for_loan(book["email"]) if r.interest_date == D(2026, 5, 10))
    assert (email.period, email.principal, email.interest) == (5, row.principal, row.interest)
    assert email.amount == row.payment and email.currency == "DKK"
    assert (email.channel, email.recipient, email.state) == ("email", "anna@example.dk", "pending")
    assert notices["L-LETTER"].channel == "letter"
    assert notices["L-LETTER"].due_date == D(2026, 5, 12)


def test_srv2_notices_not_duplicated_when_the_job_runs_twice(book):
    # when the nightly job runs, then runs again for the same date, then again forced, then the next night
    first = payment_notices_run(business_date=TODAY)
    second = payment_notices_run(business_date=TODAY)
    forced = payment_notices_run(business_date=TODAY, force=True)
    next_night = payment_notices_run(business_date=TODAY + datetime.timedelta(days=1))
    # then one notice per loan and due date, and each e-mail went out once
    assert first.result == {"created": 3, "emailed": 2, "failed": 0, "letters": 1}
    assert second is None
    assert forced.result == {"created": 0, "emailed": 0, "failed": 0, "letters": 0}
    assert next_night.result["created"] == 0
    assert PaymentNotice.objects.count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.dk", "dnc@example.dk"]


def test_srv2_a_run_that_died_halfway_is_resumed_without_duplicates(book, monkeypatch):
    # given a run that made the notices and died before sending anything
    def die(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(notices_module, "payment_notices_send", die)
    with pytest.raises(RuntimeError):
        payment_notices_run(business_date=TODAY)
    assert JobRun.objects.get(job="payment_notices", business_date=TODAY).state == "failed"
    assert PaymentNotice.objects.filter(state="pending").count() == 3
    assert mail.outbox == []
    monkeypatch.undo()
    # when it runs again
    run = payment_notices_run(business_date=TODAY)
    # then it makes nothing new and sends what was left, once
    assert run.result == {"created": 0, "emailed": 2, "failed": 0, "letters": 1}
    assert PaymentNotice.objects.count() == 3
    assert len(mail.outbox) == 2
    assert JobRun.objects.get(job="payment_notices", business_date=TODAY).state == "done"


def test_srv2_a_notice_claimed_by_another_sender_is_not_sent_again(book):
    # given a notice claimed by a sender that crashed before marking it sent
    payment_notices_generate(business_date=TODAY)
    PaymentNotice.objects.filter(loan__loan_number="L-EMAIL").update(state="sending")
    # when
    result = payment_notices_send(business_date=TODAY)
    # then only the other e-mail goes out; the claimed one waits for a person (at most once)
    assert result["emailed"] == 1
    assert [m.to for m in mail.outbox] == [["dnc@example.dk"]]
    assert PaymentNotice.objects.get(loan__loan_number="L-EMAIL").state == "sending"


def test_srv2_failed_email_is_retried_by_the_next_run_and_sent_once(book, settings):
    # given a mail server that refuses one address
    settings.EMAIL_BACKEND = "tests.servicing.test_notices.FailingForSomeBackend"
    Borrower.objects.filter(loans__loan_number="L-EMAIL").update(email="bounce@example.dk")
    payment_notices_generate(business_date=TODAY)
    # when
    first = payment_notices_send(business_date=TODAY)
    # then the refused notice is failed with the reason, the others went out
    assert first == {"emailed": 1, "failed": 1, "letters": 1}
    failed = PaymentNotice.objects.get(loan__loan_number="L-EMAIL")
    assert failed.state == "failed" and "550" in failed.error
    # when the address works again (the notice keeps its recipient; the server recovers)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = payment_notices_send(business_date=TODAY)
    third = payment_notices_send(business_date=TODAY)
    # then it is sent once
    assert second["emailed"] == 1 and third["emailed"] == 0
    assert PaymentNotice.objects.get(pk=failed.pk).state == "sent"
    assert [m.to for m in mail.outbox].count(["bounce@example.dk"]) == 1


def test_srv2_borrower_without_email_gets_a_letter_in_the_batch(book, make_user):
    # given
    payment_notices_run(business_date=TODAY)
    letter = PaymentNotice.objects.get(loan__loan_number="L-LETTER")
    # then the letter is in the business date's batch, and nobody was e-mailed for it
    assert (letter.state, letter.batch_date, letter.recipient) == ("batched", TODAY, "")
    assert letter.sent_at is not None
    assert all("L-LETTER" not in m.subject for m in mail.outbox)
    # when the mail room opens the batch
    client = _servicing_client(make_user)
    page = client.get(reverse("servicing:notice-letters"), {"date": TODAY.isoformat()})
    # then it shows the letter with the address and the amount, and only letters
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-loan="L-LETTER"' in body and "Vej L-LETTER" in body
    assert "L-EMAIL" not in body
    # and the CSV for the mail room is logged as an export of contact details
    csv_response = client.get(
        reverse("servicing:notice-letters"), {"date": TODAY.isoformat(), "format": "csv"}
    )
    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "loan_number,name,address,language,due_date,amount,currency"
    assert lines[1].startswith("L-LETTER,Borrower L-LETTER,")
    assert lines[1].endswith(f",en,2026-05-12,{letter.amount},DKK")
    log = ExportLog.objects.get()
    assert (log.row_count, log.completed, log.with_contact_details) == (1, True, True)


def test_srv2_letter_batch_needs_the_permission(book, make_user):
    client = _client(make_user("officer", "loan_officer"))
    assert client.get(reverse("servicing:notice-letters")).status_code == 403


def test_srv2_do_not_contact_does_not_stop_a_payment_notice(book):
    # A payment notice is a service notice the loan agreement requires, not marketing.
    payment_notices_run(business_date=TODAY)
    notice = PaymentNotice.objects.get(loan__loan_number="L-DNC")
    assert notice.state == "sent"
    assert any(m.to == ["dnc@example.dk"] for m in mail.outbox)


def test_col6_email_says_amount_breakdown_due_date_how_to_pay_and_where_to_get_help(book, settings):
    # given
    settings.SERVICING_PAYMENT_ACCOUNT = "reg. 1234 konto 0001234567"
    settings.SERVICING_HELP_PHONE = "70 10 20 30"
    settings.SERVICING_FIRM_NAME = "Eksempel Realkredit A/S"
    # when
    payment_notices_run(business_date=TODAY)
    # then
    message = next(m for m in mail.outbox if m.to == ["anna@example.dk"])
    notice = PaymentNotice.objects.get(loan__loan_number="L-EMAIL")
    amount = f"DKK {notice.amount:,.2f}"
    with translation.override("en"):
        due_date = date_format(D(2026, 5, 11), "DATE_FORMAT")
    assert "L-EMAIL" in message.subject and amount in message.subject
    for text in (
        amount,
        due_date,
        f"{notice.principal:,.2f}",
        f"{notice.interest:,.2f}",
        "reg. 1234 konto 0001234567",
        "reference L-EMAIL",
        "not a bank day",  # interest date 10 May is a Sunday
        "70 10 20 30",
        "debt counselling",
        "reminder fee",
        "Eksempel Realkredit A/S",
    ):
        assert text in message.body, text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and amount in html


def test_srv2_email_in_the_borrowers_language(book):
    # given a Danish-speaking borrower
    Borrower.objects.filter(loans__loan_number="L-DNC").update(preferred_language="da")
    # when
    payment_notices_run(business_date=TODAY)
    # then the amounts are written the Danish way (the words follow the compiled Danish catalogue)
    notice = PaymentNotice.objects.get(loan__loan_number="L-DNC")
    message = next(m for m in mail.outbox if m.to == ["dnc@example.dk"])
    danish_amount = f"{notice.amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") + " kr."
    assert notice.language == "da"
    assert danish_amount in message.body


def test_srv2_breakdown_adds_fees_from_the_ledger_and_escrow(book):
    # given a fee owed and an escrow account of 250 a month on the quarterly loan
    loan = book["letter"]
    posting_create(loan=loan, kind=PostingKind.FEE, amount=C("75.00"), effective_date=D(2026, 4, 20))
    EscrowAccount.objects.create(loan=loan, opened_on=D(2026, 1, 1), monthly_deposit=C("250.00"))
    # when
    payment_notices_generate(business_date=TODAY)
    # then the notice asks for principal + interest + fees + three months of escrow
    notice = PaymentNotice.objects.get(loan=loan)
    row = next(r for r in schedule_for_loan(loan) if r.due_date == notice.due_date)
    assert (notice.fees, notice.escrow) == (C("75.00"), C("750.00"))
    assert notice.amount == row.payment + C("825.00")


def test_srv2_a_due_date_moved_past_the_window_waits_for_a_later_night():
    # given interest on Friday 15 May 2026, the Friday after Ascension: due Monday 18 May
    _loan("L-ASC", email="asc@example.dk", first_payment_date=D(2026, 1, 15))
    # when the job runs on 1 May (window to 15 May) and on 4 May (window to 18 May)
    assert payment_notices_generate(business_date=D(2026, 5, 1)) == 0
    assert payment_notices_generate(business_date=D(2026, 5, 4)) == 1
    # then the notice has both dates
    notice = PaymentNotice.objects.get()
    assert (notice.interest_date, notice.due_date) == (D(2026, 5, 15), D(2026, 5, 18))


def test_srv2_fortnightly_loan_gets_only_its_next_payment():
    # given payments every 14 days: Wednesday 29 April and Wednesday 13 May both fall in the window
    _loan("L-26", email="f@example.dk", payments_per_year=26, first_payment_date=D(2026, 1, 7))
    # when
    payment_notices_generate(business_date=D(2026, 4, 29))
    # then the notice is for the next one only; the one after comes on a later night
    assert list(PaymentNotice.objects.values_list("due_date", flat=True)) == [D(2026, 4, 29)]
    payment_notices_generate(business_date=D(2026, 4, 30))
    assert sorted(PaymentNotice.objects.values_list("due_date", flat=True)) == [
        D(2026, 4, 29),
        D(2026, 5, 13),
    ]


def test_srv2_nightly_task_and_command_run_once_per_business_date(book):
    assert settings.NIGHTLY_JOBS["payment_notices"] == ("servicing.tasks.payment_notices_task", 2, 0)
    # when
    result = payment_notices_task(business_date=TODAY.isoformat())
    again = payment_notices_task(business_date=TODAY.isoformat())
    out = io.StringIO()
    call_command("run_payment_notices", "--date", TODAY.isoformat(), stdout=out)
    # then
    assert result == {"created": 3, "emailed": 2, "failed": 0, "letters": 1}
    assert again is None
    assert "already done" in out.getvalue()
    assert len(mail.outbox) == 2


def test_srv2_command_reports_what_it_did(book):
    out = io.StringIO()
    call_command("run_payment_notices", "--date", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == "payment notices for 2026-05-01: 3 made, 2 e-mailed, 0 failed, 1 letters"


def test_srv2_database_refuses_a_second_notice_for_the_same_due_date(book):
    from django.db import IntegrityError, transaction

    payment_notices_generate(business_date=TODAY)
    notice = PaymentNotice.objects.get(loan__loan_number="L-EMAIL")
    notice.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        notice.save()


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _servicing_client(make_user):
    return _client(make_user("clerk", "servicing"))


def test_srv1_loan_page_shows_the_schedule(book, make_user):
    # when
    client = _servicing_client(make_user)
    page = client.get(reverse("loanregister:loan", args=["L-EMAIL"]))
    # then the loan page shows the next twelve payments, money right-aligned, with links to the rest
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="loan-schedule-table"' in body
    assert body.count('<td class="num">') == 12 * 5 + 3  # No., payment, interest, principal, balance; totals
    assert reverse("servicing:loan-schedule", args=["L-EMAIL"]) in body
    # and the schedule page shows all 121 payments (10 Jan 2026 to 10 Jan 2036, both included)
    full = client.get(reverse("servicing:loan-schedule", args=["L-EMAIL"])).content.decode()
    assert full.count('<td class="num">') == 121 * 5 + 3
    # and the CSV gives the contract's columns
    csv_response = client.get(reverse("servicing:loan-schedule-csv", args=["L-EMAIL"]))
    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "period,due_date,payment,interest,principal,balance"
    assert len(lines) == 1 + 121
    assert lines[-1].endswith(",0.00")


def test_srv1_schedule_pages_need_the_loan_permission(book, make_user):
    client = _client(make_user("lpo", "lpo_processor"))
    assert client.get(reverse("servicing:loan-schedule", args=["L-EMAIL"])).status_code == 403
    assert client.get(reverse("servicing:loan-schedule-csv", args=["L-EMAIL"])).status_code == 403


def test_srv2_admin_lists_notices_read_only_with_search_and_filters(book, make_user):
    # given
    payment_notices_run(business_date=TODAY)
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    client = _client(admin_user)
    url = reverse("admin:servicing_paymentnotice_changelist")
    # when
    listing = client.get(url, {"q": "L-LETTER", "channel__exact": "letter", "due_date__year": "2026"})
    notice = PaymentNotice.objects.get(loan__loan_number="L-LETTER")
    detail = client.get(reverse("admin:servicing_paymentnotice_change", args=[notice.pk]))
    # then
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert detail.status_code == 200
    assert "?date=2026-05-01" in detail.content.decode()  # the link to its letter batch
    assert client.post(reverse("admin:servicing_paymentnotice_delete", args=[notice.pk])).status_code == 403
    assert client.get(reverse("admin:servicing_paymentnotice_add")).status_code == 403
