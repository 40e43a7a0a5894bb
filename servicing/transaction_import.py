"""`import_transactions`: post ledger transactions from a CSV file, all-or-nothing (docs/requirements.md §3).

The file's columns and rules are in docs/import_transactions.md. The CSV dialect (comma or semicolon, decimal comma,
BOM) and the cell parsers are import_loans' (`common.csvfiles`), so both files are read alike.

Three passes inside one transaction: read and check every cell; check every row against the file and the
database (loans by number, transaction ids already posted, what is outstanding on each row's date, counting the
file's earlier rows in date order) in a few bulk queries; then post the new rows in date order through the ledger's
own services (the same code as the web pages), which lock each loan. Any bad row in any pass rolls back everything;
the `ImportRun` records the errors. A transaction id already posted with the same content is skipped (re-importing
a file posts nothing); with other content it is a row error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum

from common import csvfiles
from common.csvfiles import CellError as _Bad
from common.csvfiles import ErrorList as _Errors
from common.models import ImportRun
from loanregister.choices import PropertyCategory
from loanregister.models import Loan

from .ledger import (
    KIND_ACCOUNTS,
    PRINCIPAL_ACCOUNTS,
    ExternalIdConflict,
    PostingContent,
    ledger_batch,
    payment_post,
    posting_already_made,
    posting_create,
    postings_by_external_id,
    property_category_change_post,
)
from .models import Posting, PostingKind

IMPORT_KIND = "transactions"
REQUIRED_COLUMNS = ("transaction_id", "loan_number", "kind", "date", "amount")
OPTIONAL_COLUMNS = ("price", "property_category", "payee", "note")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KINDS = (
    PostingKind.DISBURSEMENT,
    PostingKind.PAYMENT,
    PostingKind.SCHEDULED_REPAYMENT,
    PostingKind.REDEMPTION,
    PostingKind.EXTRA_REPAYMENT,
    PostingKind.FEE,
    PostingKind.ESCROW_DISBURSEMENT,
    PostingKind.PROPERTY_CATEGORY_CHANGE,
)
_PRICED = {PostingKind.DISBURSEMENT, PostingKind.REDEMPTION, PostingKind.EXTRA_REPAYMENT}
# Kinds that reduce the outstanding principal: never by more than is outstanding on their date.
_REPAYING = {PostingKind.SCHEDULED_REPAYMENT, PostingKind.REDEMPTION, PostingKind.EXTRA_REPAYMENT}
_CHUNK = 5000
_MAX = {
    "transaction_id": Posting._meta.get_field("external_id").max_length,
    "loan_number": Loan._meta.get_field("loan_number").max_length,
    "payee": Posting._meta.get_field("payee").max_length,
    "note": Posting._meta.get_field("note").max_length,
}


@dataclass
class TransactionImportResult:
    ok: bool
    rows: int = 0
    posted: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. the file was read as Windows-1252
    import_run: ImportRun | None = None


class _Failed(Exception):
    """Raised inside the transaction to roll everything back when any row is bad."""


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    bad: bool = False
    bad_columns: set[str] = field(default_factory=set)
    loan: Loan | None = None


# ---------------------------------------------------------------- reading and cell checks


_TEXT = {name: csvfiles.text(limit) for name, limit in _MAX.items()}
_KIND = csvfiles.choice(KINDS)
_CATEGORY = csvfiles.choice(PropertyCategory.values)
_AMOUNT = csvfiles.amount(max_digits=18, decimal_places=2)
_PRICE = csvfiles.amount(max_digits=9, decimal_places=4, positive=True)


def _parse_cell(name: str, raw: str, decimal_comma: bool) -> Any:
    if name in _TEXT:
        return _TEXT[name](raw)
    if name == "kind":
        return _KIND(raw)
    if name == "date":
        return csvfiles.parse_date(raw)
    if name == "amount":
        return _AMOUNT(raw, decimal_comma=decimal_comma)
    if name == "price":
        return _PRICE(raw, decimal_comma=decimal_comma)
    if name == "property_category":
        return _CATEGORY(raw)
    raise AssertionError(name)  # pragma: no cover - the header check lets only known columns through


def _read(data: bytes, errors: _Errors) -> list[_Row] | None:
    text = csvfiles.decode(data, errors)
    if text is None:
        return None
    csv_text = csvfiles.CsvText(text, errors)
    csv_text.check_header(required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    if errors:
        return None
    rows: list[_Row] = []
    for line, cells in csv_text.records():
        row = _Row(line=line, values=dict.fromkeys(OPTIONAL_COLUMNS))
        row.values["payee"] = row.values["note"] = ""
        for name, raw in zip(csv_text.header, cells, strict=True):
            raw = raw.strip()
            if not raw:
                if name in REQUIRED_COLUMNS:
                    errors.add(line, name, "is required")
                    row.bad = True
                    row.bad_columns.add(name)
                continue
            try:
                row.values[name] = _parse_cell(name, raw, csv_text.decimal_comma)
            except _Bad as exc:
                errors.add(line, name, str(exc))
                row.bad = True
                row.bad_columns.add(name)
        rows.append(row)
    return rows


def _check_kind_columns(row: _Row, errors: _Errors) -> None:
    """The columns each kind needs, and the ones it must not have."""
    values, kind = row.values, row.values.get("kind")
    if kind is None:
        return

    def bad(column: str, reason: str) -> None:
        if column in row.bad_columns:
            return  # already reported
        errors.add(row.line, column, reason)
        row.bad = True

    if kind in _PRICED and values["price"] is None:
        bad("price", f"is required for {kind} (the bond price, kurs; 100 when paid in cash)")
    if kind not in _PRICED and values["price"] is not None:
        bad("price", f"is not used for {kind}")
    if kind == PostingKind.ESCROW_DISBURSEMENT and not values["payee"]:
        bad("payee", "is required for escrow_disbursement (who was paid)")
    if kind == PostingKind.PROPERTY_CATEGORY_CHANGE:
        if values["property_category"] is None:
            bad("property_category", "is required for property_category_change (the new category)")
        if values.get("amount") not in (None, Decimal("0.00")):
            bad("amount", "must be 0 for property_category_change")
    else:
        if values["property_category"] is not None:
            bad("property_category", f"is not used for {kind}")
        if values.get("amount") == Decimal("0.00"):
            bad("amount", "must be more than zero")


# ---------------------------------------------------------------- checks against the file and the database


def _content(row: _Row) -> PostingContent:
    """The row as the ledger's idempotency check compares it (the row's loan is known by now)."""
    v = row.values
    return PostingContent(
        loan_id=row.loan.pk,
        kind=v["kind"],
        effective_date=v["date"],
        amount=v["amount"],
        price=v["price"],
        property_category=v["property_category"] or "",
    )


def _check_against_database(rows: list[_Row], errors: _Errors) -> list[_Row]:
    """Returns the rows to post (good, not yet posted); reports the others' errors."""
    good = [row for row in rows if not row.bad]
    # Loans by number.
    numbers = sorted({row.values["loan_number"] for row in good})
    loans: dict[str, Loan] = {}
    for start in range(0, len(numbers), _CHUNK):
        for loan in Loan.objects.filter(loan_number__in=numbers[start : start + _CHUNK]).select_related(
            "property"
        ):
            loans[loan.loan_number] = loan
    # Transaction ids: repeated in the file, or already posted.
    first_seen: dict[str, _Row] = {}
    to_post: list[_Row] = []
    candidates: list[_Row] = []
    for row in good:
        loan = loans.get(row.values["loan_number"])
        if loan is None:
            errors.add(row.line, "loan_number", f"no loan numbered {row.values['loan_number']!r}")
            row.bad = True
            continue
        row.loan = loan
        if row.values["kind"] == PostingKind.PROPERTY_CATEGORY_CHANGE and not loan.property_id:
            errors.add(row.line, "property_category", "the loan has no property")
            row.bad = True
            continue
        tx = row.values["transaction_id"]
        earlier = first_seen.get(tx)
        if earlier is not None:
            if _content(earlier) != _content(row):
                errors.add(row.line, "transaction_id", f"{tx!r} is on line {earlier.line} with other content")
                row.bad = True
            continue  # the same transaction twice in one file posts once
        first_seen[tx] = row
        candidates.append(row)
    # The ledger's one idempotency check, for the whole file after one bulk look-up.
    posted = postings_by_external_id(first_seen)
    for row in candidates:
        tx = row.values["transaction_id"]
        try:
            if posting_already_made(external_id=tx, content=_content(row), posted=posted) is None:
                to_post.append(row)
        except ExternalIdConflict as conflict:
            existing = conflict.existing
            errors.add(
                row.line,
                "transaction_id",
                f"{tx!r} was already posted with other content "
                f"({existing.kind} {existing.amount} on {existing.effective_date} "
                f"to {existing.loan.loan_number})",
            )
            row.bad = True
    _check_not_billed(to_post, errors)
    _check_outstanding([row for row in to_post if not row.bad], errors)
    return [row for row in to_post if not row.bad]


def _billed_installment_id(loan_number: str, interest_date: date) -> str:
    """The external id the nightly billing gives an installment's principal (servicing/installments.py)."""
    return f"installment:{loan_number}:{interest_date.isoformat()}:principal"


def _check_not_billed(rows: list[_Row], errors: _Errors) -> None:
    """STAT-5: one installment's afdrag counts once. A `scheduled_repayment` for a loan and interest date whose
    installment the nightly billing already made fall due (`scheduled_payment_due`, not reversed) is refused."""
    wanted = {
        _billed_installment_id(row.loan.loan_number, row.values["date"]): row
        for row in rows
        if row.values["kind"] == PostingKind.SCHEDULED_REPAYMENT
    }
    ids = sorted(wanted)
    for start in range(0, len(ids), _CHUNK):
        billed = Posting.objects.filter(
            external_id__in=ids[start : start + _CHUNK],
            kind=PostingKind.SCHEDULED_PAYMENT_DUE,
            reversed_by__isnull=True,
        ).values_list("external_id", "effective_date")
        for external_id, due_date in billed:
            row = wanted[external_id]
            errors.add(
                row.line,
                "date",
                f"the installment of {row.values['date']} on {row.loan.loan_number} was already billed "
                f"(scheduled_payment_due on {due_date}); its afdrag counts once: pay it as a payment instead",
            )
            row.bad = True


def _principal_by_date(loan_ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    """Each loan's net principal movement per date from its ledger, in date order (a grouped query per side)."""
    moves: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for start in range(0, len(loan_ids), _CHUNK):
        chunk = loan_ids[start : start + _CHUNK]
        for column, sign in (("debit_account", 1), ("credit_account", -1)):
            rows = (
                Posting.objects.filter(Q(loan_id__in=chunk), Q(**{f"{column}__in": PRINCIPAL_ACCOUNTS}))
                .values("loan_id", "effective_date")
                .annotate(total=Sum("amount"))
                .order_by()
            )
            for item in rows:
                moves[item["loan_id"]][item["effective_date"]] += sign * item["total"]
    return {loan_id: sorted(by_date.items()) for loan_id, by_date in moves.items()}


def _check_outstanding(rows: list[_Row], errors: _Errors) -> None:
    """A redemption or repayment may not be more than is outstanding on its date, counting the ledger and the
    file's earlier rows in date order; nor may it leave a later date of the ledger with a negative balance."""
    by_loan: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.values["kind"] in _REPAYING or row.values["kind"] == PostingKind.DISBURSEMENT:
            by_loan[row.loan.pk].append(row)
    ledger = _principal_by_date(sorted(by_loan))
    for loan_id, loan_rows in by_loan.items():
        # Events on one date: the ledger's first, then the file's in line order.
        events: list[tuple[date, int, int, Decimal, _Row | None]] = [
            (day, 0, 0, amount, None) for day, amount in ledger.get(loan_id, [])
        ]
        for row in loan_rows:
            amount = row.values["amount"]
            delta = amount if row.values["kind"] == PostingKind.DISBURSEMENT else -amount
            events.append((row.values["date"], 1, row.line, delta, row))
        balance = Decimal("0.00")
        last_repaying: _Row | None = None
        for day, _order, _line, delta, row in sorted(events, key=lambda event: event[:3]):
            if row is not None and delta < 0 and balance + delta < 0:
                errors.add(
                    row.line,
                    "amount",
                    f"{-delta} is more than the {max(balance, Decimal('0.00'))} {row.loan.currency} outstanding "
                    f"on {day}",
                )
                row.bad = True
                continue
            balance += delta
            if row is not None and delta < 0:
                last_repaying = row
            if row is None and balance < 0 and last_repaying is not None and not last_repaying.bad:
                errors.add(
                    last_repaying.line,
                    "amount",
                    f"leaves less than nothing outstanding on {day}, when the ledger already has a later repayment",
                )
                last_repaying.bad = True


# ---------------------------------------------------------------- posting


def _post(row: _Row, user) -> None:
    v, loan = row.values, row.loan
    kind, tx = v["kind"], v["transaction_id"]
    if kind == PostingKind.PAYMENT:
        payment_post(
            loan=loan, amount=v["amount"], received_on=v["date"], external_id=tx, user=user, note=v["note"]
        )
    elif kind == PostingKind.PROPERTY_CATEGORY_CHANGE:
        property_category_change_post(
            loan=loan,
            category=v["property_category"],
            effective_date=v["date"],
            external_id=tx,
            user=user,
            note=v["note"],
        )
    else:
        assert kind in KIND_ACCOUNTS
        posting_create(
            loan=loan,
            kind=kind,
            amount=v["amount"],
            effective_date=v["date"],
            external_id=tx,
            price=v["price"],
            note=v["note"],
            payee=v["payee"],
            user=user,
        )


def _messages(error: ValidationError) -> list[tuple[str, str]]:
    if hasattr(error, "error_dict"):
        return [(name, " ".join(str(m) for m in messages)) for name, messages in error.message_dict.items()]
    return [("row", " ".join(error.messages))]


def _lock() -> None:
    """One transaction import at a time: the second waits, then sees what the first posted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('servicing.import_transactions'))")


def _lock_loans(loan_ids: list[int]) -> None:
    """Take every loan's row lock up front in id order (as the other multi-loan writers do), so that posting row
    by row in date order cannot deadlock with a job that locks some of the same loans."""
    for start in range(0, len(loan_ids), _CHUNK):
        list(
            Loan.objects.filter(pk__in=loan_ids[start : start + _CHUNK])
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )


def transactions_import(*, file: IO[bytes] | bytes, user, file_name: str) -> TransactionImportResult:
    """Post the file's transactions; all-or-nothing. See docs/import_transactions.md."""
    data = file if isinstance(file, bytes) else file.read()
    errors = _Errors()
    result = TransactionImportResult(ok=False, notices=errors.notices)
    try:
        with transaction.atomic():
            _lock()
            rows = _read(data, errors)
            if rows is None:
                raise _Failed
            result.rows = len(rows)
            for row in rows:
                _check_kind_columns(row, errors)
            to_post = _check_against_database(rows, errors)
            if errors:
                raise _Failed
            result.unchanged = result.rows - len(to_post)
            _lock_loans(sorted({row.loan.pk for row in to_post}))
            with ledger_batch():
                for row in sorted(to_post, key=lambda r: (r.values["date"], r.line)):
                    try:
                        _post(row, user)
                    except (
                        ValidationError
                    ) as exc:  # the ledger's own rules, e.g. a payment's waterfall effect
                        for column, message in _messages(exc):
                            errors.add(row.line, "amount" if column == "__all__" else column, message)
                if errors:
                    raise _Failed
            result.posted = len(to_post)
            result.ok = True
            result.import_run = _record(result, user=user, file_name=file_name)
    except _Failed:
        result.errors = errors.lines()
        result.posted = result.unchanged = 0
        result.import_run = _record(result, user=user, file_name=file_name)
    return result


def _record(result: TransactionImportResult, *, user, file_name: str) -> ImportRun:
    return ImportRun.objects.create(
        kind=IMPORT_KIND,
        file_name=file_name[: ImportRun._meta.get_field("file_name").max_length],
        user=user,
        ok=result.ok,
        rows=result.rows,
        created=result.posted,
        unchanged=result.unchanged,
        errors="\n".join(result.errors),
        notices="\n".join(result.notices),
    )
