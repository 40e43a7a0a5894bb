"""`{% loan_schedule_rows loan full=False as schedule %}`: a loan's payment schedule for the loan page.

The tag reads its own data, so the register's loan view needs nothing from the schedules module. On the loan page
it gives the next PREVIEW_ROWS payments (a 40-year schedule is a thousand table rows: too slow to render on every
visit); the schedule page (`servicing:loan-schedule`) asks for all of them.
"""

from django import template
from django.utils import timezone

from servicing.schedules import schedule_for_loan

register = template.Library()

PREVIEW_ROWS = 12


@register.simple_tag
def loan_schedule_rows(loan, full=False) -> dict:
    """The rows to show, the next payment due from today, and the schedule's totals."""
    try:
        rows = schedule_for_loan(loan)
    except (ValueError, ArithmeticError):  # terms the schedule cannot read (e.g. an unsupported frequency)
        return {"rows": [], "shown": [], "error": True}
    today = timezone.localdate()
    next_index = next((i for i, row in enumerate(rows) if row.due_date >= today), None)
    if full:
        shown = rows
    elif next_index is None:
        shown = rows[-PREVIEW_ROWS:]
    else:
        shown = rows[next_index : next_index + PREVIEW_ROWS]
    return {
        "rows": rows,
        "shown": shown,
        "hidden": len(rows) - len(shown),
        "full": bool(full),
        "next": rows[next_index] if next_index is not None else None,
        "total_payment": sum((row.payment for row in rows), start=0),
        "total_interest": sum((row.interest for row in rows), start=0),
        "total_principal": sum((row.principal for row in rows), start=0),
        "error": False,
    }
