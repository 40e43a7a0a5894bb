"""`{{ amount|money:currency }}`: an amount with its currency in the active locale.

Danish puts the currency after the number and writes DKK as "kr." (1.234.567,89 kr., 1.234,50 EUR); English
puts the ISO code first (DKK 1,234,567.89). Grouping is always on: a bank's figures are read, not parsed.

`format_money(amount, currency, language=...)` writes the amount in that language's format whatever language is
active: a letter to a Danish borrower says 9.499,22 kr. though the clerk who prints it reads English.
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import translation
from django.utils.formats import number_format

register = template.Library()


def format_money(amount, currency: str = "DKK", *, language: str | None = None) -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    currency = (currency or "").upper()
    value = value.quantize(Decimal("0.01"))
    if value == 0:
        value = abs(value)  # never "-0,00"
    active = (translation.get_language() or "da").split("-")[0]
    language = (language or active).split("-")[0]
    if language == active:  # no override (an activation per amount) for the page's own language
        number = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    else:
        with translation.override(language):
            number = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if language == "da":
        return f"{number} kr." if currency == "DKK" else f"{number} {currency}".rstrip()
    return f"{currency} {number}".lstrip()


@register.filter(name="money")
def money(amount, currency: str = "DKK") -> str:
    return format_money(amount, currency)
