"""The loan page: terms, borrower masked per role, property, servicer history (REG-4), events, change history."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from loanregister.models import Loan, ServicerAssignment

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
CPR = "211062-5629"  # a valid CPR number (stdnum checksum)


@pytest.fixture
def loan():
    borrower = make.borrower(
        "Jensen, Anders", national_id=CPR, email="anders@example.dk", phone="+45 20 30 40 50"
    )
    loan = make.loan("LN-42", borrower=borrower, rate_reset_date=D(2027, 1, 1), loan_type="adjustable")
    old, new = make.servicer("OWN"), make.servicer("LSD")
    ServicerAssignment.objects.create(loan=loan, servicer=old, since=D(2020, 1, 1), until=D(2024, 6, 30))
    ServicerAssignment.objects.create(
        loan=loan, servicer=new, since=D(2024, 7, 1), reason="servicing rights sold"
    )
    return loan


def test_reg4_loan_page_shows_terms_property_servicer_history_and_events(client, make_user, loan):
    client.force_login(make_user("officer", "loan_officer"))
    response = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "LN-42" in html and loan.property.property_id in html
    assert "servicing rights sold" in html and "Servicer LSD" in html
    assert [e.kind for e in response.context["events"]] == ["rate_reset", "maturity"]
    assert 'id="servicing-panels"' in html  # the servicing app's include point


def test_reg4_loan_page_masks_the_cpr_number_for_roles_without_permission(client, make_user, loan):
    client.force_login(make_user("officer", "loan_officer"))
    html = client.get(reverse("loanregister:loan", args=[loan.loan_number])).content.decode()
    assert CPR not in html and "211062-****" in html
    client.force_login(make_user("servicer", "servicing"))
    html = client.get(reverse("loanregister:loan", args=[loan.loan_number])).content.decode()
    assert CPR in html


def test_reg4_loan_page_masks_contact_details_without_permission(client, make_user, loan):
    client.force_login(make_user("reporter", "reporting"))
    html = client.get(reverse("loanregister:loan", args=[loan.loan_number])).content.decode()
    assert "anders@example.dk" not in html and "a***@example.dk" in html
    assert "+45 20 30 40 50" not in html


def test_reg4_loan_page_shows_who_changed_what_and_when(client, make_user, loan):
    # given a change made by a named user
    editor = make_user("editor", "servicing")
    loan = Loan.objects.get(pk=loan.pk)
    loan.outstanding_balance = Decimal("123456.78")
    loan._history_user = editor
    loan.save()
    client.force_login(make_user("officer", "loan_officer"))
    # when
    response = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    # then
    latest = response.context["history"][0]
    assert latest["who"] == editor and latest["type_code"] == "~"
    assert [(c["name"], c["old_value"], c["new_value"]) for c in latest["changes"]] == [
        ("outstanding_balance", Decimal("900000.00"), Decimal("123456.78"))
    ]
    assert "editor" in response.content.decode()


def test_reg4_loan_page_by_id_redirects_and_needs_permission(client, make_user, loan):
    client.force_login(make_user("officer", "loan_officer"))
    response = client.get(reverse("loanregister:loan_by_id", args=[loan.pk]))
    assert response.status_code == 302 and response["Location"].endswith("/register/loans/LN-42/")
    client.force_login(make_user("nobody"))
    assert client.get(reverse("loanregister:loan", args=[loan.loan_number])).status_code == 403
