"""Escrow (SRV-1): third parties paid from escrow, once each, and a shortage shown when escrow cannot cover."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from common.models import JobRun
from servicing.escrow import (
    add_months,
    escrow_account_open,
    escrow_balance,
    escrow_deposit_post,
    escrow_disbursement_schedule,
    escrow_disbursements_pay,
    escrow_due_rows,
    escrow_shortage,
)
from servicing.models import EscrowDisbursement, EscrowPayee, Posting, PostingKind

from .servrest_support import disburse, make_loan

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 4, 1)


@pytest.fixture
def escrow():
    loan = make_loan("E-1")
    disburse(loan, "1000000.00")
    account = escrow_account_open(loan=loan, opened_on=datetime.date(2020, 1, 1))
    insurer = EscrowPayee.objects.create(name="Tryg Forsikring", kind="insurer", account="1234 5678901234")
    tax = EscrowPayee.objects.create(
        name="Københavns Kommune", kind="tax_authority", reference="Ejendomsskat"
    )
    return loan, account, insurer, tax


def test_srv1_escrow_balance_is_derived_from_the_ledger(escrow):
    # given
    loan, account, insurer, _tax = escrow
    # when
    escrow_deposit_post(loan=loan, amount=Decimal("1500.00"), received_on=DUE, external_id="dep-1")
    # then
    assert escrow_balance(loan=loan) == Decimal("1500.00")
    assert Posting.objects.filter(loan=loan, kind=PostingKind.ESCROW_DEPOSIT).count() == 1


def test_srv1_disbursement_is_paid_once_even_when_the_job_runs_twice(escrow):
    # given 3,000 in escrow and a 2,400 premium due
    loan, account, insurer, _tax = escrow
    escrow_deposit_post(loan=loan, amount=Decimal("3000.00"), received_on=DUE, external_id="dep-1")
    disbursement = escrow_disbursement_schedule(
        account=account, payee=insurer, amount=Decimal("2400.00"), due_date=DUE
    )
    # when the nightly payment runs twice (and once more on a later date)
    first = escrow_disbursements_pay(business_date=DUE)
    second = escrow_disbursements_pay(business_date=DUE)
    third = escrow_disbursements_pay(business_date=DUE + datetime.timedelta(days=1))
    # then it was paid exactly once, through the ledger
    assert first["paid"] == 1 and second["paid"] == 0 and third["paid"] == 0
    postings = Posting.objects.filter(loan=loan, kind=PostingKind.ESCROW_DISBURSEMENT)
    assert [(p.amount, p.payee) for p in postings] == [(Decimal("2400.00"), "Tryg Forsikring")]
    disbursement.refresh_from_db()
    assert disbursement.state == EscrowDisbursement.State.PAID
    assert disbursement.paid_on == DUE
    assert disbursement.posting == postings.get()
    assert disbursement.shortage == Decimal("0.00")
    assert escrow_balance(loan=loan) == Decimal("600.00")


def test_srv1_not_paid_before_it_is_due(escrow):
    # given
    loan, account, insurer, _tax = escrow
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("100.00"), due_date=DUE)
    # when
    result = escrow_disbursements_pay(business_date=DUE - datetime.timedelta(days=1))
    # then
    assert result["paid"] == 0
    assert not Posting.objects.filter(kind=PostingKind.ESCROW_DISBURSEMENT).exists()


def test_srv1_recurring_disbursement_schedules_its_next_occurrence_once(escrow):
    # given a half-yearly property tax
    loan, account, _insurer, tax = escrow
    escrow_disbursement_schedule(
        account=account, payee=tax, amount=Decimal("6000.00"), due_date=DUE, frequency="semiannual"
    )
    # when paid, and the job re-run
    escrow_disbursements_pay(business_date=DUE)
    escrow_disbursements_pay(business_date=DUE)
    # then the next one is scheduled six months on, once
    scheduled = EscrowDisbursement.objects.filter(state="scheduled")
    assert [(d.due_date, d.amount) for d in scheduled] == [(datetime.date(2026, 10, 1), Decimal("6000.00"))]


def test_srv1_shortage_when_the_balance_cannot_cover_the_next_disbursement(escrow):
    # given 500 in escrow and 800 due next
    loan, account, insurer, tax = escrow
    escrow_deposit_post(loan=loan, amount=Decimal("500.00"), received_on=DUE, external_id="dep-1")
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("800.00"), due_date=DUE)
    escrow_disbursement_schedule(
        account=account, payee=tax, amount=Decimal("50.00"), due_date=DUE + datetime.timedelta(days=30)
    )
    # when / then
    shortage = escrow_shortage(loan)
    assert shortage is not None
    assert shortage.amount == Decimal("300.00")
    assert shortage.balance == Decimal("500.00")
    assert shortage.disbursement.payee == insurer
    rows, total = escrow_due_rows(until=DUE)
    assert total == 1
    assert rows[0].shortage == Decimal("300.00")
    # and when paid anyway (the servicer advances), the advance is recorded and escrow is negative
    escrow_disbursements_pay(business_date=DUE)
    assert EscrowDisbursement.objects.get(amount=Decimal("800.00")).shortage == Decimal("300.00")
    assert escrow_balance(loan=loan) == Decimal("-300.00")


def test_srv1_no_shortage_when_covered(escrow):
    # given
    loan, account, insurer, _tax = escrow
    escrow_deposit_post(loan=loan, amount=Decimal("800.00"), received_on=DUE, external_id="dep-1")
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("800.00"), due_date=DUE)
    # when / then
    assert escrow_shortage(loan) is None


def test_srv1_nightly_command_runs_once_per_business_date(escrow):
    # given
    loan, account, insurer, _tax = escrow
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("100.00"), due_date=DUE)
    # when
    call_command("run_escrow_disbursements", "--date", DUE.isoformat())
    call_command("run_escrow_disbursements", "--date", DUE.isoformat())
    # then
    assert Posting.objects.filter(kind=PostingKind.ESCROW_DISBURSEMENT).count() == 1
    run = JobRun.objects.get(job="escrow_disbursements", business_date=DUE)
    assert run.result["paid"] == 1


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)


def test_srv1_loan_page_shows_the_escrow_panel_with_its_shortage(client, make_user, escrow):
    # given a shortage
    loan, account, insurer, _tax = escrow
    escrow_deposit_post(loan=loan, amount=Decimal("500.00"), received_on=DUE, external_id="dep-1")
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("800.00"), due_date=DUE)
    client.force_login(make_user("servicer", "servicing"))
    # when
    page = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="loan-escrow"' in html
    assert 'id="escrow-shortage"' in html
    assert "Tryg Forsikring" in html


def test_srv1_servicing_home_card_lists_escrow_disbursements_due(rf, make_user, escrow):
    # given one due within the horizon with a shortage, and one far off
    loan, account, insurer, tax = escrow
    today = timezone.localdate()
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("800.00"), due_date=today)
    escrow_disbursement_schedule(
        account=account, payee=tax, amount=Decimal("50.00"), due_date=today + datetime.timedelta(days=200)
    )
    request = rf.get("/servicing/")
    request.user = make_user("servicer", "servicing")
    # when
    html = get_template("servicing/_home_escrow.html").render({"request": request}, request)
    # then
    assert 'id="escrow-due"' in html
    assert "Tryg Forsikring" in html
    assert "Københavns Kommune" not in html
    assert loan.loan_number in html


def test_srv1_servicing_home_card_hidden_without_permission(rf, make_user, escrow):
    request = rf.get("/servicing/")
    request.user = make_user("officer", "loan_officer")
    html = get_template("servicing/_home_escrow.html").render({"request": request}, request)
    assert 'id="escrow-due"' not in html


def test_srv1_nightly_task_is_scheduled_and_runs_once(escrow, settings):
    # given
    from servicing.tasks import escrow_disbursements_task

    loan, account, insurer, _tax = escrow
    escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("100.00"), due_date=DUE)
    assert settings.NIGHTLY_JOBS["escrow_disbursements"][0] == "servicing.tasks.escrow_disbursements_task"
    # when delivered twice (a redelivery after a crash)
    first = escrow_disbursements_task(business_date=DUE.isoformat())
    second = escrow_disbursements_task(business_date=DUE.isoformat())
    # then
    assert first["paid"] == 1 and second is None
    assert Posting.objects.filter(kind=PostingKind.ESCROW_DISBURSEMENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_srv1_two_workers_at_once_pay_a_disbursement_once():
    # given (committed, so that other connections see it)
    import threading

    from django.db import connection

    loan = make_loan("E-RACE")
    disburse(loan, "1000.00")
    account = escrow_account_open(loan=loan, opened_on=datetime.date(2020, 1, 1))
    payee = EscrowPayee.objects.create(name="Tryg", kind="insurer")
    for day in range(5):
        escrow_disbursement_schedule(
            account=account, payee=payee, amount=Decimal("10.00"), due_date=DUE - datetime.timedelta(days=day)
        )
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(escrow_disbursements_pay(business_date=DUE))
        finally:
            connection.close()

    # when two workers run the payment at the same moment
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each disbursement was paid exactly once between them
    assert sum(result["paid"] for result in results) == 5
    assert sum(result["failed"] for result in results) == 0
    assert Posting.objects.filter(kind=PostingKind.ESCROW_DISBURSEMENT).count() == 5
    assert escrow_balance(loan=loan) == Decimal("-50.00")


def test_srv1_servicing_staff_open_escrow_and_schedule_from_the_loan_page(client, make_user):
    # given a loan without escrow and a servicing user (not staff: no admin)
    loan = make_loan("E-WEB")
    payee = EscrowPayee.objects.create(name="Tryg Forsikring", kind="insurer")
    client.force_login(make_user("servicer", "servicing"))
    # when they open the account and schedule the yearly premium
    client.post(reverse("servicing:escrow-open", args=[loan.loan_number]))
    response = client.post(
        reverse("servicing:escrow-disbursement-add", args=[loan.loan_number]),
        {"payee": payee.pk, "amount": "5.200,00", "due_date": "2026-11-30", "frequency": "annual"},
    )
    # then
    assert response.status_code == 302
    disbursement = EscrowDisbursement.objects.get(account__loan=loan)
    assert (disbursement.amount, disbursement.frequency, disbursement.state) == (
        Decimal("5200.00"),
        "annual",
        "scheduled",
    )
    page = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    assert "Tryg Forsikring" in page.content.decode()


def test_srv1_escrow_set_up_refused_without_permission(client, make_user):
    loan = make_loan("E-NO")
    client.force_login(make_user("officer", "loan_officer"))
    assert client.post(reverse("servicing:escrow-open", args=[loan.loan_number])).status_code == 403


def test_srv1_a_disbursement_the_ledger_refuses_stays_scheduled_and_the_others_are_paid(escrow):
    # given two due, the first of which the ledger will refuse (its id already posted with other content)
    from servicing.escrow import disbursement_external_id
    from servicing.ledger import posting_create

    loan, account, insurer, tax = escrow
    bad = escrow_disbursement_schedule(account=account, payee=insurer, amount=Decimal("100.00"), due_date=DUE)
    good = escrow_disbursement_schedule(account=account, payee=tax, amount=Decimal("200.00"), due_date=DUE)
    posting_create(
        loan=loan,
        kind=PostingKind.ESCROW_DEPOSIT,
        amount=Decimal("1.00"),
        effective_date=DUE,
        external_id=disbursement_external_id(bad.pk),
    )
    # when
    result = escrow_disbursements_pay(business_date=DUE)
    # then
    assert (result["paid"], result["failed"]) == (1, 1)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.state, good.state) == ("scheduled", "paid")
    assert list(
        Posting.objects.filter(kind=PostingKind.ESCROW_DISBURSEMENT).values_list("amount", flat=True)
    ) == [Decimal("200.00")]
