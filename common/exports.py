"""What every export shares: cells made safe to open in a spreadsheet (OWASP "CSV Injection", CWE-1236).

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return as a formula, whatever file
it came from (CSV in either dialect, XLSX). Every export neutralizes its text cells on the way out by putting a `'`
in front of such a text, as docs/requirements.md §5 pins it. Numbers stay numbers (a negative balance is a number,
not text), and so do E.164 phone numbers (`+4512345678`), so that a dialler file still dials.

Two forms of the one rule: `neutralize` for cells written by Python (the XLSX writer, the Python CSV writer, letter
batches) and `neutralized` for columns that PostgreSQL writes itself through `COPY`; tests prove they agree.
"""

import re

from django.db.models import Case, CharField, Expression, F, Q, Value, When
from django.db.models.functions import Concat
from django.db.models.lookups import Regex

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# The same two rules for PostgreSQL's regular expressions (`~`); the tab and CR are the characters themselves.
_SQL_FORMULA = "^[-=+@\t\r]"
_SQL_E164 = r"^\+[1-9][0-9]{6,14}$"


def neutralize(value):
    """The cell as it may leave the system: a text that a spreadsheet would run gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not E164.fullmatch(value):
        return "'" + value
    return value


def neutralized(expression: Expression | str) -> Expression:
    """`neutralize` as a database expression over a text column (for exports that PostgreSQL writes)."""
    column = F(expression) if isinstance(expression, str) else expression
    return Case(
        When(
            Q(Regex(column, _SQL_FORMULA)) & ~Q(Regex(column, _SQL_E164)),
            then=Concat(Value("'"), column, output_field=CharField()),
        ),
        default=column,
        output_field=CharField(),
    )
