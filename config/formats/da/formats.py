"""Danish formats: Django's own, plus the date spellings Danish users type besides 31.12.2026.

Only what differs from `django/conf/locale/da/formats.py` is here; Django falls back to its own for the rest.
ISO dates (what `<input type="date">` sends) are always accepted: Django appends them to every input format list.
"""

DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # 31.12.2026
    "%d-%m-%Y",  # 31-12-2026
    "%d/%m/%Y",  # 31/12/2026
    "%d.%m.%y",  # 31.12.26
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
