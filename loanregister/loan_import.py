"""`import_loans`: upsert the loan book from a CSV file, all-or-nothing (DESIGN.md §3, issue 2 item 5).

One entry point, `loans_import`, used by the management command and the admin page. It reads the whole file,
checks every row against the file itself and against the reference data loaded in a handful of bulk queries
(no query per row), and only when no row is bad writes everything in one transaction with bulk operations,
history included. A failed import writes nothing but its `ImportRun` record with the errors.

The file's columns are documented in docs/import_loans.md.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from common import csvfiles, hooks
from common.bulk import bulk_change, bulk_insert, instance_factory
from common.csvfiles import CellError, ErrorList
from common.models import ImportRun

from .choices import PAYMENTS_PER_YEAR_CHOICES, Amortization, LoanStatus, LoanType, PropertyCategory
from .models import Borrower, Loan, Office, Property, Servicer, ServicerAssignment
from .privacy import normalize_national_id
from .services import register_events_sync

IMPORT_KIND = "loans"

REQUIRED_COLUMNS = tuple(
    (
        "loan_number borrower_name loan_type currency principal interest_rate origination_date maturity_date"
    ).split()
)
OPTIONAL_COLUMNS = tuple(
    (
        "borrower_id borrower_email borrower_phone borrower_address borrower_do_not_contact property_id "
        "property_category property_address jurisdiction office officer servicer outstanding_balance "
        "balance_date payments_per_year amortization first_payment_date rate_reset_date "
        "interest_only_until recourse status"
    ).split()
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Loan columns copied as they are (file column == model field); the others are resolved or defaulted below.
_PLAIN_LOAN_FIELDS = tuple(
    (
        "loan_type currency principal interest_rate origination_date maturity_date payments_per_year "
        "amortization first_payment_date rate_reset_date interest_only_until recourse status"
    ).split()
)
_BORROWER_COLUMNS = {
    "borrower_name": "name",
    "borrower_email": "email",
    "borrower_phone": "phone",
    "borrower_address": "address",
    "borrower_do_not_contact": "do_not_contact",
}
_PROPERTY_COLUMNS = {
    "property_category": "category",
    "property_address": "address",
    "jurisdiction": "jurisdiction",
}
_QUERY_CHUNK = 50000


@dataclass
class ImportResult:
    ok: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    created_loan_ids: list[int] = field(default_factory=list)
    updated_loan_ids: list[int] = field(default_factory=list)
    import_run: ImportRun | None = None


class _Failed(Exception):
    """Raised inside the transaction to roll back when any row is bad."""


# ---------------------------------------------------------------- cells


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _decimal_field(model, name: str, **bounds):
    model_field = model._meta.get_field(name)
    return csvfiles.amount(
        max_digits=model_field.max_digits, decimal_places=model_field.decimal_places, **bounds
    )


def _required_text(max_length: int) -> Callable[[str], str]:
    parse_text = csvfiles.text(max_length)

    def parse(raw: str) -> str:
        if not raw:
            raise CellError(_("is required"))
        return parse_text(raw)

    return parse


_rate = _decimal_field(Loan, "interest_rate")


def _interest_rate(raw: str, *, decimal_comma: bool) -> Decimal:
    value = _rate(raw, decimal_comma=decimal_comma)
    if value >= 100:
        raise CellError(
            _("%(value)r reads as %(rate)s %% a year; give the rate in percent, e.g. 4.25")
            % {"value": raw, "rate": value.normalize()}
        )
    return value


def _national_id(raw: str) -> str:
    try:
        return normalize_national_id(raw)
    except ValidationError as exc:
        raise CellError(str(exc.messages[0])) from exc


_PAYMENTS_PER_YEAR = {str(value): value for value, _label in PAYMENTS_PER_YEAR_CHOICES}


def _payments_per_year(raw: str) -> int:
    try:
        return _PAYMENTS_PER_YEAR[raw]
    except KeyError:
        raise CellError(
            _("%(value)r is not one of %(choices)s")
            % {"value": raw, "choices": ", ".join(_PAYMENTS_PER_YEAR)}
        ) from None


def _jurisdiction(raw: str) -> str:
    code = csvfiles.parse_region(raw)
    return csvfiles.text(_max_length(Property, "jurisdiction"))(code)


# Column -> parser of a non-blank cell; the numeric ones also take the file's decimal dialect.
_PARSERS: dict[str, Callable] = {
    "loan_number": _required_text(_max_length(Loan, "loan_number")),
    "borrower_name": _required_text(_max_length(Borrower, "name")),
    "loan_type": csvfiles.choice(LoanType.values),
    "currency": csvfiles.parse_currency,
    "principal": _decimal_field(Loan, "principal", positive=True),
    "interest_rate": _interest_rate,
    "origination_date": csvfiles.parse_date,
    "maturity_date": csvfiles.parse_date,
    "borrower_id": _national_id,
    "borrower_email": csvfiles.email(_max_length(Borrower, "email")),
    "borrower_phone": csvfiles.text(_max_length(Borrower, "phone")),
    "borrower_address": csvfiles.text(_max_length(Borrower, "address")),
    "borrower_do_not_contact": csvfiles.parse_boolean,
    "property_id": csvfiles.text(_max_length(Property, "property_id")),
    "property_category": csvfiles.choice(PropertyCategory.values),
    "property_address": csvfiles.text(_max_length(Property, "address")),
    "jurisdiction": _jurisdiction,
    "office": csvfiles.text(_max_length(Office, "code")),
    "officer": csvfiles.text(get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length),
    "servicer": csvfiles.text(_max_length(Servicer, "code")),
    "outstanding_balance": _decimal_field(Loan, "outstanding_balance"),
    "balance_date": csvfiles.parse_date,
    "payments_per_year": _payments_per_year,
    "amortization": csvfiles.choice(Amortization.values),
    "first_payment_date": csvfiles.parse_date,
    "rate_reset_date": csvfiles.parse_date,
    "interest_only_until": csvfiles.parse_date,
    "recourse": csvfiles.parse_boolean,
    "status": csvfiles.choice(LoanStatus.values),
}
_NUMERIC = {"principal", "interest_rate", "outstanding_balance"}
# A blank cell in a present column means this (None: the field is empty).
_BLANK = {
    "borrower_email": "",
    "borrower_phone": "",
    "borrower_address": "",
    "borrower_do_not_contact": False,
    "property_category": None,
    "property_address": None,
    "jurisdiction": None,
    "payments_per_year": 12,
    "amortization": Amortization.ANNUITY.value,
    "recourse": True,
    "status": LoanStatus.ACTIVE.value,
}


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # column -> parsed value (None when the cell is blank); only present, valid cells
    bad: set[str] = field(default_factory=set)  # columns whose cell was bad


def _read_rows(data: bytes, errors: ErrorList) -> tuple[list[str], list[_Row]]:
    text = csvfiles.decode(data, errors)
    if text is None:
        return [], []
    csv_text = csvfiles.CsvText(text, errors)
    csv_text.check_header(required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    columns = [(index, name) for index, name in enumerate(csv_text.header) if name in _PARSERS]
    decimal_comma = csv_text.decimal_comma
    rows: list[_Row] = []
    for line, cells in csv_text.records():
        row = _Row(line=line, values={})
        for index, name in columns:
            raw = cells[index].strip()
            if not raw:
                if name in REQUIRED_COLUMNS:
                    errors.add(line, name, _("is required"))
                    row.bad.add(name)
                else:
                    row.values[name] = _BLANK.get(name)
                continue
            parse = _PARSERS[name]
            try:
                row.values[name] = parse(raw, decimal_comma=decimal_comma) if name in _NUMERIC else parse(raw)
            except CellError as exc:
                errors.add(line, name, str(exc))
                row.bad.add(name)
        rows.append(row)
    return csv_text.header, rows


# ---------------------------------------------------------------- reference data, in bulk


def _in_chunks(values: Iterable, size: int = _QUERY_CHUNK) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _among(model, name: str, values: list):
    """`name IN values` as a filter, written `= ANY(array)`: one parameter instead of one per value (the
    per-value handling of a 100,000-value IN costs seconds)."""
    column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.get_field(name).column)}"
    return RawSQL(f"{column} = ANY(%s)", (list(values),), output_field=BooleanField())


def _wanted(rows: list[_Row], column: str) -> set:
    return {row.values[column] for row in rows if row.values.get(column)}


@dataclass
class _Reference:
    loans: dict[str, Loan]
    offices: dict[str, int]
    officers: dict[str, Any]
    servicers: dict[str, int]
    own_servicers: list[int]
    borrowers_by_id: dict[int, Borrower]
    borrowers_by_national_id: dict[str, Borrower]
    properties: dict[str, Property]
    open_assignments: dict[int, "_OpenAssignment"]


class _OpenAssignment(NamedTuple):
    pk: int
    servicer_id: int
    since: date


def _load_reference(rows: list[_Row]) -> _Reference:
    loans: dict[str, Loan] = {}
    for numbers in _in_chunks(_wanted(rows, "loan_number")):
        loans.update(
            (loan.loan_number, loan) for loan in Loan.objects.filter(_among(Loan, "loan_number", numbers))
        )
    User = get_user_model()
    username_field = User.USERNAME_FIELD
    officers = {
        getattr(user, username_field): user.pk
        for user in User.objects.filter(**{f"{username_field}__in": _wanted(rows, "officer")})
    }
    borrower_pks = {loan.borrower_id for loan in loans.values()}
    borrowers_by_id: dict[int, Borrower] = {}
    for pks in _in_chunks(borrower_pks):
        borrowers_by_id.update((b.pk, b) for b in Borrower.objects.filter(_among(Borrower, "id", pks)))
    # Several borrowers may share an id (entered by hand); the oldest one is the match. The loans' own
    # borrowers usually answer already; only the other ids are looked up.
    borrowers_by_national_id: dict[str, Borrower] = {}
    for borrower in sorted(borrowers_by_id.values(), key=lambda b: -b.pk):
        if borrower.national_id:
            borrowers_by_national_id[borrower.national_id] = borrower
    for ids in _in_chunks(_wanted(rows, "borrower_id") - borrowers_by_national_id.keys()):
        for borrower in Borrower.objects.filter(_among(Borrower, "national_id", ids)).order_by("-pk"):
            borrower = borrowers_by_id.setdefault(borrower.pk, borrower)
            borrowers_by_national_id[borrower.national_id] = borrower
    properties: dict[str, Property] = {}
    for pids in _in_chunks(_wanted(rows, "property_id")):
        properties.update(
            (p.property_id, p) for p in Property.objects.filter(_among(Property, "property_id", pids))
        )
    open_assignments: dict[int, _OpenAssignment] = {}
    for pks in _in_chunks([loan.pk for loan in loans.values()]):
        current = ServicerAssignment.objects.filter(
            _among(ServicerAssignment, "loan", pks), until__isnull=True
        )
        for pk, loan_id, servicer_id, since in current.values_list("pk", "loan_id", "servicer_id", "since"):
            open_assignments[loan_id] = _OpenAssignment(pk, servicer_id, since)
    servicers = dict(Servicer.objects.values_list("code", "pk"))
    return _Reference(
        loans=loans,
        offices=dict(Office.objects.filter(code__in=_wanted(rows, "office")).values_list("code", "pk")),
        officers=officers,
        servicers=servicers,
        own_servicers=list(Servicer.objects.filter(is_own=True).order_by("pk").values_list("pk", flat=True)),
        borrowers_by_id=borrowers_by_id,
        borrowers_by_national_id=borrowers_by_national_id,
        properties=properties,
        open_assignments=open_assignments,
    )


# ---------------------------------------------------------------- the plan: what each row changes


class _Target:
    """A borrower or property the file writes to: an existing row or a new one, with the lines that set it."""

    def __init__(self, obj, *, new: bool) -> None:
        self.obj = obj
        self.new = new
        self.changed: set[str] = set()
        self.set_on: dict[str, int] = {}  # field -> line that set it

    def assign(self, name: str, value, *, line: int, column: str, errors: ErrorList) -> bool:
        """Set one field; a second line giving another value for the same borrower/property is an error."""
        if name in self.set_on:
            if getattr(self.obj, name) != value:
                errors.add(line, column, self.conflict % {"line": self.set_on[name]})
                return False
            return True
        self.set_on[name] = line
        if getattr(self.obj, name) != value:
            setattr(self.obj, name, value)
            if not self.new:
                self.changed.add(name)
        return True

    @property
    def conflict(self) -> str:
        if isinstance(self.obj, Borrower):
            return _("differs from line %(line)s for the same borrower")
        return _("differs from line %(line)s for the same property")


_new_loan = instance_factory(Loan)
_new_borrower = instance_factory(Borrower)
_new_property = instance_factory(Property)
_new_assignment = instance_factory(ServicerAssignment)


@dataclass
class _LoanPlan:
    line: int
    loan: Loan
    new: bool
    values: dict[str, Any]  # loan field -> value from the file (after defaults)
    borrower: _Target
    property: _Target | None | bool  # False: the file does not say
    servicer_change_on: date | None = None


@dataclass
class _Plan:
    loans: list[_LoanPlan] = field(default_factory=list)
    borrowers: list[_Target] = field(default_factory=list)
    properties: list[_Target] = field(default_factory=list)


class _Planner:
    """Turns checked rows into a `_Plan`, finding the errors that need the book or other rows to see."""

    def __init__(self, header: list[str], ref: _Reference, today: date, errors: ErrorList) -> None:
        self.present = set(header)
        self.ref, self.today, self.errors = ref, today, errors
        self.plan = _Plan()
        self.first_line: dict[str, int] = {}
        self.borrower_by_national_id: dict[str, _Target] = {}
        self.borrower_by_pk: dict[int, _Target] = {}
        self.property_by_id: dict[str, _Target] = {}

    def add(self, row: _Row) -> None:
        values, line = row.values, row.line
        number = values.get("loan_number")
        if not number:
            return
        if number in self.first_line:
            self.errors.add(
                line,
                "loan_number",
                _("%(number)s appears again (first on line %(line)s)")
                % {"number": number, "line": self.first_line[number]},
            )
            return
        self.first_line[number] = line
        existing = self.ref.loans.get(number)
        loan_values: dict[str, Any] = {
            name: values[name] for name in _PLAIN_LOAN_FIELDS if name in self.present and name not in row.bad
        }
        ok = self._references(row, existing, loan_values)
        self._balance(row, existing, loan_values)
        ok &= self._check_dates(row, existing, loan_values)
        borrower, ok_borrower = self._borrower(row, existing)
        property_target, ok_property = self._property(row)
        if not (ok and ok_borrower and ok_property) or row.bad:
            return
        if existing is None:
            since = values.get("balance_date") or loan_values.get("origination_date")
            loan = _new_loan({"loan_number": number, "servicer_since": since, **loan_values})
            self.plan.loans.append(_LoanPlan(line, loan, True, loan_values, borrower, property_target))
            return
        item = _LoanPlan(line, existing, False, loan_values, borrower, property_target)
        new_servicer = loan_values.get("servicer_id")
        if new_servicer is not None and new_servicer != existing.servicer_id:
            # REG-4: the new servicer takes over on the balance date (or today), never before the old one began
            current = self.ref.open_assignments.get(existing.pk)
            change_on = values.get("balance_date") or self.today
            item.servicer_change_on = max(change_on, current.since) if current is not None else change_on
        self.plan.loans.append(item)

    def _references(self, row: _Row, existing: Loan | None, loan_values: dict) -> bool:
        """Office, officer and servicer by their codes."""
        ref, values, line, ok = self.ref, row.values, row.line, True
        if "office" in self.present:
            code = values.get("office")
            loan_values["office_id"] = ref.offices.get(code) if code else None
            if code and code not in ref.offices:
                self.errors.add(line, "office", _("no office has the code %(code)r") % {"code": code})
                ok = False
        if "officer" in self.present:
            username = values.get("officer")
            loan_values["officer_id"] = ref.officers.get(username) if username else None
            if username and username not in ref.officers:
                self.errors.add(line, "officer", _("no user is called %(username)r") % {"username": username})
                ok = False
        if "servicer" in self.present or existing is None:
            code = values.get("servicer")
            if code:
                loan_values["servicer_id"] = ref.servicers.get(code)
                if code not in ref.servicers:
                    self.errors.add(line, "servicer", _("no servicer has the code %(code)r") % {"code": code})
                    ok = False
            elif len(ref.own_servicers) == 1:
                loan_values["servicer_id"] = ref.own_servicers[0]
            else:
                if ref.own_servicers:
                    reason = _("blank means our own servicer, but several are marked as our own; give a code")
                else:
                    reason = _(
                        "blank means our own servicer, but no servicer is marked as our own; give a code"
                    )
                self.errors.add(line, "servicer", reason)
                ok = False
        return ok

    def _balance(self, row: _Row, existing: Loan | None, loan_values: dict) -> None:
        """The balance as of a cut-over date; on an existing loan a blank balance leaves the ledger's alone."""
        balance, balance_date = row.values.get("outstanding_balance"), row.values.get("balance_date")
        if balance is not None:
            loan_values["outstanding_balance"] = balance
            same = existing is not None and existing.outstanding_balance == balance
            # an unchanged balance keeps its date, so that the same file imported tomorrow changes nothing
            loan_values["balance_date"] = balance_date or (existing.balance_date if same else self.today)
        elif existing is None:
            loan_values["outstanding_balance"] = Decimal("0.00")
            loan_values["balance_date"] = balance_date
        elif balance_date:
            loan_values["balance_date"] = balance_date

    def _check_dates(self, row: _Row, existing: Loan | None, loan_values: dict) -> bool:
        """Cross-field checks on the loan as it will be (the file's values over the stored ones)."""

        def final(name: str):
            if name in loan_values:
                return loan_values[name]
            return getattr(existing, name) if existing else None

        line, ok = row.line, True
        origination, maturity = final("origination_date"), final("maturity_date")
        if origination and maturity and maturity < origination:
            self.errors.add(
                line,
                "maturity_date",
                _("%(date)s is before the origination date %(origination)s")
                % {"date": maturity, "origination": origination},
            )
            ok = False
        for name in ("first_payment_date", "balance_date"):
            value = final(name)
            if origination and value and value < origination and name in self.present:
                self.errors.add(
                    line,
                    name,
                    _("%(date)s is before the origination date %(origination)s")
                    % {"date": value, "origination": origination},
                )
                ok = False
        interest_only_until = final("interest_only_until")
        if final("amortization") == Amortization.INTEREST_ONLY and not interest_only_until:
            self.errors.add(
                line,
                "interest_only_until",
                _("an interest_only loan needs the date its interest-only period ends"),
            )
            ok = False
        if (
            interest_only_until
            and maturity
            and interest_only_until > maturity
            and "interest_only_until" in self.present
        ):
            self.errors.add(
                line,
                "interest_only_until",
                _("%(date)s is after the maturity date %(maturity)s")
                % {"date": interest_only_until, "maturity": maturity},
            )
            ok = False
        return ok

    def _existing_borrower(self, borrower: Borrower) -> _Target:
        if borrower.pk not in self.borrower_by_pk:
            self.borrower_by_pk[borrower.pk] = _Target(borrower, new=False)
            self.plan.borrowers.append(self.borrower_by_pk[borrower.pk])
        return self.borrower_by_pk[borrower.pk]

    def _borrower(self, row: _Row, existing: Loan | None) -> tuple[_Target, bool]:
        """By national id (in the book or earlier in the file), else the loan's borrower, else a new one."""
        values, line, ok = row.values, row.line, True
        national_id = values.get("borrower_id")
        current = self.ref.borrowers_by_id.get(existing.borrower_id) if existing else None
        if national_id and national_id in self.borrower_by_national_id:
            borrower = self.borrower_by_national_id[national_id]
        elif national_id and national_id in self.ref.borrowers_by_national_id:
            borrower = self._existing_borrower(self.ref.borrowers_by_national_id[national_id])
        elif current is not None and (not national_id or current.national_id in ("", national_id)):
            borrower = self._existing_borrower(current)
        else:
            borrower = _Target(_new_borrower({}), new=True)
            self.plan.borrowers.append(borrower)
        if national_id:
            self.borrower_by_national_id.setdefault(national_id, borrower)
            ok &= borrower.assign(
                "national_id", national_id, line=line, column="borrower_id", errors=self.errors
            )
        for column, name in _BORROWER_COLUMNS.items():
            if column in self.present and column not in row.bad:
                ok &= borrower.assign(name, values.get(column), line=line, column=column, errors=self.errors)
        return borrower, ok

    def _property(self, row: _Row) -> tuple[_Target | None | bool, bool]:
        """Upserted by property_id. False: the file does not say; None: the loan has no property."""
        values, line, ok = row.values, row.line, True
        property_id = values.get("property_id")
        if not property_id:
            for column in _PROPERTY_COLUMNS:
                if values.get(column):
                    self.errors.add(line, column, _("given without a property_id"))
                    ok = False
            return (None if "property_id" in self.present else False), ok
        target = self.property_by_id.get(property_id)
        if target is None:
            known = self.ref.properties.get(property_id)
            target = _Target(known or _new_property({"property_id": property_id}), new=known is None)
            self.property_by_id[property_id] = target
            self.plan.properties.append(target)
        for column, name in _PROPERTY_COLUMNS.items():
            value = values.get(column)
            if value is not None:  # blank or absent: an existing property keeps its value
                ok &= target.assign(name, value, line=line, column=column, errors=self.errors)
        if target.new and not target.obj.category and "property_category" not in row.bad:
            self.errors.add(line, "property_category", _("required for a new property"))
            ok = False
        return target, ok


def _plan(header: list[str], rows: list[_Row], ref: _Reference, today: date, errors: ErrorList) -> _Plan:
    planner = _Planner(header, ref, today, errors)
    for row in rows:
        planner.add(row)
    return planner.plan


# ---------------------------------------------------------------- writing


def _write(plan: _Plan, ref: _Reference, user, now) -> tuple[list[int], list[int], int]:
    """Write the plan with bulk operations; return (created ids, updated ids, rows unchanged)."""
    bulk_insert([t.obj for t in plan.properties if t.new], Property, user=user, now=now)
    for model, targets in ((Property, plan.properties), (Borrower, plan.borrowers)):
        changed = [t for t in targets if t.changed]
        fields = sorted(set().union(*(t.changed for t in changed)))
        bulk_change([t.obj for t in changed], model, fields, user=user, now=now)
    bulk_insert([t.obj for t in plan.borrowers if t.new], Borrower, user=user, now=now)

    created: list[Loan] = []
    updated: list[Loan] = []
    to_save: list[Loan] = []
    changed_fields: set[str] = set()
    unchanged = 0
    for item in plan.loans:
        loan, values = item.loan, dict(item.values)
        values["borrower_id"] = item.borrower.obj.pk
        if item.property is not False:
            values["property_id"] = item.property.obj.pk if item.property else None
        if item.new:  # made from the values in the plan; only the borrower and property ids were unknown
            loan.borrower_id = values["borrower_id"]
            loan.property_id = values.get("property_id")
            created.append(loan)
            continue
        if item.servicer_change_on:
            values["servicer_since"] = item.servicer_change_on
        changes = {name for name, value in values.items() if getattr(loan, name) != value}
        if changes:
            for name in changes:
                setattr(loan, name, values[name])
            changed_fields |= changes
            to_save.append(loan)
            updated.append(loan)
        elif item.borrower.changed or (item.property and item.property.changed):
            updated.append(loan)  # its borrower or property changed: counted, the loan row is not written
        else:
            unchanged += 1
    bulk_insert(created, Loan, user=user, now=now)
    bulk_change(to_save, Loan, sorted(changed_fields), user=user, now=now)

    # REG-4: who services the loan, since when
    closing: list[ServicerAssignment] = []
    opening: list[ServicerAssignment] = []
    for item in plan.loans:
        loan = item.loan
        current = ref.open_assignments.get(loan.pk) if not item.new else None
        if current is not None and current.servicer_id == loan.servicer_id:
            continue
        if current is not None:
            closing.append(ServicerAssignment(pk=current.pk, until=loan.servicer_since))
        opening.append(
            _new_assignment(
                {
                    "loan_id": loan.pk,
                    "servicer_id": loan.servicer_id,
                    "since": loan.servicer_since,
                    "reason": "import_loans",
                    "recorded_by_id": user.pk if user is not None else None,
                }
            )
        )
    bulk_change(closing, ServicerAssignment, ["until"], user=user, now=now)
    bulk_insert(opening, ServicerAssignment, user=user, now=now)
    return [loan.pk for loan in created], [loan.pk for loan in updated], unchanged


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
    result = ImportResult(ok=False)
    try:
        with transaction.atomic():
            _lock()
            header, rows = _read_rows(data, errors)
            result.rows = len(rows)
            if not header:
                raise _Failed
            ref = _load_reference(rows)
            plan = _plan(header, rows, ref, today, errors)
            if errors:
                raise _Failed
            created_ids, updated_ids, unchanged = _write(plan, ref, user, now)
            result.created_loan_ids, result.updated_loan_ids = created_ids, updated_ids
            result.created, result.updated, result.unchanged = len(created_ids), len(updated_ids), unchanged
            register_events_sync(loan_ids=created_ids + updated_ids)
            # The apps that build on the loans (servicing's opening balances) act inside the same transaction,
            # so that they too are all-or-nothing.
            hooks.loans_imported(loan_ids=created_ids + updated_ids, user=user)
            result.ok = True
            result.import_run = _record(result, user=user, file_name=file_name)
    except _Failed:
        result.errors = errors.lines()
        result.import_run = _record(result, user=user, file_name=file_name)
    return result


def _record(result: ImportResult, *, user, file_name: str) -> ImportRun:
    return ImportRun.objects.create(
        kind=IMPORT_KIND,
        file_name=file_name[: _max_length(ImportRun, "file_name")],
        user=user,
        ok=result.ok,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors="\n".join(result.errors),
    )
