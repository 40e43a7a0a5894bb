"""import_exchange_rates: Nationalbanken-style rates (DKK per 100 units) by date and currency
(docs/requirements.md §3).

Columns `date, currency, rate`; the file rules of the other imports (common.csvfiles): all-or-nothing,
every bad row reported as `line N: column: reason`. A rate already stored for the same currency and date is left
as it is when equal and corrected when the file differs, so re-importing a file changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from common import csvfiles
from common.models import ImportRun

from .models import ExchangeRate

REQUIRED = ["date", "currency", "rate"]
_RATE = csvfiles.amount(max_digits=18, decimal_places=6, positive=True)


@dataclass
class RatesImportResult:
    ok: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. the file was read as Windows-1252


def _read(data: bytes, errors: csvfiles.ErrorList) -> dict[tuple[str, date], tuple[int, Decimal]]:
    text = csvfiles.decode(data, errors)
    if text is None:
        return {}
    table = csvfiles.CsvText(text, errors)
    table.check_header(required=REQUIRED, optional=[])
    if errors:
        return {}
    column = {name: table.header.index(name) for name in REQUIRED}
    rates: dict[tuple[str, date], tuple[int, Decimal]] = {}
    for line, cells in table.records():
        values = {}
        for name in REQUIRED:
            raw = cells[column[name]].strip()
            if not raw:
                errors.add(line, name, _("required"))
                continue
            try:
                if name == "date":
                    values[name] = csvfiles.parse_date(raw)
                elif name == "currency":
                    values[name] = csvfiles.parse_currency(raw)
                    if values[name] == "DKK":
                        raise csvfiles.CellError(_("rates are DKK per 100 units of another currency"))
                else:
                    values[name] = _RATE(raw, decimal_comma=table.decimal_comma)
            except csvfiles.CellError as exc:
                errors.add(line, name, str(exc))
        if len(values) != len(REQUIRED):
            continue
        key = (values["currency"], values["date"])
        if key in rates:
            errors.add(
                line,
                "date",
                _("%(currency)s on %(date)s is also on line %(line)s")
                % {"currency": key[0], "date": key[1].isoformat(), "line": rates[key][0]},
            )
            continue
        rates[key] = (line, values["rate"])
    return rates


def exchange_rates_import(*, file: IO[bytes] | bytes, user, file_name: str) -> RatesImportResult:
    """Upsert the rates of a file in one transaction, or write nothing but the failed ImportRun."""
    data = file if isinstance(file, bytes) else file.read()
    errors = csvfiles.ErrorList()
    rates = _read(data, errors)
    result = RatesImportResult(rows=len(rates), notices=errors.notices)
    if errors:
        result.errors = errors.lines()
    else:
        with transaction.atomic():
            currencies = {currency for currency, _date in rates}
            dates = {rate_date for _currency, rate_date in rates}
            stored = {
                (row.currency, row.rate_date): row
                for row in ExchangeRate.objects.select_for_update().filter(
                    currency__in=currencies, rate_date__in=dates
                )
            }
            new, changed = [], []
            for key, (_line, rate) in sorted(rates.items()):
                row = stored.get(key)
                if row is None:
                    new.append(ExchangeRate(currency=key[0], rate_date=key[1], rate=rate))
                elif row.rate != rate:
                    row.rate = rate
                    changed.append(row)
            ExchangeRate.objects.bulk_create(new, batch_size=2000)
            ExchangeRate.objects.bulk_update(changed, ["rate"], batch_size=2000)
            result.created, result.updated = len(new), len(changed)
            result.unchanged = len(rates) - len(new) - len(changed)
            result.ok = True
    ImportRun.objects.create(
        kind="exchange_rates",
        file_name=file_name[:300],
        user=user if user is not None and user.is_authenticated else None,
        ok=result.ok,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors="\n".join(result.errors),
        notices="\n".join(result.notices),
    )
    return result
