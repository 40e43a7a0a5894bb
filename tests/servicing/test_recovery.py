"""Default and recovery (REC-1 to REC-3): the deficiency, the recourse path and the non-recourse path."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from loanregister.choices import LoanStatus
from servicing.ledger import loan_balances
from servicing.models import (
    CollateralRecovery,
    LegalCase,
    LoanProgram,
    Posting,
    PostingKind,
    RecourseRule,
)
from servicing.recovery import recourse_for, recovery_record

from .servrest_support import disburse, make_loan

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 3, 1)


def _write_offs(loan) -> Decimal:
    return sum(
        (p.amount for p in Posting.objects.filter(loan=loan, kind=PostingKind.WRITE_OFF)), Decimal("0")
    )


def test_rec2_deficiency_of_a_non_recourse_loan_is_written_off(make_user):
    # given the seed's example: 14,000 owing, the collateral recovered for 12,000, in a non-recourse state
    user = make_user("collector", "collections")
    loan = make_loan("CA-1", jurisdiction="US-CA", currency="USD")
    disburse(loan, "14000.00")
    # when
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=user)
    # then the deficiency is 2,000, written off as a loss, and nothing is left owing
    assert recovery.outstanding_balance == Decimal("14000.00")
    assert recovery.deficiency == Decimal("2000.00")
    assert recovery.recourse is False
    assert recovery.outcome == CollateralRecovery.Outcome.WRITE_OFF
    assert _write_offs(loan) == Decimal("2000.00")
    assert recovery.write_off_posting.amount == Decimal("2000.00")
    assert not LegalCase.objects.filter(loan=loan).exists()
    balances = loan_balances(loan=loan)
    assert balances.outstanding_principal == Decimal("0.00")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHARGED_OFF
    assert loan.outstanding_balance == Decimal("0.00")
    assert recovery.recorded_by == user


def test_rec2_deficiency_of_a_recourse_loan_goes_to_the_legal_team(make_user):
    # given the same figures on a Danish loan (recourse)
    user = make_user("collector", "collections")
    loan = make_loan("DK-1", jurisdiction="DK")
    disburse(loan, "14000.00")
    # when
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=user)
    # then a legal case pursues the 2,000 from the other assets; nothing is written off; 2,000 is still owed
    assert recovery.deficiency == Decimal("2000.00")
    assert recovery.outcome == CollateralRecovery.Outcome.LEGAL_CASE
    case = LegalCase.objects.get(loan=loan)
    assert case.amount == Decimal("2000.00")
    assert case.recovery == recovery
    assert set(case.assets_to_pursue) == {"deposit_accounts", "wages", "tax_refunds", "pensions"}
    assert _write_offs(loan) == Decimal("0")
    assert loan_balances(loan=loan).outstanding_principal == Decimal("2000.00")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DEFAULTED


def test_rec2_collateral_covering_the_balance_leaves_no_deficiency():
    # given
    loan = make_loan("CA-2", jurisdiction="US-CA")
    disburse(loan, "14000.00")
    # when
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("15000.00"), user=None)
    # then
    assert recovery.deficiency == Decimal("0.00")
    assert recovery.outcome == CollateralRecovery.Outcome.NO_DEFICIENCY
    assert _write_offs(loan) == Decimal("0")
    assert not LegalCase.objects.exists()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF


def test_rec3_defaults_are_loaded_as_reference_data():
    # then the 12 states, the three programs and Denmark are there, marked as defaults an admin reviews
    non_recourse_states = set(
        RecourseRule.objects.filter(recourse=False, program="").values_list("jurisdiction", flat=True)
    )
    assert non_recourse_states == {
        f"US-{s}" for s in ["AK", "AZ", "CA", "CT", "HI", "ID", "MN", "NC", "ND", "TX", "UT", "WA"]
    }
    programs = set(
        RecourseRule.objects.filter(jurisdiction="", recourse=False).values_list("program", flat=True)
    )
    assert programs == {"va", "usda", "fha"}
    assert RecourseRule.objects.get(jurisdiction="DK", program="").recourse is True
    assert not RecourseRule.objects.filter(is_default=False).exists()


@pytest.mark.parametrize(
    ("jurisdiction", "program", "recourse"),
    [
        ("DK", "", True),
        ("US-NY", "", True),  # the US rule: mortgages mostly recourse
        ("US-TX", "", False),
        ("US-NY", "fha", False),  # government-backed: non-recourse everywhere
        ("US-NY", "va", False),
        ("US-NY", "usda", False),
        ("US-NY", "conventional", True),
        ("SE", "", True),  # no rule: recourse, the common case
    ],
)
def test_rec3_most_specific_rule_decides(jurisdiction, program, recourse):
    # given
    loan = make_loan("X-1", jurisdiction=jurisdiction)
    if program:
        LoanProgram.objects.create(loan=loan, program=program)
    # when / then
    assert recourse_for(loan=loan).recourse is recourse


def test_rec3_editing_a_rule_changes_the_outcome():
    # given Denmark made non-recourse by an admin
    RecourseRule.objects.filter(jurisdiction="DK", program="").update(recourse=False)
    loan = make_loan("DK-2", jurisdiction="DK")
    disburse(loan, "14000.00")
    # when
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=None)
    # then the deficiency is written off instead of pursued
    assert recovery.outcome == CollateralRecovery.Outcome.WRITE_OFF
    assert recovery.recourse_rule.jurisdiction == "DK"
    assert _write_offs(loan) == Decimal("2000.00")


def test_rec1_a_non_recourse_agreement_is_not_overridden_by_a_recourse_state():
    # given a Danish loan whose agreement names only the collateral
    loan = make_loan("DK-3", jurisdiction="DK", recourse=False)
    disburse(loan, "14000.00")
    # when
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=None)
    # then
    assert recovery.outcome == CollateralRecovery.Outcome.WRITE_OFF


def test_rec2_a_closed_loan_cannot_be_recovered_twice():
    # given
    loan = make_loan("CA-3", jurisdiction="US-CA")
    disburse(loan, "14000.00")
    recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=None)
    # when / then
    with pytest.raises(ValidationError):
        recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("1.00"), user=None)
    assert CollateralRecovery.objects.filter(loan=loan).count() == 1


def test_rec2_recovery_recorded_from_the_loan_page(client, make_user):
    # given a collections user on a defaulted non-recourse loan
    loan = make_loan("CA-WEB", jurisdiction="US-CA")
    disburse(loan, "14000.00")
    client.force_login(make_user("collector", "collections"))
    page = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    assert 'id="loan-recovery"' in page.content.decode()
    # when
    response = client.post(
        reverse("servicing:recovery-record", args=[loan.loan_number]),
        {"recovered_on": ON.isoformat(), "recovered_value": "12.000,00", "description": "Forced sale"},
    )
    # then
    assert response.status_code == 302
    recovery = CollateralRecovery.objects.get(loan=loan)
    assert (recovery.deficiency, recovery.outcome) == (Decimal("2000.00"), "write_off")


def test_rec2_recovery_refused_without_permission(client, make_user):
    loan = make_loan("CA-NO", jurisdiction="US-CA")
    client.force_login(make_user("officer", "loan_officer"))
    response = client.post(
        reverse("servicing:recovery-record", args=[loan.loan_number]),
        {"recovered_on": ON.isoformat(), "recovered_value": "1.00"},
    )
    assert response.status_code == 403
    assert not CollateralRecovery.objects.exists()


def test_admin_pages_of_escrow_transfers_documents_and_recovery_render(client, make_user, settings, tmp_path):
    # given one object of each model of these areas
    import datetime as dt

    from django.contrib import admin
    from django.core.files.uploadedfile import SimpleUploadedFile

    from servicing.documents import document_upload
    from servicing.escrow import escrow_account_open, escrow_disbursement_schedule
    from servicing.models import EscrowPayee, ServicerContact
    from servicing.transfers import servicing_transfer

    from .servrest_support import servicer

    settings.MEDIA_ROOT = tmp_path
    loan = make_loan("ADM-1", jurisdiction="DK")
    disburse(loan, "14000.00")
    LoanProgram.objects.create(loan=loan, program="conventional")
    account = escrow_account_open(loan=loan, opened_on=dt.date(2020, 1, 1))
    payee = EscrowPayee.objects.create(name="Tryg", kind="insurer")
    escrow_disbursement_schedule(account=account, payee=payee, amount=Decimal("10.00"), due_date=ON)
    ServicerContact.objects.create(servicer=servicer("NEWCO", "New"), phone="1")
    servicing_transfer(to_servicer=servicer("NEWCO"), effective_date=ON, user=None, loan_numbers=["ADM-1"])
    document_upload(loan=loan, upload=SimpleUploadedFile("a.pdf", b"x"), kind="other", user=None)
    recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=None)
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    models = [
        m
        for m in admin.site._registry
        if m.__module__ == "servicing.models.escrow" or m.__module__ == "servicing.models.recovery"
    ]
    assert len(models) == 12
    # when every list, search and change page is opened
    failures = []
    for model in models:
        info = (model._meta.app_label, model._meta.model_name)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        for url in (
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_changelist".format(*info)) + "?q=ADM",
            reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
        ):
            response = client.get(url)
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
    # then they all render
    assert not failures, failures


def test_rec2_deficiency_includes_interest_and_fees_and_is_written_off_to_zero():
    # given 14,000 principal, 500 interest due and 100 fees due on a non-recourse loan
    from servicing.ledger import posting_create

    loan = make_loan("CA-INT", jurisdiction="US-CA")
    disburse(loan, "14000.00")
    posting_create(loan=loan, kind=PostingKind.INTEREST, amount=Decimal("500.00"), effective_date=ON)
    posting_create(loan=loan, kind=PostingKind.FEE, amount=Decimal("100.00"), effective_date=ON)
    # when the collateral brings 12,000
    recovery = recovery_record(loan=loan, recovered_on=ON, recovered_value=Decimal("12000.00"), user=None)
    # then the deficiency is 2,600, all of it written off, and nothing at all is left owing
    assert recovery.outstanding_balance == Decimal("14600.00")
    assert recovery.deficiency == Decimal("2600.00")
    assert _write_offs(loan) == Decimal("2600.00")
    balances = loan_balances(loan=loan)
    assert (balances.outstanding_principal, balances.interest_due, balances.fees_due, balances.suspense) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_rec2_a_recovery_dated_in_the_future_is_refused():
    loan = make_loan("CA-FUT", jurisdiction="US-CA")
    disburse(loan, "14000.00")
    with pytest.raises(ValidationError):
        recovery_record(
            loan=loan,
            recovered_on=datetime.date.today() + datetime.timedelta(days=5),
            recovered_value=Decimal("1.00"),
            user=None,
        )
