"""`import_loans`: upsert the loan book from a CSV file, all-or-nothing (docs/requirements.md §3; issue 2 item 5).

One entry point, `loans_import`, used by the management command and the admin page. It reads the whole file,
checks every row against the file itself and against the reference data loaded in a handful of bulk queries
(no query per row), and only when no row is bad writes everything in one transaction with bulk operations,
history included. A failed import writes nothing but its `ImportRun` record with the errors.

The file's columns are documented in docs/import_loans.md. The steps, one module each: `rows` (the columns and
reading the cells), `reference` (the book's rows the file names, in bulk), `plan` (what each row changes, and the
errors only the book or other rows show) and `write` (bulk writes, history and servicer assignments).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from common import hooks
from common.csvfiles import ErrorList
from common.models import ImportRun

from ..leads.won import leads_won_by_new_loans
from ..services import register_events_sync
from .plan import plan_rows
from .reference import load_reference
from .rows import ALL_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, field_max_length, read_rows
from .write import write_plan

__all__ = [
    "ALL_COLUMNS",
    "IMPORT_KIND",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportResult",
    "loans_import",
]

IMPORT_KIND = "loans"


@dataclass
class ImportResult:
    ok: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. the file was read as Windows-1252
    created_loan_ids: list[int] = field(default_factory=list)
    leads_won: int = 0  # leads of redeemed loans won by the new loans (loanregister.leads.won)
    updated_loan_ids: list[int] = field(default_factory=list)
    import_run: ImportRun | None = None


class _Failed(Exception):
    """Raised inside the transaction to roll back when any row is bad."""


def _lock() -> None:
    """One loan import at a time: the second waits, then validates against what the first wrote."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('loanregister.import_loans'))")


def loans_import(*, file: IO[bytes] | bytes, user, file_name: str, today: date | None = None) -> ImportResult:
    """Upsert loans by loan_number from a CSV file; all-or-nothing. See docs/import_loans.md.

    On any bad row nothing is written but an `ImportRun` holding every error (`line N: column: reason`).
    """
    today = today or timezone.localdate()
    now = timezone.now()
    data = file if isinstance(file, bytes) else file.read()
    errors = ErrorList()
    result = ImportResult(ok=False, notices=errors.notices)  # the reader adds to the list as it goes
    try:
        with transaction.atomic():
            _lock()
            header, rows = read_rows(data, errors)
            result.rows = len(rows)
            if not header:
                raise _Failed
            ref = load_reference(rows)
            plan = plan_rows(header, rows, ref, today, errors)
            if errors:
                raise _Failed
            created_ids, updated_ids, unchanged, balances = write_plan(plan, ref, user, now)
            result.created_loan_ids, result.updated_loan_ids = created_ids, updated_ids
            result.created, result.updated, result.unchanged = len(created_ids), len(updated_ids), unchanged
            register_events_sync(loan_ids=created_ids + updated_ids)
            # The apps that build on the loans act inside the same transaction, so that they too are
            # all-or-nothing: servicing books the new loans' balances and the new figures of loans that exist
            # (`balances`) in its ledger, the owner of the cached balance.
            hooks.loans_imported(loan_ids=created_ids + updated_ids, user=user, balances=balances)
            # A new loan of a borrower or property whose loan was redeemed wins that loan's open lead (issue 10).
            result.leads_won = leads_won_by_new_loans(loan_ids=created_ids, on=today, user=user)
            result.ok = True
            result.import_run = _record(result, user=user, file_name=file_name)
    except _Failed:
        result.errors = errors.lines()
        result.import_run = _record(result, user=user, file_name=file_name)
    return result


def _record(result: ImportResult, *, user, file_name: str) -> ImportRun:
    return ImportRun.objects.create(
        kind=IMPORT_KIND,
        file_name=file_name[: field_max_length(ImportRun, "file_name")],
        user=user,
        ok=result.ok,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors="\n".join(result.errors),
        notices="\n".join(result.notices),
    )
