"""Money forms accept only what people mean (issue 8, items 4 and 5), through the views.

The payment form and the recovery form read the amount in the user's language, refuse exponents, NaN and more than
two decimals, refuse a date before the loan's first ledger entry or in the future, and refuse an amount above what
pays the loan off plus the margin unless the clerk confirms it. A payoff statement never asks for a negative amount.
A bank reference posted before is said to be posted before, and when.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from common.templatetags.money import format_money
from loanregister.choices import LoanStatus
from loanregister.services import user_language_set
from servicing.ledger import loan_balances, posting_create
from servicing.models import CollateralRecovery, PayoffStatement, Posting, PostingKind
from servicing.payoff import payment_check, payment_limits, payoff_figures, payoff_pdf

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db

RECEIVED = "2026-02-01"
# 1,000,000 principal, 30 days of interest accrued from 1 January (3,333.33), a 250 fee
PAYOFF_ON_RECEIVED = D("1003583.33")


@pytest.fixture
def loan():
    loan = make_loan(
        "M-1",
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


def _client(client, make_user, language: str, *roles: str):
    user = make_user(f"clerk-{language}", *(roles or ("servicing",)))
    user_language_set(user=user, language=language)
    client.force_login(user)
    return client


@pytest.fixture
def english(client, make_user):
    return _client(client, make_user, "en")


@pytest.fixture
def danish(client, make_user):
    return _client(client, make_user, "da")


def _pay(client, amount: str, *, received_on: str = RECEIVED, **extra):
    return client.post(
        reverse("servicing:payment-create"),
        {"loan": "M-1", "amount": amount, "received_on": received_on, **extra},
    )


def _payments() -> list[Decimal]:
    return list(Posting.objects.filter(kind=PostingKind.PAYMENT).values_list("amount", flat=True))


def _messages(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- the amount, in the user's language


@pytest.mark.parametrize(
    "typed",
    [
        "12,50",  # the issue: posted as 1,250.00 in the English UI
        "1e10",  # the issue: posted
        "1E+3",
    ],  # the other refusals (NaN, a third decimal, …) are the field's: tests/common/test_money_field.py
)
def test_item4_the_english_payment_form_refuses_an_amount_nobody_means(english, loan, typed):
    # when
    response = _pay(english, typed)
    # then it is refused on the amount, and nothing is posted
    assert response.status_code == 400
    assert set(response.context["payment_form"].errors) == {"amount"}
    assert _payments() == []


@pytest.mark.parametrize(
    ("language", "typed", "posted"),
    [
        ("en", "12.50", "12.50"),
        ("en", "1,234.56", "1234.56"),
        ("da", "12,50", "12.50"),
        ("da", "1.234,56", "1234.56"),
        ("da", "1.234", "1234.00"),
    ],
)
def test_item4_the_payment_form_reads_the_amount_in_the_users_number_format(
    client, make_user, loan, language, typed, posted
):
    # given a clerk who works in the language
    clerk = _client(client, make_user, language)
    # when
    response = _pay(clerk, typed)
    # then the amount meant is posted, and the confirmation says it in the clerk's format
    assert response.status_code == 302
    assert _payments() == [D(posted)]
    [(level, text)] = _messages(response)
    assert level == constants.SUCCESS and format_money(D(posted), "DKK", language=language) in text


def test_item4_the_danish_payment_form_refuses_the_english_decimal_point(danish, loan):
    response = _pay(danish, "12.50")
    assert response.status_code == 400 and "amount" in response.context["payment_form"].errors
    assert _payments() == []


def test_item4_the_amount_input_is_text_in_the_users_format(english, loan):
    page = english.get(reverse("servicing:home"))
    html = page.content.decode()
    assert 'name="amount"' in html and 'inputmode="decimal"' in html
    assert 'type="number"' not in html.split('name="amount"')[0].rsplit("<input", 1)[-1]


# ---------------------------------------------------------------- the date


@pytest.mark.parametrize(
    ("received_on", "why"),
    [
        ("1900-01-01", "before the loan's first ledger entry"),  # the issue: accepted, before the opening
        ("2025-09-30", "before the loan's first ledger entry"),
        ("2099-01-01", "in the future"),  # the issue: accepted
    ],
)
def test_item4_a_payment_dated_before_the_ledger_or_in_the_future_is_refused(english, loan, received_on, why):
    # when
    response = _pay(english, "100.00", received_on=received_on)
    # then
    assert response.status_code == 400
    errors = response.context["payment_form"].errors
    assert set(errors) == {"received_on"} and why in errors["received_on"][0]
    assert _payments() == []


def test_item4_the_dates_allowed_run_from_the_first_ledger_entry_to_today(english, loan):
    today = timezone.localdate()
    # the day before the first ledger entry and tomorrow are refused
    assert _pay(english, "100.00", received_on="2025-09-30").status_code == 400
    assert (
        _pay(english, "100.00", received_on=(today + datetime.timedelta(days=1)).isoformat()).status_code
        == 400
    )
    # the first ledger date and today are accepted
    assert _pay(english, "100.00", received_on="2025-10-01").status_code == 302
    assert _pay(english, "100.00", received_on=today.isoformat()).status_code == 302
    assert _payments() == [D("100.00"), D("100.00")]


# ---------------------------------------------------------------- the ceiling


def test_item4_the_ceiling_is_the_payoff_amount_plus_the_margin(loan, settings):
    # given a margin of 10,000
    settings.SERVICING_AMOUNT_MARGIN = 10000
    # when
    limits = payment_limits(loan=loan, on=datetime.date(2026, 2, 1))
    # then
    figures = payoff_figures(
        loan=loan, as_of=datetime.date(2026, 2, 1), good_through=datetime.date(2026, 2, 1)
    )
    assert limits.payoff == figures.total == PAYOFF_ON_RECEIVED
    assert limits.ceiling == PAYOFF_ON_RECEIVED + 10000
    assert limits.earliest == datetime.date(2025, 10, 1)


def test_item4_a_payment_above_the_payoff_plus_the_margin_needs_a_confirmation(english, loan, settings):
    # given a margin of 10,000: the ceiling is 1,013,583.33
    settings.SERVICING_AMOUNT_MARGIN = 10000
    # when an amount just above it is posted without, then with the confirmation
    refused = _pay(english, "1,013,583.34")
    assert _pay(english, "1,013,583.33").status_code == 302  # the ceiling itself is accepted
    confirmed = _pay(english, "1,013,583.34", confirm_large="on")
    # then the first is refused, saying what the payoff is and what to tick; the others are posted
    assert refused.status_code == 400
    error = refused.context["payment_form"].errors["amount"][0]
    assert "DKK 1,003,583.33" in error and "DKK 10,000.00" in error and "tick" in error
    assert 'name="confirm_large"' in refused.content.decode()
    assert confirmed.status_code == 302
    assert _payments() == [D("1013583.33"), D("1013583.34")]


def test_item4_a_margin_set_lower_refuses_sooner(english, loan, settings):
    settings.SERVICING_AMOUNT_MARGIN = 0
    assert _pay(english, "1,003,583.34").status_code == 400
    assert _pay(english, "1,003,583.33").status_code == 302


def test_item4_payment_check_answers_by_field_for_other_forms(loan):
    from django.core.exceptions import ValidationError

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        payment_check(
            loan=loan,
            amount=D("1e12"),
            on=datetime.date(2026, 2, 1),
            amount_field="recovered_value",
            date_field="recovered_on",
        )
    assert set(refused.value.message_dict) == {"recovered_value"}


# ---------------------------------------------------------------- the payoff statement


def test_item4_a_payoff_statement_never_asks_for_a_negative_amount(english, loan, settings):
    # given more money received than the loan owes (confirmed as right), held in suspense
    settings.SERVICING_AMOUNT_MARGIN = 0
    assert _pay(english, "1,100,000.00", confirm_large="on").status_code == 302
    # when a payoff statement is issued
    response = english.post(
        reverse("servicing:payoff-create"),
        {"loan": "M-1", "as_of": "2026-02-10", "good_through": "2026-02-20"},
    )
    # then the amount to pay is 0 and the difference is a credit refunded to the borrower
    statement = PayoffStatement.objects.get()
    assert response.status_code == 302
    assert statement.total == D("0.00") and statement.amount_to_pay == D("0.00")
    owed = statement.principal + statement.interest_due + statement.accrued_interest + statement.fees
    assert statement.credit == statement.suspense - owed > 0
    page = english.get(reverse("servicing:payoff-detail", args=[statement.pk])).content.decode()
    assert "<strong>DKK 0.00</strong>" in page
    assert 'id="payoff-credit"' in page and f"DKK {statement.credit:,.2f}" in page
    assert "DKK -" not in page
    # and its PDF says the same
    with translation.override("en"):
        text = PdfReader(io.BytesIO(payoff_pdf(statement))).pages[0].extract_text()
    lines = text.splitlines()
    assert lines[lines.index("Total to pay") + 1] == "DKK 0.00"
    assert lines[lines.index("Credit refunded to the borrower") + 1] == f"DKK {statement.credit:,.2f}"


def test_item4_a_payoff_statement_issued_before_the_floor_is_shown_floored(english, loan):
    # given a statement stored with a negative total (as the code before the floor issued them)
    statement = PayoffStatement.objects.create(
        loan=loan,
        as_of=datetime.date(2026, 2, 10),
        good_through=datetime.date(2026, 2, 20),
        currency="DKK",
        interest_rate=D("4"),
        interest_from=datetime.date(2026, 1, 1),
        interest_days=49,
        principal=D("1000.00"),
        interest_due=D("0.00"),
        accrued_interest=D("0.00"),
        per_diem=D("0.11"),
        fees=D("0.00"),
        escrow_balance=D("0.00"),
        suspense=D("1500.00"),
        total=D("-500.00"),
    )
    # when the page is shown
    page = english.get(reverse("servicing:payoff-detail", args=[statement.pk])).content.decode()
    # then it asks for nothing and shows the credit
    assert (statement.amount_to_pay, statement.credit) == (D("0.00"), D("500.00"))
    assert "<strong>DKK 0.00</strong>" in page and "DKK 500.00" in page and "-500" not in page


# ---------------------------------------------------------------- the recovery form


def _recover(client, value: str, *, on: str = "2026-03-01", **extra):
    return client.post(
        reverse("servicing:recovery-record", args=["M-1"]),
        {"recovered_on": on, "recovered_value": value, "description": "Forced sale", **extra},
    )


@pytest.fixture
def collector(client, make_user):
    return _client(client, make_user, "en", "collections")


@pytest.mark.parametrize("typed", ["1e12", "1E+12"])
def test_item4_the_recovery_form_refuses_an_amount_nobody_means(collector, loan, typed):
    response = _recover(collector, typed)
    assert response.status_code == 302
    assert not CollateralRecovery.objects.exists()
    assert any(level == constants.ERROR and "Recovered value" in text for level, text in _messages(response))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE


def test_item4_a_recovery_of_1e12_in_digits_needs_a_confirmation(collector, loan):
    # when the value the issue saw (about 1e12) is typed in digits, without then with the confirmation
    refused = _recover(collector, "1,000,000,000,000.00")
    # then it is refused, the loan untouched
    assert not CollateralRecovery.objects.exists()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE and _payments() == []
    assert any(
        level == constants.ERROR and "more than it takes to pay the loan off" in text
        for level, text in _messages(refused)
    )
    # and a confirmed one is recorded (a surplus belongs to the borrower)
    _recover(collector, "1,000,000,000,000.00", confirm_large="on")
    assert CollateralRecovery.objects.get().recovered_value == D("1000000000000.00")


@pytest.mark.parametrize(("on", "why"), [("1900-01-01", "first ledger entry"), ("2099-01-01", "future")])
def test_item4_a_recovery_dated_before_the_ledger_or_in_the_future_is_refused(collector, loan, on, why):
    response = _recover(collector, "12,000.00", on=on)
    assert not CollateralRecovery.objects.exists()
    assert any(level == constants.ERROR and why in text for level, text in _messages(response))


def test_item4_a_recovery_within_the_bounds_is_recorded_in_the_users_format(collector, loan):
    response = _recover(collector, "12,000.00")
    recovery = CollateralRecovery.objects.get()
    assert recovery.recovered_value == D("12000.00")
    # the confirmation gives the deficiency in the clerk's format
    assert any(
        level == constants.SUCCESS and f"DKK {recovery.deficiency:,.2f}" in text
        for level, text in _messages(response)
    )


def test_item4_the_recovery_service_applies_the_same_bounds(loan):
    from django.core.exceptions import ValidationError

    from servicing.recovery import recovery_record

    with pytest.raises(ValidationError) as refused:
        recovery_record(
            loan=loan, recovered_on=datetime.date(2026, 3, 1), recovered_value=D("1e12"), user=None
        )
    assert "recovered_value" in refused.value.message_dict
    assert loan_balances(loan=loan).suspense == 0


# ---------------------------------------------------------------- item 5: a bank reference posted twice


def test_item5_a_bank_reference_posted_before_says_so_and_when(english, loan):
    # given a payment posted with its bank reference
    first = _pay(english, "300.00", reference="bank-77")
    assert first.status_code == 302
    assert _messages(first) == [(constants.SUCCESS, "Payment of DKK 300.00 posted to loan M-1.")]
    posted = Posting.objects.get(external_id="bank-77")
    english.get(first["Location"])  # the clerk reads the confirmation
    # when the same payment is posted again
    again = _pay(english, "300.00", reference="bank-77")
    # then nothing is posted, and the clerk is warned that it was posted before, and when
    assert again.status_code == 302
    assert _payments() == [D("300.00")]
    with translation.override("en"):
        when = date_format(timezone.localtime(posted.created_at), "SHORT_DATETIME_FORMAT")
    [(level, text)] = _messages(again)
    assert level == constants.WARNING
    assert "already posted" in text and when in text and "bank-77" in text
    assert "Nothing was posted" in text


def test_item8_the_payment_confirmation_is_in_the_clerks_number_format(danish, loan):
    response = _pay(danish, "1.234,50")
    [(level, text)] = _messages(response)
    assert level == constants.SUCCESS and "1.234,50 kr." in text and "M-1" in text
