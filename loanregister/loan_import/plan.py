"""The plan: what each checked row changes (a new or changed loan, borrower, property, servicer), and the errors
that only the book or other rows of the file can show."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from common.bulk import instance_factory
from common.csvfiles import ErrorList

from ..choices import Amortization
from ..models import Borrower, Loan, Property
from .reference import Reference
from .rows import BORROWER_COLUMNS, PLAIN_LOAN_FIELDS, PROPERTY_COLUMNS, Row


class Target:
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


@dataclass
class LoanPlan:
    line: int
    loan: Loan
    new: bool
    values: dict[str, Any]  # loan field -> value from the file (after defaults)
    borrower: Target
    property: Target | None | bool  # False: the file does not say
    servicer_change_on: date | None = None


@dataclass
class Plan:
    loans: list[LoanPlan] = field(default_factory=list)
    borrowers: list[Target] = field(default_factory=list)
    properties: list[Target] = field(default_factory=list)


class _Planner:
    """Turns checked rows into a `Plan`, finding the errors that need the book or other rows to see."""

    def __init__(self, header: list[str], ref: Reference, today: date, errors: ErrorList) -> None:
        self.present = set(header)
        self.ref, self.today, self.errors = ref, today, errors
        self.plan = Plan()
        self.first_line: dict[str, int] = {}
        self.borrower_by_national_id: dict[str, Target] = {}
        self.borrower_by_pk: dict[int, Target] = {}
        self.property_by_id: dict[str, Target] = {}

    def add(self, row: Row) -> None:
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
            name: values[name] for name in PLAIN_LOAN_FIELDS if name in self.present and name not in row.bad
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
            self.plan.loans.append(LoanPlan(line, loan, True, loan_values, borrower, property_target))
            return
        item = LoanPlan(line, existing, False, loan_values, borrower, property_target)
        new_servicer = loan_values.get("servicer_id")
        if new_servicer is not None and new_servicer != existing.servicer_id:
            # REG-4: the new servicer takes over on the balance date (or today), never before the old one began
            current = self.ref.open_assignments.get(existing.pk)
            change_on = values.get("balance_date") or self.today
            item.servicer_change_on = max(change_on, current.since) if current is not None else change_on
        self.plan.loans.append(item)

    def _references(self, row: Row, existing: Loan | None, loan_values: dict) -> bool:
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

    def _balance(self, row: Row, existing: Loan | None, loan_values: dict) -> None:
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

    def _check_dates(self, row: Row, existing: Loan | None, loan_values: dict) -> bool:
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

    def _existing_borrower(self, borrower: Borrower) -> Target:
        if borrower.pk not in self.borrower_by_pk:
            self.borrower_by_pk[borrower.pk] = Target(borrower, new=False)
            self.plan.borrowers.append(self.borrower_by_pk[borrower.pk])
        return self.borrower_by_pk[borrower.pk]

    def _borrower(self, row: Row, existing: Loan | None) -> tuple[Target, bool]:
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
            borrower = Target(_new_borrower({}), new=True)
            self.plan.borrowers.append(borrower)
        if national_id:
            self.borrower_by_national_id.setdefault(national_id, borrower)
            ok &= borrower.assign(
                "national_id", national_id, line=line, column="borrower_id", errors=self.errors
            )
        for column, name in BORROWER_COLUMNS.items():
            if column in self.present and column not in row.bad:
                ok &= borrower.assign(name, values.get(column), line=line, column=column, errors=self.errors)
        return borrower, ok

    def _property(self, row: Row) -> tuple[Target | None | bool, bool]:
        """Upserted by property_id. False: the file does not say; None: the loan has no property."""
        values, line, ok = row.values, row.line, True
        property_id = values.get("property_id")
        if not property_id:
            for column in PROPERTY_COLUMNS:
                if values.get(column):
                    self.errors.add(line, column, _("given without a property_id"))
                    ok = False
            return (None if "property_id" in self.present else False), ok
        target = self.property_by_id.get(property_id)
        if target is None:
            known = self.ref.properties.get(property_id)
            target = Target(known or _new_property({"property_id": property_id}), new=known is None)
            self.property_by_id[property_id] = target
            self.plan.properties.append(target)
        for column, name in PROPERTY_COLUMNS.items():
            value = values.get(column)
            if value is not None:  # blank or absent: an existing property keeps its value
                ok &= target.assign(name, value, line=line, column=column, errors=self.errors)
        if target.new and not target.obj.category and "property_category" not in row.bad:
            self.errors.add(line, "property_category", _("required for a new property"))
            ok = False
        return target, ok


def plan_rows(header: list[str], rows: list[Row], ref: Reference, today: date, errors: ErrorList) -> Plan:
    planner = _Planner(header, ref, today, errors)
    for row in rows:
        planner.add(row)
    return planner.plan
