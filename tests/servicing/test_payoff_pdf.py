"""The payoff statement's PDF (issue 8, item 7): what the borrower reads, read back from the PDF with pypdf.

Copenhagen time like the page, no "-0.00", the lender's name, the borrower's name and address, how to pay.
"""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from loanregister.services import user_language_set
from servicing.ledger import posting_create
from servicing.models import PayoffStatement, PostingKind
from servicing.payoff import payoff_issue, payoff_pdf

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db

# 23:30 UTC on 10 February is 00:30 on 11 February in Copenhagen (CET, UTC+1).
ISSUED_UTC = datetime.datetime(2026, 2, 10, 23, 30, tzinfo=datetime.UTC)


@pytest.fixture
def statement(settings) -> PayoffStatement:
    settings.LENDER_NAME = "Eksempel Realkredit A/S"
    settings.SERVICING_PAYMENT_ACCOUNT = "reg. 1234 konto 0001234567"
    settings.SERVICING_HELP_PHONE = "70 10 20 30"
    loan = make_loan(
        "P-1",
        payments_per_year=4,
        origination_date=datetime.date(2025, 10, 1),
        first_payment_date=datetime.date(2026, 1, 1),
    )
    loan.borrower.name = "Jensen & Sønner <ApS>"
    loan.borrower.address = "Strandvejen 12\n2900 Hellerup"
    loan.borrower.save()
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=D("1000000"),
        effective_date=loan.origination_date,
        price=D("100"),
    )
    posting_create(
        loan=loan, kind=PostingKind.FEE, amount=D("250"), effective_date=datetime.date(2026, 1, 15)
    )
    issued = payoff_issue(
        loan=loan, as_of=datetime.date(2026, 2, 10), good_through=datetime.date(2026, 2, 20), user=None
    )
    PayoffStatement.objects.filter(pk=issued.pk).update(issued_at=ISSUED_UTC)
    return PayoffStatement.objects.select_related("loan__borrower").get(pk=issued.pk)


def _text(statement: PayoffStatement, language: str) -> str:
    with translation.override(language):
        return PdfReader(io.BytesIO(payoff_pdf(statement))).pages[0].extract_text()


def test_item7_the_pdf_is_issued_in_copenhagen_time_like_the_page(statement, client, make_user):
    # when
    english, danish = _text(statement, "en"), _text(statement, "da")
    # then the time is Copenhagen's, in each language's format, not UTC's
    assert "2026-02-11 00:30" in english and "23:30" not in english
    assert "11.02.2026 00:30" in danish
    # and the page says the same
    user = make_user("sofie", "servicing")
    user_language_set(user=user, language="en")
    client.force_login(user)
    page = client.get(reverse("servicing:payoff-detail", args=[statement.pk])).content.decode()
    assert "2026-02-11 00:30" in page


def test_item7_the_pdf_never_shows_minus_zero(statement):
    # given nothing unapplied to deduct
    assert statement.suspense == 0
    # then the deduction is a plain 0
    english, danish = _text(statement, "en"), _text(statement, "da")
    assert "-0.00" not in english and "-DKK 0.00" not in english and "-0,00" not in danish
    lines = english.splitlines()
    assert lines[lines.index("Less unapplied funds") + 1] == "DKK 0.00"


def test_item7_the_pdf_names_the_lender_and_the_borrower_with_the_address(statement):
    text = _text(statement, "en")
    lines = text.splitlines()
    assert lines[0] == "Eksempel Realkredit A/S"
    # the borrower's name as it is (a name with & and < is text, not markup), then the address, line by line
    assert lines[1:4] == ["Jensen & Sønner <ApS>", "Strandvejen 12", "2900 Hellerup"]


def test_item7_the_pdf_says_how_to_pay(statement):
    text = " ".join(_text(statement, "en").split())
    assert (
        "Transfer DKK 1,005,694.44 to account reg. 1234 konto 0001234567 no later than 2026-02-20, "
        "marked with the reference P-1." in text
    )
    assert "Questions: 70 10 20 30." in text


def test_item7_without_an_account_the_pdf_says_to_pay_with_the_reference(statement, settings):
    settings.SERVICING_PAYMENT_ACCOUNT = ""
    text = " ".join(_text(statement, "en").split())
    assert (
        "Pay DKK 1,005,694.44 through your bank no later than 2026-02-20, marked with the reference P-1."
        in text
    )


def test_item7_the_page_gives_the_same_payment_instructions(statement, client, make_user):
    user = make_user("sofie", "servicing")
    user_language_set(user=user, language="en")
    client.force_login(user)
    page = client.get(reverse("servicing:payoff-detail", args=[statement.pk])).content.decode()
    assert "to account reg. 1234 konto 0001234567" in page and "Questions: 70 10 20 30." in page
