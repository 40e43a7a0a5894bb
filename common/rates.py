"""Exchange-rate readings (STAT-7): DKK value of an amount in another currency on a date.

Nationalbanken quotes DKK per 100 units and publishes nothing on bank closing days, so the rate for a date is
the last rate published on or before it (the month-end rate is the one for the month's last day).
"""

import calendar
import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from .models import ExchangeRate

DKK = "DKK"
HUNDRED = Decimal(100)


class MissingRate(LookupError):
    """No rate was published for the currency on or before the date."""

    def __init__(self, currency: str, on_date: datetime.date):
        super().__init__(f"no {currency} rate on or before {on_date.isoformat()}")
        self.currency = currency
        self.on_date = on_date


def dkk_rate(currency: str, on_date: datetime.date) -> Decimal | None:
    """DKK per ONE unit of `currency` (the quoted per-100 rate / 100) on `on_date`, or None when there is none.

    DKK itself is 1. The rate is the last one published on or before the date (STAT-7 reading).
    """
    return dkk_rates([currency], on_date)[currency.upper()]


def dkk_rates(currencies: Iterable[str], on_date: datetime.date) -> dict[str, Decimal | None]:
    """DKK per one unit of each currency on `on_date` (None where no rate was published on or before it; DKK is
    1): the last quoted rate / 100, one statement, an index probe per currency. The one reading of the rates:
    `dkk_rate` asks it for one currency."""
    codes = sorted({code.upper() for code in currencies})
    rates: dict[str, Decimal | None] = {code: Decimal(1) for code in codes if code == DKK}
    others = [code for code in codes if code != DKK]
    if others:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.code, (SELECT r.rate FROM {ExchangeRate._meta.db_table} r"
                " WHERE r.currency = c.code AND r.rate_date <= %s ORDER BY r.rate_date DESC LIMIT 1)"
                " FROM unnest(%s::varchar[]) AS c(code)",
                [on_date, others],
            )
            for code, quoted in cursor.fetchall():
                rates[code] = None if quoted is None else quoted / HUNDRED
    return rates


def to_dkk(amount: Decimal, currency: str, on_date: datetime.date) -> Decimal:
    """The amount in DKK at the rate of `on_date`, rounded to øre; raises MissingRate when there is no rate."""
    rate = dkk_rate(currency, on_date)
    if rate is None:
        raise MissingRate(currency.upper(), on_date)
    return (amount * rate).quantize(Decimal("0.01"))


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def month_end_rate(currency: str, year: int, month: int) -> Decimal | None:
    """STAT-7: the last rate published on or before the month's last day, DKK per one unit."""
    return dkk_rate(currency, month_end(year, month))
