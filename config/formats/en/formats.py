"""English as used in a Danish bank: day before month, Monday first, never the US 05/06 ambiguity.

Django's `en` formats are American (m/d/Y); a date typed as 05/06/2026 must not silently mean 6 May here.
"""

DATE_FORMAT = "j F Y"  # 31 December 2026
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"  # ISO in tables: unambiguous for every reader
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-31
    "%d/%m/%Y",  # 31/12/2026
    "%d %b %Y",  # 31 Dec 2026
    "%d %B %Y",  # 31 December 2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
