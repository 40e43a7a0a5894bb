"""The loan file's columns, their cell parsers, and reading the file into checked rows (`read_rows`).

Each cell is parsed on its own here; the checks that need the book or other rows are the plan's (`plan.py`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common import csvfiles
from common.csvfiles import CellError, ErrorList

from ..choices import PAYMENTS_PER_YEAR_CHOICES, Amortization, LoanStatus, LoanType, PropertyCategory
from ..models import Borrower, Loan, Office, Property, Servicer
from ..privacy import normalize_national_id

REQUIRED_COLUMNS = tuple(
    (
        "loan_number borrower_name loan_type currency principal interest_rate origination_date maturity_date"
    ).split()
)
OPTIONAL_COLUMNS = tuple(
    (
        "borrower_id borrower_email borrower_phone borrower_address borrower_do_not_contact property_id "
        "property_category property_address jurisdiction office officer servicer outstanding_balance "
        "balance_date payments_per_year amortization first_payment_date rate_reset_date "
        "interest_only_until recourse status"
    ).split()
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Loan columns copied as they are (file column == model field); the others are resolved or defaulted below.
PLAIN_LOAN_FIELDS = tuple(
    (
        "loan_type currency principal interest_rate origination_date maturity_date payments_per_year "
        "amortization first_payment_date rate_reset_date interest_only_until recourse status"
    ).split()
)
BORROWER_COLUMNS = {
    "borrower_name": "name",
    "borrower_email": "email",
    "borrower_phone": "phone",
    "borrower_address": "address",
    "borrower_do_not_contact": "do_not_contact",
}
PROPERTY_COLUMNS = {
    "property_category": "category",
    "property_address": "address",
    "jurisdiction": "jurisdiction",
}


def field_max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _decimal_field(model, name: str, **bounds):
    model_field = model._meta.get_field(name)
    return csvfiles.amount(
        max_digits=model_field.max_digits, decimal_places=model_field.decimal_places, **bounds
    )


def _required_text(max_length: int) -> Callable[[str], str]:
    parse_text = csvfiles.text(max_length)

    def parse(raw: str) -> str:
        if not raw:
            raise CellError(_("is required"))
        return parse_text(raw)

    return parse


_rate = _decimal_field(Loan, "interest_rate")


def _interest_rate(raw: str, *, decimal_comma: bool) -> Decimal:
    value = _rate(raw, decimal_comma=decimal_comma)
    if value >= 100:
        raise CellError(
            _("%(value)r reads as %(rate)s %% a year; give the rate in percent, e.g. 4.25")
            % {"value": raw, "rate": value.normalize()}
        )
    return value


def _national_id(raw: str) -> str:
    try:
        return normalize_national_id(raw)
    except ValidationError as exc:
        raise CellError(str(exc.messages[0])) from exc


_PAYMENTS_PER_YEAR = {str(value): value for value, _label in PAYMENTS_PER_YEAR_CHOICES}


def _payments_per_year(raw: str) -> int:
    try:
        return _PAYMENTS_PER_YEAR[raw]
    except KeyError:
        raise CellError(
            _("%(value)r is not one of %(choices)s")
            % {"value": raw, "choices": ", ".join(_PAYMENTS_PER_YEAR)}
        ) from None


def _jurisdiction(raw: str) -> str:
    code = csvfiles.parse_region(raw)
    return csvfiles.text(field_max_length(Property, "jurisdiction"))(code)


# Column -> parser of a non-blank cell; the numeric ones also take the file's decimal dialect.
_PARSERS: dict[str, Callable] = {
    "loan_number": _required_text(field_max_length(Loan, "loan_number")),
    "borrower_name": _required_text(field_max_length(Borrower, "name")),
    "loan_type": csvfiles.choice(LoanType.values),
    "currency": csvfiles.parse_currency,
    "principal": _decimal_field(Loan, "principal", positive=True),
    "interest_rate": _interest_rate,
    "origination_date": csvfiles.parse_date,
    "maturity_date": csvfiles.parse_date,
    "borrower_id": _national_id,
    "borrower_email": csvfiles.email(field_max_length(Borrower, "email")),
    "borrower_phone": csvfiles.text(field_max_length(Borrower, "phone")),
    "borrower_address": csvfiles.text(field_max_length(Borrower, "address")),
    "borrower_do_not_contact": csvfiles.parse_boolean,
    "property_id": csvfiles.text(field_max_length(Property, "property_id")),
    "property_category": csvfiles.choice(PropertyCategory.values),
    "property_address": csvfiles.text(field_max_length(Property, "address")),
    "jurisdiction": _jurisdiction,
    "office": csvfiles.text(field_max_length(Office, "code")),
    "officer": csvfiles.text(get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length),
    "servicer": csvfiles.text(field_max_length(Servicer, "code")),
    "outstanding_balance": _decimal_field(Loan, "outstanding_balance"),
    "balance_date": csvfiles.parse_date,
    "payments_per_year": _payments_per_year,
    "amortization": csvfiles.choice(Amortization.values),
    "first_payment_date": csvfiles.parse_date,
    "rate_reset_date": csvfiles.parse_date,
    "interest_only_until": csvfiles.parse_date,
    "recourse": csvfiles.parse_boolean,
    "status": csvfiles.choice(LoanStatus.values),
}
_NUMERIC = {"principal", "interest_rate", "outstanding_balance"}
# A blank cell in a present column means this (None: the field is empty).
_BLANK = {
    "borrower_email": "",
    "borrower_phone": "",
    "borrower_address": "",
    "borrower_do_not_contact": False,
    "property_category": None,
    "property_address": None,
    "jurisdiction": None,
    "payments_per_year": 12,
    "amortization": Amortization.ANNUITY.value,
    "recourse": True,
    "status": LoanStatus.ACTIVE.value,
}


@dataclass
class Row:
    line: int
    values: dict[str, Any]  # column -> parsed value (None when the cell is blank); only present, valid cells
    bad: set[str] = field(default_factory=set)  # columns whose cell was bad


def read_rows(data: bytes, errors: ErrorList) -> tuple[list[str], list[Row]]:
    text = csvfiles.decode(data, errors)
    if text is None:
        return [], []
    csv_text = csvfiles.CsvText(text, errors)
    csv_text.check_header(required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    columns = [(index, name) for index, name in enumerate(csv_text.header) if name in _PARSERS]
    decimal_comma = csv_text.decimal_comma
    rows: list[Row] = []
    for line, cells in csv_text.records():
        row = Row(line=line, values={})
        for index, name in columns:
            raw = cells[index].strip()
            if not raw:
                if name in REQUIRED_COLUMNS:
                    errors.add(line, name, _("is required"))
                    row.bad.add(name)
                else:
                    row.values[name] = _BLANK.get(name)
                continue
            parse = _PARSERS[name]
            try:
                row.values[name] = parse(raw, decimal_comma=decimal_comma) if name in _NUMERIC else parse(raw)
            except CellError as exc:
                errors.add(line, name, str(exc))
                row.bad.add(name)
        rows.append(row)
    return csv_text.header, rows
