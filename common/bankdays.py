"""Danish bank closing days (bankhelligdage) and the next bank day (respitdag).

A payment due on a Saturday, Sunday or bank closing day is paid on the next bank day; the interest date does not
move (docs/requirements.md §2, "Payment due dates"). The closing days are Danmarks Nationalbanken's list, built
as:

- the public holidays of the `holidays` package's Denmark calendar (its PUBLIC category: New Year's Day, Maundy
  Thursday, Good Friday, Easter Monday, Ascension Day, Whit Monday, Christmas Day, Boxing Day, and Store Bededag
  up to and including 2023 — the package drops it from 2024 as the law did);
- plus the days the banks close that are not public holidays: the Friday after Ascension Day, Constitution Day
  (5 June), Christmas Eve (24 December) and New Year's Eve (31 December).

1 May is NOT a bank closing day (the package's OPTIONAL category lists it, so that category is not used as a
whole). Checked against Nationalbanken's 2026 list in tests/servicing/test_bankdays.py.
"""

import datetime
from functools import lru_cache

import holidays
from dateutil.easter import easter

_ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=256)
def closing_days(year: int) -> frozenset[datetime.date]:
    """The bank closing days of a year that are named days (weekends are closed anyway, listed or not)."""
    public = holidays.country_holidays("DK", years=year)
    days = set(public)
    days.update(
        {
            easter(year) + datetime.timedelta(days=40),  # the Friday after Ascension Day (Easter + 39 days)
            datetime.date(year, 6, 5),  # Grundlovsdag
            datetime.date(year, 12, 24),  # juleaftensdag
            datetime.date(year, 12, 31),  # nytårsaftensdag
        }
    )
    return frozenset(days)


def is_bank_day(day: datetime.date) -> bool:
    """True on a weekday on which Danish banks are open."""
    return day.weekday() < 5 and day not in closing_days(day.year)


def next_bank_day(day: datetime.date) -> datetime.date:
    """The day itself if it is a bank day, otherwise the first bank day after it."""
    while not is_bank_day(day):
        day += _ONE_DAY
    return day


def first_bank_day(year: int, month: int) -> datetime.date:
    """The month's first bank day: when the monthly jobs run (the statistics' month close, DESIGN.md §5)."""
    return next_bank_day(datetime.date(year, month, 1))


def is_first_bank_day(day: datetime.date) -> bool:
    """True on the month's first bank day."""
    return day == first_bank_day(day.year, day.month)
