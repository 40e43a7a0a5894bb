"""Register filters never 500 (issue 8, item 3; REG-1 list, REG-2 export): every bad value lists nothing and
says why next to its field (page: 200), or refuses the export with a page saying what is wrong (400).

Dates are read as ISO or 01.03.2026 in both languages; amounts in the UI's language (docs/register.md,
"Filters"). The messages are asserted in the English UI (the Danish catalogue follows the English msgids).
"""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from common.models import ExportLog
from loanregister.forms import FilterAmountField
from loanregister.register import register_events, register_filterset

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
PAGE_URL = reverse("loanregister:register")
EXPORT_URL = reverse("loanregister:export")


@pytest.fixture
def book():
    louise = make.user("louise.holm", "loan_officer", first_name="Louise", last_name="Holm")
    demo = make.user("loan-officer", "loan_officer", first_name="Lone", last_name="Olsen")
    make.loan("L-1", maturity_date=D(2030, 3, 10), officer=louise, outstanding_balance=Decimal("12.50"))
    make.loan("L-2", maturity_date=D(2030, 2, 10), officer=demo, outstanding_balance=Decimal("1234567.89"))
    return {"louise": louise, "demo": demo}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def danish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    return client


@pytest.fixture
def retention(client, book):
    """May see the register and export it."""
    user = make.user("retention", "retention_team")
    client.force_login(user)
    return user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _field_error(html: str, field: str) -> str:
    """The message the page shows next to `field` (the block right after its input), or ""."""
    found = re.search(rf'<div class="error" role="alert" id="id_{field}-errors">(.*?)</div>', html, re.S)
    return _text(found.group(1)) if found else ""


def _export_problem(html: str, field: str) -> str:
    found = re.search(rf'<div data-field="{field}" id="export-problem-{field}">(.*?)</div>', html, re.S)
    return _text(found.group(1)) if found else ""


LONG_Q = "a" * 5000
# (id, query (the window is WIDE unless the case sets a date), the field the message stands next to, what it says)
REFUSED = [
    (
        "officer-display-name",
        {"officer": "Louise Holm"},
        "officer",
        "Did you mean louise.holm (Louise Holm)?",
    ),
    ("officer-unknown", {"officer": "nobody"}, "officer", "No officer has the user name “nobody”"),
    ("officer-partial", {"officer": "loan"}, "officer", "Did you mean loan-officer (Lone Olsen)?"),
    ("officer-too-long", {"officer": "x" * 151}, "officer", "at most 150 characters (it has 151)"),
    ("balance-words", {"balance_min": "lots"}, "balance_min", "Write the amount in digits, like 1,234.56."),
    ("balance-exponent", {"balance_min": "1e400"}, "balance_min", "no exponent such as 1e10"),
    ("balance-nan", {"balance_min": "NaN"}, "balance_min", "no NaN or Infinity"),
    ("balance-infinity", {"balance_max": "Infinity"}, "balance_max", "no NaN or Infinity"),
    ("balance-too-many-digits", {"balance_min": "1" * 17}, "balance_min", "The amount is too large."),
    ("balance-three-decimals", {"balance_min": "12.505"}, "balance_min", "An amount has at most 2 decimals."),
    (
        "balance-decimal-comma-in-english",
        {"balance_min": "12,50"},
        "balance_min",
        "“12,50” can be read in more than one way",
    ),
    (
        "balance-danish-format-in-english",
        {"balance_min": "1.234,56"},
        "balance_min",
        "“1.234,56” can be read in more than one way",
    ),
    ("balance-unicode-digits", {"balance_min": "١٢"}, "balance_min", "Write the amount in digits"),
    ("balance-too-long", {"balance_min": "1" * 41}, "balance_min", "at most 40 characters; this one has 41"),
    ("balance-reversed", {"balance_min": "500", "balance_max": "100"}, "balance_max", "below “Balance from”"),
    (
        "date-no-such-day",
        {"date_from": "2026-02-30", "date_to": ""},
        "date_from",
        "“2026-02-30” is not a date",
    ),
    ("date-word", {"date_from": "tomorrow", "date_to": ""}, "date_from", "“tomorrow” is not a date"),
    (
        "date-american",
        {"date_from": "03/01/2026", "date_to": ""},
        "date_from",
        "write it as 2026-03-01 or 01.03.2026",
    ),
    ("date-two-digit-year", {"date_to": "01.03.26", "date_from": ""}, "date_to", "“01.03.26” is not a date"),
    (
        "window-reversed",
        {"date_from": "2030-03-01", "date_to": "2030-01-01"},
        "date_to",
        "The window ends (2030-01-01) before it starts (2030-03-01)",
    ),
    ("office-unknown-id", {"office": "999999"}, "office", "No active office has the id “999999”"),
    ("office-not-a-number", {"office": "abc"}, "office", "No active office has the id “abc”"),
    ("office-beyond-bigint", {"office": "9" * 30}, "office", "No active office has the id"),
    ("servicer-not-a-number", {"servicer": "abc"}, "servicer", "No active servicer has the id “abc”"),
    ("kind-bogus", {"kind": "bogus"}, "kind", "“bogus” is not an event"),
    ("loan-type-bogus", {"loan_type": "bogus"}, "loan_type", "“bogus” is not a loan type"),
    ("status-bogus", {"status": "bogus"}, "status", "“bogus” is not a loan status"),
    ("recourse-bogus", {"recourse": "bogus"}, "recourse", "“bogus” is not a choice here"),
    ("currency-markup", {"currency": "<script>"}, "currency", "A currency is a three-letter code"),
    ("currency-digits", {"currency": "D1K"}, "currency", "A currency is a three-letter code"),
    ("q-5000-characters", {"q": LONG_Q}, "q", "at most 200 characters (it has 5000)"),
    ("q-nul-byte", {"q": "Holm\x00"}, "q", "Null characters are not allowed"),
]


@pytest.mark.parametrize(
    ("query", "field", "message"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_reg1_a_refused_filter_lists_nothing_and_says_why_next_to_its_field(
    english, retention, query, field, message
):
    # when the register is asked with one bad value (the window is wide enough to hold the whole book)
    response = english.get(PAGE_URL, {**WIDE, **query})
    # then the page answers, lists nothing, and the message stands next to the field
    assert response.status_code == 200
    html = response.content.decode()
    assert message in _field_error(html, field), _field_error(html, field) or _text(html)[:2000]
    assert 'id="register-table"' not in html
    assert 'data-count="0"' in html
    assert "Correct the filter to see the list." in html
    # and the export links offer nothing to download while the filter is refused
    assert 'id="export-leaves-out"' not in html


@pytest.mark.parametrize(
    ("query", "field", "message"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_reg2_a_refused_filter_refuses_the_export_with_400_saying_why(
    english, retention, query, field, message
):
    # when the same bad value is sent to the export
    response = english.get(EXPORT_URL, {**WIDE, **query, "format": "csv"})
    # then nothing is exported or logged, and the page names the field and says why
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert message in _export_problem(html, field), _text(html)[:2000]
    assert 'id="export-back"' in html
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"format": "pdf"}, "format", "Unknown format “pdf”: use csv or xlsx."),
        ({"format": "csv", "dialect": "excel_se"}, "dialect", "Unknown CSV dialect “excel_se”"),
    ],
)
def test_reg2_an_unknown_export_format_or_dialect_is_a_400(english, retention, query, field, message):
    response = english.get(EXPORT_URL, {**WIDE, **query})
    assert response.status_code == 400
    assert message in _export_problem(response.content.decode(), field)
    assert not ExportLog.objects.exists()


def test_reg2_the_export_back_link_keeps_the_filter_to_correct(english, retention):
    response = english.get(EXPORT_URL, {**WIDE, "balance_min": "lots", "kind": "maturity", "format": "xlsx"})
    back = re.search(r'id="export-back" href="([^"]+)"', response.content.decode()).group(1)
    assert back.startswith(PAGE_URL) and "balance_min=lots" in back and "kind=maturity" in back
    assert "format=" not in back


# --- what is read as meant ------------------------------------------------------------------------------------


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [event.loan_number for event in response.context["page"].rows]


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2030-03-01", "2030-03-31"), ("01.03.2030", "31.03.2030"), ("1.3.2030", "31.3.2030")],
)
def test_reg1_dates_are_read_as_iso_or_day_month_year_in_both_languages(
    client, retention, language, date_from, date_to
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(PAGE_URL, {"date_from": date_from, "date_to": date_to})
    assert not response.context["filter"].errors
    assert _listed(response) == ["L-1"]
    # and the date field shows the date as the browser's date picker reads it
    assert 'value="2030-03-01"' in response.content.decode()


@pytest.mark.parametrize(
    ("language", "typed", "amount"),
    [
        ("en", "12.50", "12.50"),
        ("en", "1,234,567.89", "1234567.89"),
        ("en", "1,250", "1250"),  # a comma before three digits groups thousands in English
        ("en", "0", "0"),  # a bound, not a payment: zero and below are allowed
        ("en", "-5", "-5"),
        ("da", "12,50", "12.50"),
        ("da", "1.234.567,89", "1234567.89"),
        ("da", "1.250", "1250"),
        ("da", "9999999999999999,99", "9999999999999999.99"),
    ],
)
def test_reg1_balance_bounds_are_read_as_every_money_form_reads_an_amount(language, typed, amount):
    with translation.override(language):
        assert FilterAmountField(required=False).clean(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("language", "typed", "code"),
    [
        ("en", "12,50", "ambiguous"),
        ("da", "12.50", "ambiguous"),
        ("en", "1.234,56", "ambiguous"),
        ("en", "12.505", "decimal_places"),
        ("da", "12,505", "decimal_places"),
        ("en", "1e10", "not_digits"),
        ("da", "1e400", "not_digits"),
        ("en", "NaN", "not_digits"),
        ("en", "-Infinity", "not_digits"),
        ("da", "12345678901234567", "max_digits"),
        ("da", "1" * 41, "max_length"),
    ],
)
def test_reg1_ambiguous_or_absurd_balance_bounds_are_refused(language, typed, code):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        FilterAmountField(required=False).clean(typed)
    assert refused.value.code == code


def test_reg1_balance_filter_reads_the_danish_decimal_comma_in_the_danish_ui(danish, retention):
    response = danish.get(PAGE_URL, {**WIDE, "balance_min": "12,50", "balance_max": "12,50"})
    assert _listed(response) == ["L-1"]
    refused = danish.get(PAGE_URL, {**WIDE, "balance_min": "12.50"})
    assert "“12.50”" in _field_error(refused.content.decode(), "balance_min")
    assert _listed(refused) == []


def test_reg1_officer_is_the_user_name_case_insensitive(english, retention, book):
    assert _listed(english.get(PAGE_URL, {**WIDE, "officer": "LOUISE.HOLM"})) == ["L-1"]
    assert _listed(english.get(PAGE_URL, {**WIDE, "officer": " loan-officer "})) == ["L-2"]


def test_reg1_officer_field_offers_the_responsible_officers_in_a_datalist(english, retention, book):
    # given a user who is nobody's responsible officer
    make.user("someone.else", "loan_officer", first_name="Some", last_name="One")
    # when
    html = english.get(PAGE_URL, WIDE).content.decode()
    # then the officer input is tied to a list of the officers' user names, with their names
    field = re.search(r'<input[^>]*name="officer"[^>]*>', html).group(0)
    list_id = re.search(r'list="([^"]+)"', field).group(1)
    datalist = re.search(rf'<datalist id="{list_id}">(.*?)</datalist>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)">([^<]*)</option>', datalist) == [
        ("loan-officer", "Lone Olsen"),
        ("louise.holm", "Louise Holm"),
    ]
    assert 'maxlength="150"' not in field  # a longer value is refused with a message, never cut off


def test_reg1_officer_datalist_is_bounded(english, retention, book, monkeypatch):
    monkeypatch.setattr("loanregister.forms.OFFICER_OPTIONS_LIMIT", 1)
    html = english.get(PAGE_URL, WIDE).content.decode()
    datalist = re.search(r"<datalist[^>]*>(.*?)</datalist>", html, re.S).group(1)
    assert datalist.count("<option") == 1


def test_reg1_filter_errors_through_the_selector_list_nothing(book):
    for query in (
        {"officer": "nobody"},
        {"balance_min": "lots"},
        {"date_from": "2030-03-01", "date_to": "2030-01-01"},
    ):
        filterset = register_filterset(data={**WIDE, **query})
        assert not filterset.is_valid()
        assert list(register_events(filterset=filterset)) == []


@pytest.mark.parametrize("cursor", ["2030-01-01_" + "9" * 30, "2030-13-01_1", "x", "2030-01-01_-1", "_"])
def test_reg1_a_bad_page_cursor_shows_the_first_page(english, retention, cursor):
    for key in ("after", "before"):
        response = english.get(PAGE_URL, {**WIDE, key: cursor})
        assert response.status_code == 200
        assert _listed(response) == ["L-2", "L-1"]


def test_reg3_the_officer_list_offers_the_responsible_officers_by_user_name(book):
    # given a user without loans (not offered) and one with a first name only
    make.user("no-loans", "loan_officer", first_name="Nina")
    solo = make.user("a.solo", "loan_officer", first_name="Solo")
    make.loan("L-3", maturity_date=D(2030, 4, 10), officer=solo)
    # then the datalist offers, by user name, the officers the ORM query finds, with Django's display name
    from loanregister.forms import officer_options, responsible_officers

    expected = [(user.username, user.get_full_name()) for user in responsible_officers()]
    assert officer_options() == expected
    assert officer_options() == [
        ("a.solo", "Solo"),
        ("loan-officer", "Lone Olsen"),
        ("louise.holm", "Louise Holm"),
    ]
