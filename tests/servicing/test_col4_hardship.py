"""Issue 11 item 4 (COL-4): a hardship plan, approved by a collections manager, is what is billed while it runs,
pauses the reminder ladder, and a missed plan payment ends it and the ladder resumes."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from loanregister.models import Loan
from servicing.collections.delinquency import loan_delinquency
from servicing.collections.hardship import (
    hardship_assessment_record,
    hardship_plan_approve,
    hardship_plan_propose,
)
from servicing.collections.reminders import collection_reminders_run
from servicing.installments import installments_due_post
from servicing.models import HardshipPlan, Posting, Reminder

from .collections_support import billed_loan, notice, pay, reference_data
from .ledger_support import D

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 3, 2)
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


def _plan(loan, user, *, kind="holiday", starts_on, months=3, payment=None):
    assessment = hardship_assessment_record(
        loan=loan,
        user=user,
        assessed_on=starts_on - 10 * day,
        monthly_income=D("18000"),
        monthly_expenses=D("16500"),
        cause="unemployment",
        expected_months=months,
    )
    return hardship_plan_propose(
        assessment=assessment, user=user, kind=kind, starts_on=starts_on, months=months, payment=payment or D("0")
    )


def _run(on):
    return collection_reminders_run(business_date=on, force=True)


def test_col4_only_a_collections_manager_approves_a_plan(collector, manager):
    loan = billed_loan("C4-APPROVE", DUE)
    plan = _plan(loan, collector, starts_on=DUE + 30 * day)
    with pytest.raises(PermissionDenied):
        hardship_plan_approve(plan=plan, user=collector)
    approved = hardship_plan_approve(plan=plan, user=manager, on=DUE + 20 * day)
    assert (approved.state, approved.approved_by) == (HardshipPlan.State.ACTIVE, manager)
    assert Loan.objects.get(pk=loan.pk).in_collections is True
    with pytest.raises(ValidationError):
        hardship_plan_approve(plan=plan, user=manager)


def test_col4_a_plan_needs_what_its_kind_needs(collector):
    loan = billed_loan("C4-FORM", DUE)
    with pytest.raises(ValidationError) as refused:
        _plan(loan, collector, kind="reduced", starts_on=DUE, payment=D("0"))
    assert "payment" in refused.value.message_dict


def test_col4_a_payment_holiday_adds_no_days_past_due(collector, manager):
    # given a loan that is up to date, with notices due on DUE and a month later, and an agreed holiday
    loan = billed_loan("C4-HOLIDAY")
    notice(loan, DUE)
    notice(loan, DUE + 31 * day)
    plan = _plan(loan, collector, kind="holiday", starts_on=DUE, months=2)
    hardship_plan_approve(plan=plan, user=manager, on=DUE - 5 * day)
    # when the nightly billing runs on both due dates
    installments_due_post(business_date=DUE)
    installments_due_post(business_date=DUE + 31 * day)
    # then nothing was billed and the loan is not behind
    assert not Posting.objects.filter(loan=loan, kind__in=["interest", "scheduled_payment_due"]).exists()
    assert loan_delinquency(loan=loan, as_of=DUE + 40 * day) is None


def test_col4_reduced_payments_are_billed_instead_of_the_installment(collector, manager):
    loan = billed_loan("C4-REDUCED")
    notice(loan, DUE)
    plan = _plan(loan, collector, kind="reduced", starts_on=DUE, months=3, payment=D("1500.00"))
    hardship_plan_approve(plan=plan, user=manager, on=DUE - 5 * day)
    installments_due_post(business_date=DUE)
    billed = sum(
        p.amount for p in Posting.objects.filter(loan=loan, kind__in=["interest", "scheduled_payment_due"])
    )
    assert billed == D("1500.00")
    assert loan_delinquency(loan=loan, as_of=DUE + 3 * day).amount_past_due == D("1500.00")


def test_col4_a_plan_pauses_the_ladder_and_a_missed_plan_payment_resumes_it(collector, manager):
    # given a loan 10 days behind that has had its friendly reminder
    loan = billed_loan("C4-PAUSE", DUE, email="b@example.dk")
    _run(DUE + day)
    # and a plan of reduced payments from the next month, approved
    first = DUE + 31 * day
    plan = _plan(loan, collector, kind="reduced", starts_on=first, months=3, payment=D("1000.00"))
    hardship_plan_approve(plan=plan, user=manager, on=DUE + 10 * day)
    # when the ladder runs past the follow-up's day while the plan runs and its first payment is made
    pay(loan, "1000.00", first)
    _run(DUE + 16 * day)
    _run(first + day)
    # then no reminder was sent during the plan
    assert list(Reminder.objects.filter(loan=loan).values_list("step__code", flat=True)) == ["friendly"]
    assert HardshipPlan.objects.get(pk=plan.pk).state == HardshipPlan.State.ACTIVE
    # when the second plan payment is missed
    second = plan.installments.order_by("due_date")[1].due_date
    _run(second + day)
    # then the plan ends and the ladder resumes from where it stood: the highest step now due is sent
    plan.refresh_from_db()
    assert (plan.state, plan.ended_on) == (HardshipPlan.State.BROKEN, second + day)
    sent = list(
        Reminder.objects.filter(loan=loan, state="sent")
        .order_by("step_days")
        .values_list("step__code", flat=True)
    )
    assert sent[0] == "friendly" and sent[-1] == "final"
    assert Reminder.objects.filter(loan=loan, due_date=DUE, step__code="friendly").count() == 1
