"""The servicing pages of the ledger: home, posting a payment, reversing, payoff statements; who may do what."""

import datetime

import pytest
from django.urls import reverse

from servicing.ledger import posting_create
from servicing.models import PayoffStatement, Posting, PostingKind

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def servicer_client(client, make_user):
    client.force_login(make_user("sofie", "servicing"))
    return client


@pytest.fixture
def loan():
    loan = make_loan(
        "V-1",
        payments_per_year=4,
        origination_date=datetime.date(2025, 10, 1),
        first_payment_date=datetime.date(2026, 1, 1),
    )
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("1000000"),
        effective_date=loan.origination_date,
        price=D("99"),
    )
    posting_create(
        loan=loan, kind=PostingKind.FEE, amount=D("250"), effective_date=datetime.date(2026, 1, 15)
    )
    return loan


def test_srv1_servicing_home_answers_servicing_and_refuses_a_loan_officer(
    servicer_client, client, make_user, loan
):
    # when
    response = servicer_client.get(reverse("servicing:home"))
    # then
    assert response.status_code == 200
    assert b'id="post-payment"' in response.content and b'id="request-payoff"' in response.content
    client.force_login(make_user("ole", "loan_officer"))
    assert client.get(reverse("servicing:home")).status_code == 403


def test_srv1_collections_sees_the_ledger_but_cannot_post(client, make_user, loan):
    # given
    client.force_login(make_user("carl", "collections"))
    # when
    home = client.get(reverse("servicing:home"))
    posted = client.post(
        reverse("servicing:payment-create"), {"loan": "V-1", "amount": "10", "received_on": "2026-02-01"}
    )
    # then
    assert home.status_code == 200 and b'id="post-payment"' not in home.content
    assert posted.status_code == 403


def test_srv1_payment_form_shows_errors_per_field_and_posts_nothing(servicer_client, loan):
    # when
    response = servicer_client.post(
        reverse("servicing:payment-create"), {"loan": "NOPE", "amount": "", "received_on": "2026-02-31"}
    )
    # then
    assert response.status_code == 400
    form = response.context["payment_form"]
    assert set(form.errors) == {"loan", "amount", "received_on"}
    assert b'id="id_loan_error_1"' in response.content
    assert not Posting.objects.filter(kind=PostingKind.PAYMENT).exists()


def test_srv1_payment_form_posts_by_the_waterfall(servicer_client, loan):
    # when
    response = servicer_client.post(
        reverse("servicing:payment-create"),
        {"loan": "V-1", "amount": "300", "received_on": "2026-02-01", "reference": "bank-77"},
    )
    # then
    assert response.status_code == 302
    payment = Posting.objects.get(external_id="bank-77")
    assert [(p.kind, p.amount) for p in payment.applications.all()] == [(PostingKind.FEE_PAID, D("250.00"))]
    assert payment.created_by.username == "sofie"
    # and the same reference again is refused on its field
    again = servicer_client.post(
        reverse("servicing:payment-create"),
        {"loan": "V-1", "amount": "301", "received_on": "2026-02-01", "reference": "bank-77"},
    )
    assert again.status_code == 400 and "reference" in again.context["payment_form"].errors


def test_srv4_reversal_needs_confirmation_and_permission(servicer_client, client, make_user, loan):
    # given
    fee = Posting.objects.get(loan=loan, kind=PostingKind.FEE)
    url = reverse("servicing:posting-reverse", args=[fee.pk])
    # when: asked, then confirmed without and with a reason
    assert servicer_client.get(url).status_code == 200
    assert servicer_client.post(url, {"reason": ""}).status_code == 400
    assert not Posting.objects.filter(reverses=fee).exists()
    response = servicer_client.post(url, {"reason": "fee waived"})
    # then
    assert response.status_code == 302
    assert Posting.objects.get(reverses=fee).note == "fee waived"
    client.force_login(make_user("carl", "collections"))
    assert client.post(url, {"reason": "x"}).status_code == 403


def test_srv1_payoff_is_issued_shown_and_printed_as_pdf(servicer_client, loan):
    # when
    response = servicer_client.post(
        reverse("servicing:payoff-create"),
        {"loan": "V-1", "as_of": "2026-02-10", "good_through": "2026-02-20", "requested_by": "Borrower"},
    )
    # then
    statement = PayoffStatement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "servicing:payoff-detail", args=[statement.pk]
    )
    assert statement.total == D("1005694.44") and statement.issued_by.username == "sofie"
    page = servicer_client.get(response["Location"])
    assert page.status_code == 200 and b'id="payoff-total"' in page.content
    pdf = servicer_client.get(reverse("servicing:payoff-pdf", args=[statement.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_srv1_payoff_form_refuses_good_through_before_as_of(servicer_client, loan):
    response = servicer_client.post(
        reverse("servicing:payoff-create"),
        {"loan": "V-1", "as_of": "2026-02-10", "good_through": "2026-02-01"},
    )
    assert response.status_code == 400 and "good_through" in response.context["form"].errors
    assert not PayoffStatement.objects.exists()


def test_srv4_loan_page_shows_the_ledger_with_reverse_links_for_servicing(
    servicer_client, client, make_user, loan
):
    # when
    response = servicer_client.get(reverse("loanregister:loan", args=["V-1"]))
    # then
    assert response.status_code == 200
    assert b'id="loan-ledger"' in response.content
    assert (
        reverse("servicing:posting-reverse", args=[loan.postings.get(kind=PostingKind.FEE).pk]).encode()
        in response.content
    )
    client.force_login(make_user("ole", "loan_officer"))
    officer_page = client.get(reverse("loanregister:loan", args=["V-1"]))
    assert officer_page.status_code == 200 and b'id="loan-ledger"' not in officer_page.content


def test_srv1_home_lists_money_received_but_not_applied(servicer_client, loan):
    # given: 1,000.00 received against 250.00 due: 750.00 waits in suspense (the default overpayment rule)
    from django.utils import timezone

    from servicing.ledger import payment_post

    payment_post(loan=loan, amount=D("1000"), received_on=timezone.localdate(), external_id="b-9", user=None)
    # when
    response = servicer_client.get(reverse("servicing:home"))
    # then
    assert response.context["suspense"] == [{"loan_number": "V-1", "held": D("750.00"), "currency": "DKK"}]


def test_srv1_apply_unapplied_money_from_the_loan_page(servicer_client, loan):
    # given: 100 pays part of the 250.00 fee, a 40.00 late charge, 300 pays the 190.00 due and leaves 110.00
    # unapplied, then a 20.00 late charge falls due
    from django.utils import timezone

    from servicing.ledger import loan_balances, payment_post

    payment_post(loan=loan, amount=D("100"), received_on=timezone.localdate(), external_id="b-1", user=None)
    posting_create(
        loan=loan, kind=PostingKind.LATE_CHARGE, amount=D("40"), effective_date=timezone.localdate()
    )
    payment_post(loan=loan, amount=D("300"), received_on=timezone.localdate(), external_id="b-2", user=None)
    posting_create(
        loan=loan, kind=PostingKind.LATE_CHARGE, amount=D("20"), effective_date=timezone.localdate()
    )
    page = servicer_client.get(reverse("loanregister:loan", args=["V-1"]))
    assert b'id="apply-suspense"' in page.content
    # when
    response = servicer_client.post(reverse("servicing:suspense-apply", args=["V-1"]))
    # then: the 20.00 charge is paid from the 110.00 held
    assert response.status_code == 302
    balances = loan_balances(loan=loan)
    assert (balances.fees_due, balances.suspense) == (D("0.00"), D("90.00"))
