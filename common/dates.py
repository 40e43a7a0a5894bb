"""Calendar arithmetic shared by the register, the schedules, escrow and the demo book."""

import datetime

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(start: datetime.date, months: int) -> datetime.date:
    """`start` moved by whole months, keeping its day of month, clamped to the last day of the target month
    (31 January + 1 month = 28/29 February). Written without `calendar` because schedules call it per period
    for every loan of the book."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    if month0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last_day = 29
    else:
        last_day = _DAYS_IN_MONTH[month0]
    day = start.day
    return datetime.date(year, month0 + 1, day if day <= last_day else last_day)
