"""The rules the servicing pages show and the services enforce, as plain functions (one rule, one function).

Each test names the requirement it proves (docs/requirements.md): SRV-4 reversals, SRV-1 suspense and escrow,
SRV-3 document retention, REC-1/REC-2 recovery. The templates ask these functions through their tags; the
services refuse with the same ones, so the button shown and the action allowed cannot disagree.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from loanregister.choices import LoanStatus
from servicing.documents import document_can_be_deleted
from servicing.escrow import escrow_disbursement_is_overdue
from servicing.ledger import (
    Balances,
    installment_due_post,
    payment_post,
    posting_can_be_reversed,
    posting_create,
    posting_reverse,
    property_category_change_post,
    suspense_can_be_applied,
)
from servicing.models import EscrowDisbursement, LoanDocument, Posting, PostingKind
from servicing.recovery import recovery_can_be_recorded, recovery_record

from .ledger_support import D, make_loan

DAY = datetime.date(2026, 3, 1)
TODAY = datetime.date(2026, 6, 15)


# -- SRV-4: which postings may be reversed -----------------------------------------------------------------------


@pytest.fixture
def ledger(db):
    """A loan with a disbursement, a fee, an installment billed, a payment (with its applications) and a category
    change."""
    loan = make_loan("R-1")
    disbursement = posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("100000"), effective_date=DAY, price=D("100")
    )
    fee = posting_create(loan=loan, kind=PostingKind.FEE, amount=D("250"), effective_date=DAY)
    installment_due_post(loan=loan, due_date=DAY, principal=D("500"), interest=D("300"), external_id="i-1")
    payment, *applications = payment_post(
        loan=loan, amount=D("800"), received_on=DAY, external_id="p-1", user=None
    )
    change = property_category_change_post(loan=loan, category="cooperative", effective_date=DAY)
    return {
        "disbursement": disbursement,
        "fee": fee,
        "payment": payment,
        "application": applications[0],
        "change": change,
    }


def test_srv4_a_posting_is_reversed_once_and_never_an_application_a_reversal_or_a_category_change(ledger):
    # given a reversed fee
    reversal = posting_reverse(posting=ledger["fee"], user=None, reason="charged by mistake")
    # then the rule says, for each kind of posting
    cases = [
        ("payment", ledger["payment"], True),
        ("disbursement", ledger["disbursement"], True),
        ("application of a payment", ledger["application"], False),
        ("category change", ledger["change"], False),
        ("reversal", reversal, False),
        ("reversed fee", ledger["fee"], False),
    ]
    for name, posting, expected in cases:
        assert posting_can_be_reversed(posting) is expected, name


def test_srv4_the_rule_takes_what_the_page_already_knows(ledger):
    # the ledger panel reads the reversed ids once for the page, and passes the answer in
    assert posting_can_be_reversed(ledger["payment"], is_reversed=True) is False
    assert posting_can_be_reversed(ledger["payment"], is_reversed=False) is True
    # an application stays irreversible whatever is known about it
    assert posting_can_be_reversed(ledger["application"], is_reversed=False) is False


def test_srv4_the_service_refuses_what_the_rule_refuses(ledger):
    # given the reversal of the fee
    reversal = posting_reverse(posting=ledger["fee"], user=None, reason="charged by mistake")
    # then each posting the rule refuses is refused by posting_reverse, with its reason, and nothing is posted
    refused = {
        "reversal": (reversal, "A reversal cannot be reversed"),
        "reversed": (ledger["fee"], "already been reversed"),
        "application": (ledger["application"], "reverse the payment"),
        "change": (ledger["change"], "new property category change"),
    }
    count = Posting.objects.count()
    for name, (posting, message) in refused.items():
        assert not posting_can_be_reversed(posting), name
        with translation.override("en"), pytest.raises(ValidationError, match=message):
            posting_reverse(posting=posting, user=None, reason="again")
    assert Posting.objects.count() == count


def test_srv4_the_ledger_panel_offers_reversal_where_the_rule_allows_it(ledger, client, make_user):
    # given a servicing user on the loan page
    client.force_login(make_user("s", "servicing"))
    page = client.get(f"/register/loans/{ledger['payment'].loan.loan_number}/")
    # then the reverse link is on exactly the postings the rule allows: the payment, not its applications
    assert page.status_code == 200
    html = page.content.decode()
    links = {int(part.split("/")[0]) for part in html.split("/servicing/postings/")[1:]}
    allowed = {
        p.pk for p in Posting.objects.filter(loan=ledger["payment"].loan) if posting_can_be_reversed(p)
    }
    assert links == allowed
    assert ledger["payment"].pk in links and ledger["disbursement"].pk in links
    assert not links & {ledger["application"].pk, ledger["change"].pk}


# -- SRV-1: applying unapplied money -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suspense, due, expected",
    [
        ("100.00", "50.00", True),
        ("0.00", "50.00", False),  # nothing held
        ("100.00", "0.00", False),  # nothing due
        ("-1.00", "50.00", False),
    ],
)
def test_srv1_unapplied_money_can_be_applied_when_both_it_and_something_due_are_there(
    suspense, due, expected
):
    balances = Balances(currency="DKK", suspense=Decimal(suspense), interest_due=Decimal(due))
    assert suspense_can_be_applied(balances) is expected


# -- SRV-1: overdue escrow disbursements -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due, state, expected",
    [
        (TODAY - datetime.timedelta(days=1), EscrowDisbursement.State.SCHEDULED, True),
        (TODAY, EscrowDisbursement.State.SCHEDULED, False),  # due today is not late yet
        (TODAY + datetime.timedelta(days=1), EscrowDisbursement.State.SCHEDULED, False),
        (TODAY - datetime.timedelta(days=1), EscrowDisbursement.State.PAID, False),
    ],
)
def test_srv1_a_scheduled_disbursement_past_its_due_date_is_overdue(due, state, expected):
    disbursement = EscrowDisbursement(due_date=due, state=state, amount=D("100"))
    assert escrow_disbursement_is_overdue(disbursement, today=TODAY) is expected


# -- SRV-3: deleting a closing document --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "retain_until, expected",
    [
        (None, False),  # no retention rule yet: kept
        (TODAY + datetime.timedelta(days=1), False),
        (TODAY, False),  # the last day of the period is still inside it
        (TODAY - datetime.timedelta(days=1), True),
    ],
)
def test_srv3_a_document_may_be_deleted_only_after_its_keep_date(retain_until, expected):
    document = LoanDocument(retain_until=retain_until)
    assert document_can_be_deleted(document, today=TODAY) is expected


# -- REC-1, REC-2: recording a collateral recovery ---------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        (LoanStatus.ACTIVE, True),
        (LoanStatus.DEFAULTED, True),
        (LoanStatus.TRANSFERRED, True),
        (LoanStatus.PAID_OFF, False),
        (LoanStatus.CHARGED_OFF, False),
    ],
)
def test_rec1_rec2_a_recovery_is_recorded_on_a_loan_that_is_not_closed(status, expected):
    from loanregister.models import Loan

    assert recovery_can_be_recorded(Loan(status=status)) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("status", [LoanStatus.PAID_OFF, LoanStatus.CHARGED_OFF])
def test_rec2_the_service_refuses_a_recovery_the_rule_refuses(status):
    # given a closed loan with something still on its ledger
    loan = make_loan("R-2")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("1000"), effective_date=DAY, price=D("100")
    )
    from loanregister.services import loan_status_set

    loan_status_set(loan=loan, status=status, reason="test")
    # then the rule says no, and recording is refused
    assert not recovery_can_be_recorded(loan)
    with translation.override("en"), pytest.raises(ValidationError, match="closed"):
        recovery_record(loan=loan, recovered_on=DAY, recovered_value=D("500"), user=None)


@pytest.mark.django_db
def test_rec1_the_recovery_panel_offers_the_form_where_the_rule_allows_it(client, make_user):
    # given a collections user, an active loan and a charged-off one
    client.force_login(make_user("c", "collections"))
    active = make_loan("R-3")
    closed = make_loan("R-4", status=LoanStatus.CHARGED_OFF)
    # then the form is on the active loan's page only
    form = 'action="/servicing/loans/{}/recovery/"'
    assert form.format("R-3") in client.get(f"/register/loans/{active.loan_number}/").content.decode()
    assert form.format("R-4") not in client.get(f"/register/loans/{closed.loan_number}/").content.decode()
