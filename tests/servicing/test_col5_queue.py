"""Issue 11 items 5 to 7: the collector's queue (by risk, assigned by rule and by a manager, contacts, promises to
pay and the broken-promise flag, next actions), escalation respecting recourse (COL-5, REC-1, REC-2), the loan
page's collections panel, and pages that answer any input without a 500."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from loanregister.models import ContactLog
from servicing.collections.escalation import escalation_open, escalation_path_set, escalation_summary
from servicing.collections.queue import (
    case_assign,
    case_contact_log,
    cases_sync,
    promise_is_broken,
    queue_for,
)
from servicing.collections.reminders import collection_reminders_run
from servicing.models import (
    CollectionCase,
    CollectionsContact,
    CollectorRule,
    Escalation,
    PromiseToPay,
    RecourseRule,
)
from servicing.recovery import recovery_record

from .collections_support import billed_loan, pay, reference_data
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


def _run(on):
    return collection_reminders_run(business_date=on, force=True)


def test_col3_the_queue_is_ordered_by_risk_and_assigned_by_rule(collector, manager):
    # given a rule giving the 30-59 bucket to the collector, and three loans behind
    CollectorRule.objects.create(order=1, bucket="30-59", collector=collector)
    small_old = billed_loan("C5-A", DUE)
    billed_loan("C5-B", DUE + 30 * day)
    smaller = billed_loan("C5-C", DUE + 30 * day)
    pay(smaller, "1.00", DUE + 31 * day)
    # and one 20 days behind with less past due: in the same bucket, the amount ranks before the days
    fewer = billed_loan("C5-D", DUE + 20 * day)
    pay(fewer, "2000.00", DUE + 21 * day)
    # when the night runs
    _run(DUE + 40 * day)
    # then the queue lists them by bucket (the worst first), then amount (the bigger first), then days
    numbers = [case.loan.loan_number for case in queue_for(user=manager)]
    assert numbers == ["C5-A", "C5-B", "C5-C", "C5-D"]
    # and the case of the 40-day loan went to the collector by the rule; the others are unassigned
    assert [c.loan.loan_number for c in queue_for(user=collector, mine=True)] == [small_old.loan_number]
    assert [c.loan.loan_number for c in queue_for(user=manager, collector="-")] == ["C5-B", "C5-C", "C5-D"]


def test_col3_a_manager_assigns_by_hand_and_a_collector_may_not(collector, manager, make_user):
    billed_loan("C5-HAND", DUE)
    _run(DUE + 5 * day)
    case = CollectionCase.objects.get()
    with pytest.raises(PermissionDenied):
        case_assign(case=case, collector_username="collector", user=collector)
    with pytest.raises(ValidationError):
        case_assign(case=case, collector_username="nobody", user=manager)
    case_assign(case=case, collector_username="collector", user=manager)
    assert CollectionCase.objects.get().assigned_to == collector
    with pytest.raises(PermissionDenied):
        queue_for(user=make_user("clerk", "servicing"))


def test_col3_a_broken_promise_is_flagged_on_the_day_after_it_falls_due(collector):
    # given a call on which the borrower promised 5,000.00 by the 20th, of which 4,000.00 came
    loan = billed_loan("C5-PROMISE", DUE)
    _run(DUE + 5 * day)
    case = CollectionCase.objects.get(loan=loan)
    by = DUE + 18 * day
    contact, promise = case_contact_log(
        case=case,
        user=collector,
        channel="phone",
        outcome="reached",
        contacted_on=DUE + 6 * day,
        note="will pay after payday",
        promise_amount=D("5000.00"),
        promise_due_on=by,
    )
    pay(loan, "4000.00", by)
    # then on its date it is not broken yet; on the day after it is
    assert not promise_is_broken(promise, today=by)
    _run(by)
    assert PromiseToPay.objects.get().state == "open"
    _run(by + day)
    promise.refresh_from_db()
    assert promise.state == "broken" and promise_is_broken(promise, today=by + day)
    case.refresh_from_db()
    assert (case.next_action, case.next_action_on) == ("promise", by + day)
    # and the call is in the one contact log, linked to the case
    assert (contact.purpose, contact.channel, contact.user) == ("collections", "phone", collector)
    assert CollectionsContact.objects.get(contact=contact).case == case


def test_col3_a_promise_paid_in_full_is_kept(collector):
    loan = billed_loan("C5-KEPT", DUE)
    _run(DUE + 5 * day)
    case = CollectionCase.objects.get(loan=loan)
    case_contact_log(
        case=case,
        user=collector,
        channel="phone",
        outcome="reached",
        contacted_on=DUE + 6 * day,
        promise_amount=D("5000.00"),
        promise_due_on=DUE + 18 * day,
    )
    pay(loan, "5000.00", DUE + 10 * day)
    _run(DUE + 11 * day)
    assert PromiseToPay.objects.get().state == "kept"
    # and the loan left collections: its case is closed
    assert CollectionCase.objects.get(loan=loan).state == "closed"


def test_col5_rec1_escalation_respects_recourse():
    # given a Danish loan (recourse) and a Californian one (non-recourse by the rules)
    RecourseRule.objects.get_or_create(jurisdiction="US-CA", program="", defaults={"recourse": False})
    dk = billed_loan("C5-DK", DUE)
    ca = billed_loan("C5-CA", DUE)
    ca.property.jurisdiction = "US-CA"
    ca.property.save()
    # when each is escalated
    dk_case = escalation_open(loan=dk, on=DUE + 95 * day)
    ca_case = escalation_open(loan=ca, on=DUE + 95 * day)
    # then the recourse loan may go to court or udlæg, the other only enforce the lien on its collateral
    assert (dk_case.recourse, dk_case.path) == (True, "lawsuit")
    assert (ca_case.recourse, ca_case.path) == (False, "lien")
    assert escalation_summary(ca_case).other_assets == []
    assert escalation_summary(dk_case).may_pursue_other_assets is True
    with pytest.raises(ValidationError):
        escalation_open(loan=billed_loan("C5-CA2", DUE, recourse=False), on=DUE, path="udlaeg")
    # and a second escalation of the same loan opens nothing
    assert escalation_open(loan=dk, on=DUE + 96 * day) is None


def test_col5_a_manager_chooses_the_path_within_recourse(manager, collector):
    loan = billed_loan("C5-PATH", DUE, recourse=False)
    escalation = escalation_open(loan=loan, on=DUE + 95 * day)
    with pytest.raises(ValidationError):
        escalation_path_set(escalation=escalation, path="udlaeg", user=manager)
    with pytest.raises(PermissionDenied):
        escalation_path_set(escalation=escalation, path="lien", user=collector)


def test_rec2_the_escalation_shows_the_recovery_deficiency_and_the_status_is_recoverys():
    # given a loan escalated: its status is unchanged
    loan = billed_loan("C5-REC2", DUE)
    escalation = escalation_open(loan=loan, on=DUE + 95 * day)
    loan.refresh_from_db()
    assert loan.status == "active"
    assert escalation_summary(escalation).deficiency is None
    # when recovery records the collateral sold for less than is owed
    recovery_record(
        loan=loan, recovered_on=DUE + 100 * day, recovered_value=D("990000"), user=None, confirmed=True
    )
    # then the case shows recovery's deficiency, and recovery (not the escalation) changed the status
    summary = escalation_summary(Escalation.objects.get(pk=escalation.pk))
    assert summary.deficiency == summary.recovery.deficiency > 0
    loan.refresh_from_db()
    assert loan.status == "defaulted"


# ---------------------------------------------------------------- pages


def test_col3_the_queue_and_case_pages(client, collector, manager):
    loan = billed_loan("C5-PAGE", DUE)
    _run(DUE + 20 * day)
    case = CollectionCase.objects.get(loan=loan)
    client.force_login(manager)
    page = client.get(reverse("servicing:collections-queue"), {"scope": "all"})
    assert page.status_code == 200 and b"C5-PAGE" in page.content
    assert client.get(reverse("servicing:collections-case", args=[case.pk])).status_code == 200
    # a contact with a promise from the page
    response = client.post(
        reverse("servicing:collections-contact", args=[case.pk]),
        {
            "channel": "phone",
            "direction": "out",
            "outcome": "reached",
            "contacted_on": str(DUE + 20 * day),
            "note": "",
            "promise_amount": "5000",
            "promise_due_on": str(DUE + 25 * day),
        },
    )
    assert response.status_code == 302
    assert PromiseToPay.objects.get(case=case).amount == D("5000.00")
    # the loan page shows the panel
    assert b"loan-collections" in client.get(reverse("loanregister:loan", args=[loan.loan_number])).content


@pytest.mark.parametrize(
    "params",
    [
        {"scope": "x"},
        {"bucket": "<script>"},
        {"collector": "nobody"},
        {"page": "-1"},
        {"page": "zz"},
        {"bucket": "9" * 300},
    ],
)
def test_the_queue_refuses_any_filter_without_a_500(client, manager, params):
    client.force_login(manager)
    response = client.get(reverse("servicing:collections-queue"), params)
    assert response.status_code in (200, 400)


def test_the_case_forms_say_what_is_wrong(client, collector):
    loan = billed_loan("C5-FORM", DUE)
    _run(DUE + 20 * day)
    case = CollectionCase.objects.get(loan=loan)
    client.force_login(collector)
    response = client.post(
        reverse("servicing:collections-contact", args=[case.pk]),
        {
            "channel": "pigeon",
            "direction": "out",
            "outcome": "reached",
            "contacted_on": "2026-13-40",
            "promise_amount": "1e10",
        },
    )
    assert response.status_code == 400
    assert not ContactLog.objects.filter(loan=loan, user=collector).exists()
    response = client.post(
        reverse("servicing:collections-hardship", args=[case.pk]),
        {"monthly_income": "x", "kind": "reduced", "months": "0", "starts_on": ""},
    )
    assert response.status_code == 400
    assert client.get(reverse("servicing:collections-case", args=[999999])).status_code == 404
    assert client.post(reverse("servicing:collections-plan-decide", args=[1, "explode"])).status_code == 404
    get_action = client.get(reverse("servicing:collections-contact", args=[case.pk]))
    assert get_action.status_code == 302


def test_cases_sync_closes_a_case_when_the_loan_is_paid_up():
    loan = billed_loan("C5-CLOSE", DUE)
    _run(DUE + 5 * day)
    pay(loan, "5000.00", DUE + 6 * day)
    _run(DUE + 7 * day)
    assert CollectionCase.objects.get(loan=loan).state == "closed"
    assert cases_sync(business_date=DUE + 8 * day)["opened"] == 0


def test_col3_the_mail_room_prints_the_nights_collection_letters(client, collector, make_user):
    # given a borrower without an e-mail address, whose friendly reminder went to the mail room
    loan = billed_loan("C5-LETTER", DUE, language="en")
    loan.borrower.address = "Strandvejen 1, 2900 Hellerup"
    loan.borrower.save()
    _run(DUE + day)
    # when the collector opens the night's letters
    client.force_login(collector)
    page = client.get(reverse("servicing:collections-letters"), {"date": str(DUE + day)})
    # then the letter is there, in the borrower's language, with the address
    assert page.status_code == 200
    assert b"Strandvejen 1" in page.content and b"C5-LETTER" in page.content and b"Dear" in page.content
    assert client.get(reverse("servicing:collections-letters"), {"date": "2026-02-30"}).status_code == 400
    client.force_login(make_user("clerk2", "servicing"))
    assert client.get(reverse("servicing:collections-letters")).status_code == 403
