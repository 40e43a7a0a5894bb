"""A lead won by itself (REG-2; issue 10 item 2): while the lead is open the loan is redeemed, and a new loan on
the same property or of the same borrower comes in within 6 months: the lead is won and the new loan records it."""

import datetime

import pytest
from django.db import connection

from loanregister.choices import LoanStatus
from loanregister.leads.radar import maturity_radar_apply
from loanregister.leads.won import leads_won_by_new_loans
from loanregister.leads.work import lead_status_set
from loanregister.loan_import import loans_import
from loanregister.models import Lead, Loan
from loanregister.services import loan_status_set, own_servicer_get_or_create

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)
REDEEMED = datetime.date(2027, 3, 10)


def _redeem(loan: Loan, on: datetime.date = REDEEMED) -> None:
    """The loan paid off (its one status writer), its history dated `on` as if it happened that day."""
    loan_status_set(loan=loan, status=LoanStatus.PAID_OFF, reason="paid off")
    history = Loan.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {history} SET history_date = %s WHERE id = %s AND status = 'paid_off'",
            [datetime.datetime(on.year, on.month, on.day, 12, tzinfo=datetime.UTC), loan.pk],
        )


def _open_lead(**fields) -> tuple[Loan, Lead]:
    old = make.loan(maturity_date=D + datetime.timedelta(days=100), **fields)
    maturity_radar_apply(business_date=D)
    return old, Lead.objects.get(loan=old)


def test_reg2_a_new_loan_of_the_same_borrower_wins_the_open_lead_of_the_redeemed_loan():
    # given an open lead, its loan redeemed on REDEEMED
    old, lead = _open_lead()
    _redeem(old)
    # when a new loan of the same borrower (another property) comes in on the last day of the 6 months
    new = make.loan(borrower=old.borrower)
    won = leads_won_by_new_loans(loan_ids=[new.pk], on=datetime.date(2027, 9, 10))
    # then the lead is won, closed that day, audited, and the new loan records it
    assert won == 1
    lead.refresh_from_db()
    new.refresh_from_db()
    assert (lead.status, lead.closed_on) == ("won", datetime.date(2027, 9, 10))
    assert new.origin_lead_id == lead.pk
    assert lead.history.first().history_change_reason == "won by a new loan"
    assert new.history.first().origin_lead_id == lead.pk
    # and running it again changes nothing
    assert leads_won_by_new_loans(loan_ids=[new.pk], on=datetime.date(2027, 9, 10)) == 0
    assert lead.history.count() == 2


def test_reg2_a_new_loan_on_the_same_property_wins_it_too():
    old, lead = _open_lead()
    _redeem(old)
    new = make.loan(property=old.property)  # another borrower: the house was sold, the buyer borrows with us
    assert leads_won_by_new_loans(loan_ids=[new.pk], on=REDEEMED) == 1
    assert Loan.objects.get(pk=new.pk).origin_lead_id == lead.pk


@pytest.mark.parametrize(
    ("on", "wins"),
    [
        (REDEEMED - datetime.timedelta(days=1), False),  # before the redemption: the lead was not won by it
        (REDEEMED, True),
        (datetime.date(2027, 9, 10), True),  # 6 months later, the last day
        (datetime.date(2027, 9, 11), False),
    ],
)
def test_reg2_the_new_loan_comes_within_6_months_of_the_redemption(on, wins):
    old, lead = _open_lead()
    _redeem(old)
    new = make.loan(borrower=old.borrower)
    assert leads_won_by_new_loans(loan_ids=[new.pk], on=on) == int(wins)
    assert Lead.objects.get(pk=lead.pk).status == ("won" if wins else "new")


def test_reg2_a_lead_the_radar_closed_because_the_loan_was_redeemed_is_still_won():
    # given the lead open when the loan was redeemed, then closed as obsolete by that night's radar
    old, lead = _open_lead()
    _redeem(old)
    maturity_radar_apply(business_date=REDEEMED)
    assert Lead.objects.get(pk=lead.pk).status == "obsolete"
    new = make.loan(borrower=old.borrower)
    assert leads_won_by_new_loans(loan_ids=[new.pk], on=REDEEMED + datetime.timedelta(days=30)) == 1
    assert Lead.objects.get(pk=lead.pk).status == "won"


def test_reg2_a_lead_closed_before_the_redemption_is_not_won():
    officer = make.user("anna", "loan_officer")
    old, lead = _open_lead(officer=officer)
    lead_status_set(lead=lead, status="lost", user=officer)
    _redeem(old)
    new = make.loan(borrower=old.borrower)
    assert leads_won_by_new_loans(loan_ids=[new.pk], on=REDEEMED) == 0
    assert Lead.objects.get(pk=lead.pk).status == "lost"
    assert Loan.objects.get(pk=new.pk).origin_lead_id is None


def test_reg2_an_active_loan_or_another_borrowers_loan_wins_nothing():
    old, lead = _open_lead()
    stranger = make.loan()
    _redeem(stranger)
    same_borrower_but_old_loan_active = make.loan(borrower=old.borrower)
    assert (
        leads_won_by_new_loans(loan_ids=[same_borrower_but_old_loan_active.pk, stranger.pk], on=REDEEMED) == 0
    )
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_reg2_the_loan_import_wins_the_lead_of_a_loan_redeemed_in_the_same_file():
    # given an open lead on a loan of a borrower with a CPR number
    own_servicer_get_or_create()
    base = {
        "borrower_name": "Mette Hansen",
        "borrower_id": "0101801234",
        "loan_type": "fixed",
        "currency": "DKK",
        "principal": "2500000.00",
        "interest_rate": "4.25",
        "origination_date": "2021-04-01",
        "status": "active",
    }
    columns = [*base, "loan_number", "maturity_date"]

    def file(*rows: dict) -> bytes:
        lines = [",".join(columns)] + [",".join({**base, **row}[c] for c in columns) for row in rows]
        return ("\n".join(lines) + "\n").encode()

    today = datetime.date.today()
    first = loans_import(
        file=file(
            {"loan_number": "OLD-1", "maturity_date": (today + datetime.timedelta(days=60)).isoformat()}
        ),
        user=None,
        file_name="a.csv",
    )
    assert first.ok, first.errors
    maturity_radar_apply(business_date=today)
    lead = Lead.objects.get(loan__loan_number="OLD-1")
    # when the next file says the old loan was paid off and brings a new loan of the same borrower
    second = loans_import(
        file=file(
            {
                "loan_number": "OLD-1",
                "maturity_date": (today + datetime.timedelta(days=60)).isoformat(),
                "status": "paid_off",
            },
            {"loan_number": "NEW-1", "maturity_date": "2056-04-01"},
        ),
        user=None,
        file_name="b.csv",
    )
    # then the lead is won by the new loan
    assert second.ok, second.errors
    assert second.leads_won == 1
    assert Lead.objects.get(pk=lead.pk).status == "won"
    assert Loan.objects.get(loan_number="NEW-1").origin_lead_id == lead.pk


def test_reg2_the_new_loans_page_names_the_lead_it_came_from(client):
    old, lead = _open_lead()
    _redeem(old)
    new = make.loan(borrower=old.borrower)
    leads_won_by_new_loans(loan_ids=[new.pk], on=REDEEMED)
    client.force_login(make.user("sam", "sales_manager"))
    page = client.get(f"/register/loans/{new.loan_number}/").content.decode()
    assert f'<dd id="loan-origin-lead"><a href="/register/leads/{lead.pk}/">{lead.pk}</a></dd>' in page
