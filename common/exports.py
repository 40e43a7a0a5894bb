"""What every export shares: cells made safe to open in a spreadsheet (OWASP "CSV Injection", CWE-1236).

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return as a formula, whatever file
it came from (CSV in either dialect, XLSX). Every export neutralizes its text cells on the way out by putting a `'`
in front of such a text, as docs/requirements.md §5 pins it. Numbers stay numbers (a negative balance is a number,
not text), and so do E.164 phone numbers (`+4512345678`), so that a dialler file still dials.

Two forms of the one rule: `neutralize` for cells written by Python (the XLSX writer, the Python CSV writer, letter
batches) and `neutralized` for columns that PostgreSQL writes itself through `COPY`; tests prove they agree.

The export log (docs/requirements.md §5): every export, by page or command, is recorded through one pair of
functions, `export_log_start` when it begins (who, when, what kind, its parameters, the file) and
`export_log_finish` when it ends (the row count, whether it completed, the error). No other module writes an
`ExportLog` (tests/common/test_export_log.py fails on one that does).
"""

import re
from collections.abc import Iterable

from django.db.models import Case, CharField, Expression, F, Q, Value, When
from django.db.models.functions import Concat
from django.db.models.lookups import Regex
from django.utils import timezone

from .models import ExportLog

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


def neutralize_row(cells: Iterable) -> list:
    """A row of cells as it may leave the system: `neutralize` on each."""
    return [neutralize(cell) for cell in cells]


def export_log_start(
    *,
    user,
    kind: str,
    source: str,
    fmt: str,
    params: dict,
    file_name: str,
    dialect: str = "",
    include_do_not_contact: bool = False,
    with_contact_details: bool = False,
) -> ExportLog:
    """Record that an export begins: who (None or an anonymous user: nobody, e.g. a command without --user),
    what kind (`ExportLog.Kind`), from where (`ExportLog.Source`), the format and CSV dialect, its parameters
    (JSON: the filter, the batch date) and the file's name. Returns the log to hand to `export_log_finish`."""
    if kind not in ExportLog.Kind.values:
        raise ValueError(f"unknown export kind {kind!r}")
    return ExportLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        kind=kind,
        source=source,
        format=fmt,
        dialect=dialect,
        filters=params,
        include_do_not_contact=include_do_not_contact,
        with_contact_details=with_contact_details,
        file_name=file_name,
    )


def export_log_finish(log: ExportLog, *, rows: int, completed: bool = True, error: str = "") -> None:
    """Record how the export ended: its row count, whether the whole file was written, and why not."""
    finished_at = timezone.now()
    ExportLog.objects.filter(pk=log.pk).update(
        row_count=rows, completed=completed, error=error, finished_at=finished_at
    )
    log.row_count, log.completed, log.error, log.finished_at = rows, completed, error, finished_at
