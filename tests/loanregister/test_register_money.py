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
