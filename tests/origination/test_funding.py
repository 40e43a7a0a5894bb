"""Funding and booking (LPO-5, REG-4, STAT-1): one transaction makes exactly one loan with its schedule, one
disbursement posting at its bond price, our servicer's assignment and the register's events; a failure midway
leaves nothing; a second funding, also at the same moment, is refused."""

import csv
import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from loanregister.models import Loan, RegisterEvent, ServicerAssignment
from origination import funding
from origination.funding import application_fund, loan_number_next
from origination.models import Application, ApplicationState
from origination.services import Refused
from servicing.ledger import ledger_reconcile
from servicing.models import Posting
from servicing.schedules import schedule_for_loan
from tests.servicing.ledger_support import make_loan

from . import support

S = ApplicationState
ON = datetime.date(2026, 11, 27)


def _approved(lpo) -> Application:
    application = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    return support.walk(
        application,
        "approved",
        processor=lpo["processor"],
        manager=lpo["manager"],
        decider=lpo["underwriter"],
        on=ON,
    )


@pytest.mark.django_db
def test_lpo5_funding_books_exactly_one_loan_with_its_schedule_disbursement_servicer_and_register_events(
    lpo, tmp_path
):
    # given an approved application: 1,600,000 at 4 % over 360 months, bond price 98.5
    application = _approved(lpo)
    # when the LPO processor funds it
    loan = application_fund(application=application, user=lpo["processor"], on=ON)
    # then one loan, with the decided terms, linked to the application
    application.refresh_from_db()
    assert application.state == S.FUNDED and application.loan == loan
    assert Loan.objects.count() == 1
    assert loan.loan_number == "NL00000001" or loan.loan_number.startswith("NL")
    assert (loan.principal, loan.interest_rate, loan.origination_date) == (
        Decimal("1600000"),
        Decimal("4"),
        ON,
    )
    assert loan.maturity_date == datetime.date(2056, 11, 27) and loan.office.code == "LPO"
    assert loan.borrower == application.applicants.get().borrower
    # its schedule: 360 monthly payments from one month after disbursement, paying it off
    rows = schedule_for_loan(loan)
    assert len(rows) == 360 and rows[0].interest_date == datetime.date(2026, 12, 27) and rows[-1].balance == 0
    # one disbursement posting with its bond price (STAT-1), and the balance it gives the loan
    posting = Posting.objects.get(loan=loan)
    assert (posting.kind, posting.amount, posting.price) == (
        "disbursement",
        Decimal("1600000"),
        Decimal("98.5"),
    )
    assert posting.external_id == f"application:{application.number}"
    loan.refresh_from_db()
    assert loan.outstanding_balance == Decimal("1600000") and ledger_reconcile(loan_ids=[loan.pk]) == []
    # our own servicer from the disbursement date (REG-4)
    assignment = ServicerAssignment.objects.get(loan=loan)
    assert assignment.servicer.is_own and assignment.since == ON and assignment.until is None
    # in the register at once, and in its export
    assert RegisterEvent.objects.filter(loan=loan, kind="maturity", event_date=loan.maturity_date).exists()
    output = tmp_path / "register.csv"
    call_command(
        "export_maturities",
        "--from",
        "2056-01-01",
        "--to",
        "2056-12-31",
        "--format",
        "csv",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert [r["loan_number"] for r in rows] == [loan.loan_number]


def _ledger_reconcile_ok(loan):
    return ledger_reconcile(loan_ids=[loan.pk]) == []


@pytest.mark.django_db
def test_lpo5_a_second_funding_is_refused(lpo):
    application = _approved(lpo)
    loan = application_fund(application=application, user=lpo["processor"], on=ON)
    with pytest.raises(Refused, match=f"already funded: loan {loan.loan_number}"):
        application_fund(application=application, user=lpo["processor"], on=ON)
    assert Loan.objects.count() == 1 and Posting.objects.count() == 1


@pytest.mark.django_db
def test_lpo5_a_failure_midway_leaves_nothing(lpo, monkeypatch):
    # given an approved application, and a ledger that fails after the loan and its servicer are written
    application = _approved(lpo)

    def broken_posting(**kwargs):
        raise RuntimeError("the ledger is down")

    monkeypatch.setattr(funding, "posting_create", broken_posting)
    # when it is funded
    with pytest.raises(RuntimeError):
        application_fund(application=application, user=lpo["processor"], on=ON)
    # then nothing was booked and the application is still approved
    assert (
        not Loan.objects.exists() and not ServicerAssignment.objects.exists() and not Posting.objects.exists()
    )
    assert Application.objects.get(pk=application.pk).state == S.APPROVED


@pytest.mark.django_db
def test_lpo5_only_an_approved_application_is_funded(lpo):
    application = support.walk(
        support.new_application(lpo["processor"], lpo["offices"]["LPO"]),
        "recommended",
        processor=lpo["processor"],
        manager=lpo["manager"],
        decider=None,
    )
    with pytest.raises(Refused, match="cannot go from"):
        application_fund(application=application, user=lpo["processor"], on=ON)
    assert not Loan.objects.exists()


@pytest.mark.django_db
def test_the_loan_number_scheme_skips_an_imported_number(lpo, settings):
    # given an imported loan that holds the scheme's next number
    settings.ORIGINATION_LOAN_NUMBER_PREFIX = "TST"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('origination_loan_number', 41)")
    make_loan("TST00000042")
    # then the scheme never hands out that number
    assert loan_number_next() == "TST00000043"


@pytest.mark.django_db(transaction=True)
def test_lpo5_two_fundings_at_the_same_moment_book_one_loan(lpo):
    # given an approved application, and two people who press "fund" at the same moment
    application = _approved(lpo)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def fund(user):
        translation.activate("en")  # a thread's language is its own
        try:
            barrier.wait(timeout=10)
            application_fund(application=Application.objects.get(pk=application.pk), user=user, on=ON)
            outcomes.append("funded")
        except Refused as refusal:
            outcomes.append(refusal.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=fund, args=(lpo[name],)) for name in ("processor", "manager")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one booked the loan and the other was refused
    assert sorted(outcomes)[0] == "funded" or outcomes.count("funded") == 1
    assert outcomes.count("funded") == 1 and any("already funded" in o for o in outcomes), outcomes
    assert Loan.objects.count() == 1 and Posting.objects.filter(kind="disbursement").count() == 1
    assert Application.objects.get(pk=application.pk).state == S.FUNDED


@pytest.mark.django_db
def test_reg2_a_funded_renewal_wins_the_open_lead_of_the_borrowers_redeemed_loan(lpo):
    # given the applicant's earlier loan with an open lead, redeemed a month before the funding
    from django.db import connection as db

    from loanregister.choices import LoanStatus
    from loanregister.leads.radar import maturity_radar_apply
    from loanregister.models import Borrower, Lead
    from loanregister.services import loan_status_set, register_events_sync

    borrower = Borrower.objects.create(name="Anna Jensen", national_id="010170-1234")
    old = make_loan("OLD-1", borrower=borrower, maturity_date=ON + datetime.timedelta(days=60))
    register_events_sync(loan_ids=[old.pk])
    maturity_radar_apply(business_date=ON - datetime.timedelta(days=40))
    lead = Lead.objects.get(loan=old)
    loan_status_set(loan=old, status=LoanStatus.PAID_OFF, reason="paid off")
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Loan.history.model._meta.db_table} SET history_date = %s WHERE id = %s AND status = 'paid_off'",
            [datetime.datetime(2026, 10, 27, 12, tzinfo=datetime.UTC), old.pk],
        )
        cursor.execute(  # and it was made long before
            f"UPDATE {Loan.history.model._meta.db_table} SET history_date = %s WHERE id = %s AND status <> 'paid_off'",
            [datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.UTC), old.pk],
        )
    # when her new application (matched to her by CPR) is funded
    loan = application_fund(application=_approved(lpo), user=lpo["processor"], on=ON)
    # then the lead is won by the new loan
    lead.refresh_from_db()
    assert lead.status == "won" and Loan.objects.get(pk=loan.pk).origin_lead_id == lead.pk
