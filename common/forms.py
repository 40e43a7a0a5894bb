"""Form fields every app shares.

`MoneyField` is the one field for an amount of money typed by a person: every money form uses it, so every money
form reads an amount the same way and refuses the same mistakes (docs/servicing.md, "Amounts typed by hand").
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

_EXAMPLE = Decimal("1234.56")
# Text that Python's Decimal (and Django's DecimalField) would take but nobody types as an amount.
_NOT_DIGITS = re.compile(r"(nan|inf|[0-9.,]e[+-]?[0-9])", re.IGNORECASE)
_MAX_LENGTH = 40


def _example() -> str:
    """1.234,56 in Danish, 1,234.56 in English: the active language's way of writing an amount."""
    return number_format(_EXAMPLE, decimal_pos=2, use_l10n=True, force_grouping=True)


class MoneyField(forms.Field):
    """An amount of money in the active language's number format: Danish `1.234,56`, English `1,234.56`.

    Cleans to a Decimal with `decimal_places` decimals. Refused, each with its reason:
    - anything but digits, the decimal separator and the thousands separator (and a leading sign): letters,
      exponent notation (`1e10`), `NaN`, `Infinity`, spaces inside, a currency;
    - an ambiguous amount: a thousands separator that does not stand before a group of exactly three digits, as
      `12,50` in English or `12.50` in Danish (the other language's decimal separator), or both separators the
      other way round (`1.234,56` in English);
    - more decimals than `decimal_places` (`1.234` in English, `1,234` in Danish);
    - more digits than `max_digits`, and amounts below `min_value` or above `max_value`.

    A dot or comma that stands before exactly three digits is the thousands separator of the active language
    (`1.234` in Danish is 1 234 kr.): read as a decimal separator it would give three decimals, which no amount
    has, so there is no second reading.
    """

    widget = forms.TextInput

    def __init__(
        self,
        *,
        max_digits: int = 18,
        decimal_places: int = 2,
        min_value: Decimal | None = Decimal("0.01"),
        max_value: Decimal | None = None,
        **kwargs,
    ) -> None:
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # A text input, never type="number": a browser sends a number input with a dot whatever the language.
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": str(_MAX_LENGTH)})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal | int):
            return number_format(
                Decimal(value), decimal_pos=self.decimal_places, use_l10n=True, force_grouping=True
            )
        return value

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()
        if not text:
            return None
        decimal = get_format("DECIMAL_SEPARATOR")
        group = get_format("THOUSAND_SEPARATOR")
        if len(text) > _MAX_LENGTH or _NOT_DIGITS.search(text):
            raise ValidationError(
                _(
                    "Write the amount in digits, like %(example)s (no exponent such as 1e10, no NaN or Infinity)."
                )
                % {"example": _example()},
                code="not_digits",
            )
        sign, body = (text[0], text[1:]) if text[0] in "+-" else ("", text)
        if not body or any(char not in "0123456789.," for char in body):
            raise ValidationError(
                _("Write the amount in digits, like %(example)s.") % {"example": _example()}, code="invalid"
            )
        whole, has_decimals, decimals = body.partition(decimal)
        groups = whole.split(group)
        if not all(groups) or (has_decimals and not decimals) or decimal in decimals:
            raise ValidationError(
                _("Write the amount in digits, like %(example)s.") % {"example": _example()}, code="invalid"
            )
        grouped = len(groups) > 1
        if (
            group in decimals
            or (grouped and len(groups[0]) > 3)
            or any(len(part) != 3 for part in groups[1:])
        ):
            raise ValidationError(
                _(
                    "“%(value)s” can be read in more than one way. Here “%(decimal)s” separates the decimals "
                    "and “%(group)s” the thousands, like %(example)s."
                )
                % {"value": text, "decimal": decimal, "group": group, "example": _example()},
                code="ambiguous",
            )
        if len(decimals) > self.decimal_places:
            raise ValidationError(
                _("An amount has at most %(places)d decimals.") % {"places": self.decimal_places},
                code="decimal_places",
            )
        digits = "".join(groups).lstrip("0")
        if len(digits) > self.max_digits - self.decimal_places:
            raise ValidationError(_("The amount is too large."), code="max_digits")
        amount = Decimal(f"{sign}{digits or '0'}.{decimals or '0'}")
        return amount.quantize(Decimal(1).scaleb(-self.decimal_places))

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            if self.min_value == Decimal(1).scaleb(-self.decimal_places):
                raise ValidationError(_("Give an amount of more than zero."), code="min_value")
            raise ValidationError(
                _("Give an amount of at least %(min)s.") % {"min": self.prepare_value(self.min_value)},
                code="min_value",
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                _("Give an amount of at most %(max)s.") % {"max": self.prepare_value(self.max_value)},
                code="max_value",
            )


class OperationsForm(forms.Form):
    """What the operations page shows: how many runs of each job, or one job's history."""

    job = forms.ChoiceField(label=_lazy("Job"), required=False)
    runs = forms.IntegerField(label=_lazy("Runs per job"), required=False, min_value=1, max_value=60)

    def __init__(self, *args, jobs: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [("", _lazy("All jobs")), *((name, name) for name in jobs)]


class NightlyJobRunForm(forms.Form):
    """Start one nightly job for a business date (default today) from the operations page."""

    job = forms.ChoiceField(label=_lazy("Job"))
    date = forms.DateField(
        label=_lazy("Business date"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_lazy("Empty: today."),
    )

    def __init__(self, *args, jobs: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(name, name) for name in jobs]
