"""The one amount field of every money form (issue 8, item 4): the user's number format, and no amount nobody means.

docs/servicing.md, "Amounts typed by hand", states the rules these cases pin.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from common.forms import MoneyField

READ = [
    # (language, typed, amount)
    ("da", "12,50", "12.50"),
    ("da", "1.234,56", "1234.56"),
    ("da", "1.234", "1234.00"),  # a dot before exactly three digits: the Danish thousands separator
    ("da", "1234,5", "1234.50"),
    ("da", "1.234.567,89", "1234567.89"),
    ("da", " 300 ", "300.00"),
    ("en", "12.50", "12.50"),
    ("en", "1,234.56", "1234.56"),
    ("en", "1,234", "1234.00"),
    ("en", "1234.5", "1234.50"),
    ("en", "1,234,567.89", "1234567.89"),
]

REFUSED = [
    # (language, typed, code)
    ("en", "12,50", "ambiguous"),  # the issue: posted as 1,250.00
    ("en", "1.234,56", "ambiguous"),  # the Danish way in the English UI
    ("en", "1234,5", "ambiguous"),
    ("da", "12.50", "ambiguous"),  # the English way in the Danish UI
    ("da", "1,234.56", "ambiguous"),
    ("da", "1234.5", "ambiguous"),
    ("en", "1e10", "not_digits"),
    ("da", "1e10", "not_digits"),
    ("en", "1E+3", "not_digits"),
    ("en", "NaN", "not_digits"),
    ("en", "Infinity", "not_digits"),
    ("da", "-inf", "not_digits"),
    ("en", "12.505", "decimal_places"),
    ("en", "1.234", "decimal_places"),  # a Danish 1.234 in the English UI: three decimals, not 1,234
    ("da", "1,234", "decimal_places"),
    ("da", "0,001", "decimal_places"),
    ("en", "DKK 100", "invalid"),
    ("en", "1 234", "invalid"),
    ("en", "12.", "invalid"),
    ("en", ".50", "invalid"),
    ("en", "1..2", "invalid"),
    ("en", "lots", "invalid"),
    ("en", "0", "min_value"),
    ("en", "-5", "min_value"),
    ("en", "12345678901234567", "max_digits"),
]


@pytest.mark.parametrize(("language", "typed", "amount"), READ)
def test_an_amount_is_read_in_the_users_number_format(language, typed, amount):
    with translation.override(language):
        assert MoneyField().clean(typed) == Decimal(amount)


@pytest.mark.parametrize(("language", "typed", "code"), REFUSED)
def test_an_amount_nobody_means_is_refused_with_its_reason(language, typed, code):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        MoneyField().clean(typed)
    assert refused.value.error_list[0].code == code


def test_the_refusal_shows_how_to_write_it_in_the_users_language():
    with translation.override("en"), pytest.raises(ValidationError) as english:
        MoneyField().clean("12,50")
    with translation.override("da"), pytest.raises(ValidationError) as danish:
        MoneyField().clean("12.50")
    assert "1,234.56" in english.value.messages[0]
    assert "1.234,56" in danish.value.messages[0]


def test_zero_is_allowed_where_the_form_says_so_and_a_ceiling_is_kept():
    field = MoneyField(min_value=Decimal("0"), max_value=Decimal("100"))
    with translation.override("en"):
        assert field.clean("0") == Decimal("0.00")
        with pytest.raises(ValidationError):
            field.clean("100.01")


def test_a_value_is_shown_in_the_users_format_in_a_text_input_never_a_number_input():
    field = MoneyField()
    with translation.override("da"):
        assert field.prepare_value(Decimal("1234.5")) == "1.234,50"
    with translation.override("en"):
        assert field.prepare_value(Decimal("1234.5")) == "1,234.50"
    html = field.widget.render("amount", "12")
    assert 'type="text"' in html and 'inputmode="decimal"' in html
