"""COL-4 with SRV-2: the loan's payment notice follows a running hardship plan, with the ledger's own postings.

Without a plan the notice asks for the scheduled installment and the nightly billing bills exactly that. During a
payment holiday there is no notice (nothing is due). During reduced payments the notice asks for the plan's amount
on the plan's date, and the billing bills that once. After a missed plan payment ends the plan the notice asks for
the loan's own installment again, and the plan's notice is never billed as an installment."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from servicing.collections.delinquency import loan_delinquency
from servicing.collections.hardship import (
    hardship_assessment_record,
    hardship_plan_approve,
    hardship_plan_propose,
    hardship_plans_review,
)
from servicing.installments import installments_due_post
from servicing.models import HardshipPlan, PaymentNotice, Posting
from servicing.notices import payment_notices_generate, payment_notices_send
from servicing.schedules import schedule_for_loan

from .collections_support import billed_loan, pay, reference_data
from .ledger_support import D

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 20)  # the window runs to 3 June
OWN_DUE = datetime.date(2026, 6, 1)  # a Monday: the loans' own payment due in the window
PLAN_DUE = datetime.date(2026, 5, 25)  # the reduced plan's first payment
day = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _reference(settings):
    reference_data()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def collector(make_user):
    return make_user("collector", "collections")


@pytest.fixture
def manager(make_user):
    return make_user("manager", "collections_manager")


def _agreed(loan, collector, manager, *, kind, starts_on, payment=Decimal("0")) -> HardshipPlan:
    assessment = hardship_assessment_record(
        loan=loan,
        user=collector,
        assessed_on=TODAY - 15 * day,
        monthly_income=D("18000"),
        monthly_expenses=D("16500"),
        cause="illness",
        expected_months=3,
    )
    plan = hardship_plan_propose(
        assessment=assessment, user=collector, kind=kind, starts_on=starts_on, months=3, payment=payment
    )
    return hardship_plan_approve(plan=plan, user=manager, on=TODAY - 10 * day)


def _installment(loan) -> Decimal:
    row = schedule_for_loan(loan, stop_after=OWN_DUE)[-1]
    assert row.due_date == OWN_DUE
    return row.principal + row.interest


def _billed(loan) -> Decimal:
    return sum(
        (p.amount for p in Posting.objects.filter(loan=loan, kind__in=["interest", "scheduled_payment_due"])),
        Decimal("0"),
    )


def test_col4_without_a_plan_the_notice_asks_for_the_installment_and_that_is_billed():
    loan = billed_loan("C4N-NONE", email="none@example.dk")
    payment_notices_generate(business_date=TODAY)
    notice = PaymentNotice.objects.get(loan=loan)
    assert (notice.due_date, notice.amount, notice.plan_payment) == (OWN_DUE, _installment(loan), None)
    installments_due_post(business_date=OWN_DUE)
    assert _billed(loan) == notice.amount


def test_col4_a_payment_holiday_gets_no_notice_and_nothing_is_billed(collector, manager):
    loan = billed_loan("C4N-HOLIDAY", email="holiday@example.dk")
    other = billed_loan("C4N-OTHER", email="other@example.dk")
    _agreed(loan, collector, manager, kind="holiday", starts_on=TODAY - 5 * day)
    # when the nightly notices run (twice: the same night again) and are sent
    payment_notices_generate(business_date=TODAY)
    payment_notices_generate(business_date=TODAY + day)
    payment_notices_send(business_date=TODAY)
    # then the borrower on holiday gets no notice; the other borrower gets theirs
    assert not PaymentNotice.objects.filter(loan=loan).exists()
    assert [m.to for m in mail.outbox] == [["other@example.dk"]]
    installments_due_post(business_date=OWN_DUE)
    assert _billed(loan) == 0
    assert _billed(other) == _installment(other)
    assert loan_delinquency(loan=loan, as_of=OWN_DUE + 10 * day) is None


def test_col4_reduced_payments_the_notice_asks_for_the_plans_amount_on_its_date(collector, manager):
    loan = billed_loan("C4N-REDUCED", email="reduced@example.dk", language="en")
    plan = _agreed(loan, collector, manager, kind="reduced", starts_on=PLAN_DUE, payment=D("1500.00"))
    # when the notices run
    payment_notices_generate(business_date=TODAY)
    # then the one notice is the plan's first payment: its amount, its date; the own installment has none
    notice = PaymentNotice.objects.get(loan=loan)
    first = plan.installments.order_by("due_date").first()
    assert (notice.due_date, notice.amount, notice.plan_payment_id, notice.period) == (
        PLAN_DUE,
        D("1500.00"),
        first.pk,
        1,
    )
    payment_notices_send(business_date=TODAY)
    (message,) = mail.outbox
    assert "1,500.00" in message.body and "agreed in your payment plan" in message.body
    # when the billing runs on both dates and the borrower pays the plan's amount (through the bank's file)
    installments_due_post(business_date=PLAN_DUE)
    pay(loan, "1500.00", PLAN_DUE)
    hardship_plans_review(business_date=PLAN_DUE + day)
    payment_notices_generate(business_date=PLAN_DUE + day)
    installments_due_post(business_date=OWN_DUE)
    # then exactly what the notice asked for was billed, the plan runs on, and still no own installment notice
    assert _billed(loan) == notice.amount
    assert HardshipPlan.objects.get(pk=plan.pk).state == HardshipPlan.State.ACTIVE
    assert list(PaymentNotice.objects.filter(loan=loan).values_list("due_date", flat=True)) == [PLAN_DUE]
    assert loan_delinquency(loan=loan, as_of=OWN_DUE + day) is None


def test_col4_after_a_missed_plan_payment_the_notice_asks_for_the_installment_again(collector, manager):
    loan = billed_loan("C4N-BROKEN", email="broken@example.dk")
    plan = _agreed(loan, collector, manager, kind="reduced", starts_on=PLAN_DUE, payment=D("1500.00"))
    payment_notices_generate(business_date=TODAY)
    installments_due_post(business_date=PLAN_DUE)
    # when the plan's payment is missed: the nightly review ends the plan
    assert hardship_plans_review(business_date=PLAN_DUE + day)["broken"] == 1
    assert HardshipPlan.objects.get(pk=plan.pk).state == HardshipPlan.State.BROKEN
    payment_notices_generate(business_date=PLAN_DUE + day)
    # then the next notice asks for the loan's own installment
    own = PaymentNotice.objects.get(loan=loan, due_date=OWN_DUE)
    assert (own.amount, own.plan_payment) == (_installment(loan), None)
    # and the billing bills it, while the plan's notice is never billed again as an installment
    installments_due_post(business_date=OWN_DUE)
    assert _billed(loan) == D("1500.00") + own.amount
