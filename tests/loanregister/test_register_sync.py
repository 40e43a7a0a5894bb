"""REG-1: the register follows the loan book: copies of loan fields on events, and edits made in the admin."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from loanregister.models import Loan, RegisterEvent
from loanregister.services import register_events_sync

from . import register_support as make

pytestmark = pytest.mark.django_db
D = datetime.date


def test_reg1_sync_copies_the_loans_filterable_fields_onto_its_events(make_user):
    # given
    officer = make_user("anna", "loan_officer")
    loan = make.loan(office=make.office("AAR"), officer=officer, currency="EUR", recourse=False)
    # when the loan changes in bulk and the sync runs
    Loan.objects.filter(pk=loan.pk).update(outstanding_balance=Decimal("42.00"), office=make.office("ODE"))
    register_events_sync(loan_ids=[loan.pk])
    # then
    event = RegisterEvent.objects.get(loan=loan)
    assert (event.loan_number, event.currency, event.recourse, event.officer_id, event.borrower_id) == (
        loan.loan_number,
        "EUR",
        False,
        officer.pk,
        loan.borrower_id,
    )
    assert event.outstanding_balance == Decimal("42.00") and event.office.code == "ODE"


def test_reg1_a_loan_edited_in_the_admin_moves_in_the_register(client, make_user):
    # given
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    loan = make.loan(maturity_date=D(2040, 1, 1))
    client.force_login(admin_user)
    change_url = reverse("admin:loanregister_loan_change", args=[loan.pk])
    form = client.get(change_url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and not isinstance(value, list)
    }
    data.update(
        {
            "maturity_date": "2035-01-01",
            "servicer_assignments-TOTAL_FORMS": "0",
            "servicer_assignments-INITIAL_FORMS": "0",
            "servicer_assignments-MIN_NUM_FORMS": "0",
            "servicer_assignments-MAX_NUM_FORMS": "1000",
        }
    )
    # when
    response = client.post(change_url, data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert RegisterEvent.objects.get(loan=loan, kind="maturity").event_date == D(2035, 1, 1)
