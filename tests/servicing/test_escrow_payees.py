"""Escrow payees added by servicing staff, not only in the admin (issue 8, item 11; SRV-1), and escrow forms
that keep what was typed when they are refused."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from loanregister.models import UserPreference
from servicing.escrow import escrow_account_open
from servicing.models import EscrowDisbursement, EscrowPayee

from .servrest_support import disburse, make_loan

pytestmark = pytest.mark.django_db

PAYEES = "/servicing/escrow/payees/"
GOOD = {
    "name": "Tryg Forsikring",
    "kind": "insurer",
    "account": "DK50 0040 0440 1162 43",
    "reference": "P-77",
}


def _client(make_user, role: str, username: str = "sofie") -> Client:
    user = make_user(username, role)
    UserPreference.objects.create(user=user, language="en")
    client = Client()
    client.force_login(user)
    return client


def test_srv1_servicing_staff_add_a_payee(make_user):
    client = _client(make_user, "servicing")
    # the page is reachable from the servicing home
    assert f'href="{PAYEES}"' in client.get(reverse("servicing:home")).content.decode()
    # when a clerk adds the insurer
    response = client.post(PAYEES, GOOD)
    # then it is a payee, its account written as banks print it, and the list shows it
    assert response.status_code == 302 and response["Location"] == PAYEES
    payee = EscrowPayee.objects.get(name="Tryg Forsikring")
    assert (payee.kind, payee.account, payee.reference, payee.active) == (
        "insurer",
        "DK50 0040 0440 1162 43",
        "P-77",
        True,
    )
    page = client.get(PAYEES).content.decode()
    assert "Tryg Forsikring was added as a payee." in page and "DK50 0040 0440 1162 43" in page


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"kind": "bank"}, "kind", "Select a valid choice."),
        ({"account": "DK50 0040 0440 1162 44"}, "account", "This IBAN is not valid"),
        ({"account": "1234; DROP TABLE"}, "account", "Only letters, digits, spaces"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
    ],
)
def test_srv1_a_refused_payee_form_keeps_what_was_typed(make_user, change, field, error):
    client = _client(make_user, "servicing")
    typed = {**GOOD, **change}
    response = client.post(PAYEES, typed)
    # refused, with the reason beside the field
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert f'id="id_{field}_error_1"' in html
    # and everything typed is still in the form
    form = response.context["form"]
    for name in ("name", "account", "reference"):
        assert form[name].value() == typed[name]
    assert 'value="P-77"' in html
    assert not EscrowPayee.objects.exists()


def test_srv1_the_same_payee_twice_is_refused(make_user):
    client = _client(make_user, "servicing")
    client.post(PAYEES, GOOD)
    response = client.post(PAYEES, {**GOOD, "name": "tryg  forsikring"})
    assert response.status_code == 400
    assert "is a payee already, with the same payment account" in response.content.decode()
    assert EscrowPayee.objects.count() == 1


@pytest.mark.parametrize("role", ["collections", "loan_officer", "lpo_processor"])
def test_srv1_roles_without_the_permission_cannot_add_payees(make_user, role):
    client = _client(make_user, role, username="other")
    assert client.post(PAYEES, GOOD).status_code == 403
    assert client.get(PAYEES).status_code == 403
    assert not EscrowPayee.objects.exists()


def test_srv1_a_refused_disbursement_keeps_what_was_typed_on_the_loan_page(make_user):
    # given a loan with escrow, and a payee
    loan = make_loan("E-9")
    disburse(loan, "1000000.00")
    escrow_account_open(loan=loan, opened_on=datetime.date(2020, 1, 1))
    payee = EscrowPayee.objects.create(name="Københavns Kommune", kind="tax_authority")
    client = _client(make_user, "servicing")
    # the schedule form tells where to add a missing payee
    page = client.get(reverse("loanregister:loan", args=[loan.loan_number])).content.decode()
    assert f'href="{PAYEES}#add-payee"' in page
    # when a clerk schedules a disbursement with a date that is no date
    typed = {
        "payee": payee.pk,
        "amount": "4200",
        "due_date": "2026-02-30",
        "frequency": "annual",
        "description": "Ejendomsskat 1. rate",
    }
    response = client.post(reverse("servicing:escrow-disbursement-add", args=[loan.loan_number]), typed)
    # then the loan page comes back with the form open, the error beside the date, and what was typed
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="escrow-schedule" open' in html
    assert 'id="id_due_date_error_1"' in html
    assert 'value="Ejendomsskat 1. rate"' in html
    assert 'value="2026-02-30"' in html
    assert not EscrowDisbursement.objects.exists()
