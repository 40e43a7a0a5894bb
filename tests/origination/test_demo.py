"""The demo book has applications in every state across its offices (issue 12 item 7), and the demo's LPO users
work at its offices."""

import datetime
import io

import pytest
from django.core.management import call_command

from loanregister.models import Borrower, Loan, StaffProfile
from origination.models import Application, ApplicationState

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


def test_seed_demo_gives_applications_in_every_state_across_the_offices():
    # given the demo users
    call_command("create_demo_users", stdout=io.StringIO())
    # when a demo book is seeded
    out = io.StringIO()
    call_command("seed_demo", loans=300, seed=5, today=TODAY, without_ledger=True, stdout=out)
    # then every state has applications, the LPOs every state, and several offices have some
    assert "applications:" in out.getvalue()
    states = set(Application.objects.values_list("state", flat=True))
    assert states == set(ApplicationState.values)
    for code in ("LPO-KOL", "LPO-HER"):
        assert set(Application.objects.filter(office__code=code).values_list("state", flat=True)) == states
    assert Application.objects.values("office").distinct().count() >= 5
    # a funded one is linked to a loan of the book, of its applicant and office
    funded = Application.objects.filter(state="funded").select_related("loan")
    assert funded and all(a.loan.office_id == a.office_id for a in funded)
    assert all(a.applicants.filter(borrower=a.loan.borrower).exists() for a in funded)
    # the book itself is the seed's: no loan or borrower written or changed by the applications
    assert Loan.objects.count() == 300 and not Loan.history.exists() and not Borrower.history.exists()
    # and the demo's LPO roles work at the book's offices
    profiles = dict(StaffProfile.objects.values_list("user__username", "office__code"))
    assert profiles["lpo-processor"] == "LPO-HER" and profiles["home-office-underwriter"] == "HO"
    # a second seed adds no applications
    before = Application.objects.count()
    call_command("seed_demo", loans=10, seed=6, today=TODAY, without_ledger=True, stdout=io.StringIO())
    assert Application.objects.count() == before
