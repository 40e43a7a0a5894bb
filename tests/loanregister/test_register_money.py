"""Amounts are shown with their currency in the active locale (1.234.567,89 kr. in Danish)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from common.templatetags.money import format_money


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("da", "1234567.89", "DKK", "1.234.567,89 kr."),
        ("da", "1234.5", "EUR", "1.234,50 EUR"),
        ("da", "0", "DKK", "0,00 kr."),
        ("en", "1234567.89", "DKK", "DKK 1,234,567.89"),
        ("en", "1234.5", "EUR", "EUR 1,234.50"),
    ],
)
def test_money_is_formatted_in_the_active_locale(language, amount, currency, expected):
    with translation.override(language):
        assert format_money(Decimal(amount), currency) == expected


def test_money_filter_in_a_template():
    with translation.override("da"):
        rendered = Template("{% load money %}{{ amount|money:ccy }}").render(
            Context({"amount": Decimal("1234567.891"), "ccy": "DKK"})
        )
    assert rendered == "1.234.567,89 kr."


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    "amount",
    [
        "0.005",
        "0.015",
        "-0.004",
        "-1234.565",
        "999.995",
        "1000000",
        "-987654321.125",
        "12",
        "0.5",
        "123456789012.34",
    ],
)
def test_money_is_what_djangos_number_format_writes(language, amount):
    """The fast path (Python's own grouping with the language's separators, issue 9) writes exactly what Django's
    number_format wrote before it, rounding included (to the cent, half to even as Decimal.quantize does)."""
    from django.utils.formats import number_format

    value = Decimal(amount).quantize(Decimal("0.01"))
    value = abs(value) if value == 0 else value
    with translation.override(language):
        expected = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
        shown = format_money(Decimal(amount), "EUR")
    assert shown == (f"{expected} EUR" if language == "da" else f"EUR {expected}")


def test_money_in_another_language_than_the_active_one():
    """A letter in Danish printed by a clerk who reads English: the amount follows the letter's language."""
    with translation.override("en"):
        assert format_money(Decimal("9499.22"), "DKK", language="da") == "9.499,22 kr."
        assert format_money(Decimal("9499.22"), "DKK") == "DKK 9,499.22"
    with translation.override("da"):
        assert format_money(Decimal("9499.22"), "DKK", language="en") == "DKK 9,499.22"


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "not a number"])
def test_money_that_is_not_a_finite_amount_is_shown_as_given(amount):
    assert format_money(amount, "DKK") == amount
