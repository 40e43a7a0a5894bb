"""Writing a checked plan: bulk inserts and updates, history included, and the servicer assignments (REG-4).

The loan's cached facts have owners of their own (docs/ledger.md, "Who owns the loan's cached facts"): a loan
the import creates gets the file's status and balance as its first values, but on a loan that exists a new status
goes through `loan_status_set` and a new balance is handed back for the apps to book (servicing's ledger does).
"""

from collections import defaultdict
from decimal import Decimal

from common.bulk import bulk_change, bulk_insert, instance_factory

from ..models import Borrower, Loan, Property, ServicerAssignment
from ..services import loan_status_set
from .plan import Plan
from .reference import Reference

_new_assignment = instance_factory(ServicerAssignment)
# Written by their owners on a loan that exists, not by the import.
_OWNED_ELSEWHERE = frozenset({"status", "outstanding_balance"})
STATUS_REASON = "import_loans"


def write_plan(plan: Plan, ref: Reference, user, now) -> tuple[list[int], list[int], int, dict[int, Decimal]]:
    """Write the plan with bulk operations; return (created ids, updated ids, rows unchanged, the new balances of
    loans that exist, by id: for `hooks.loans_imported`)."""
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
    statuses: dict[str, list[int]] = defaultdict(list)
    balances: dict[int, Decimal] = {}
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
            if "status" in changes:
                statuses[values["status"]].append(loan.pk)
            if "outstanding_balance" in changes:
                balances[loan.pk] = values["outstanding_balance"]
            written = changes - _OWNED_ELSEWHERE
            for name in written:
                setattr(loan, name, values[name])
            if written:
                changed_fields |= written
                to_save.append(loan)
            updated.append(loan)
        elif item.borrower.changed or (item.property and item.property.changed):
            updated.append(loan)  # its borrower or property changed: counted, the loan row is not written
        else:
            unchanged += 1
    bulk_insert(created, Loan, user=user, now=now)
    bulk_change(to_save, Loan, sorted(changed_fields), user=user, now=now)
    for status, loan_ids in statuses.items():
        loan_status_set(loan_ids=loan_ids, status=status, user=user, reason=STATUS_REASON)

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
    return [loan.pk for loan in created], [loan.pk for loan in updated], unchanged, balances
