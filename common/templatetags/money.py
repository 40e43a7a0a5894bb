"""`{{ amount|money:currency }}`: an amount with its currency in the active locale.

Danish puts the currency after the number and writes DKK as "kr." (1.234.567,89 kr., 1.234,50 EUR); English
puts the ISO code first (DKK 1,234,567.89). Grouping is always on: a bank's figures are read, not parsed.
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()


def format_money(amount, currency: str = "DKK", *, language: str | None = None) -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    currency = (currency or "").upper()
    number = number_format(value.quantize(Decimal("0.01")), decimal_pos=2, force_grouping=True)
    language = (language or get_language() or "da").split("-")[0]
    if language == "da":
        return f"{number} kr." if currency == "DKK" else f"{number} {currency}".rstrip()
    return f"{currency} {number}".lstrip()


@register.filter(name="money")
def money(amount, currency: str = "DKK") -> str:
    return format_money(amount, currency)
