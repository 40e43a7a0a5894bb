"""`{% loan_schedule_rows loan as schedule %}`: the loan's payment schedule for the loan page.

The tag reads its own data, so the register's loan view needs nothing from the schedules module.
"""

from django import template
from django.utils import timezone

from servicing.schedules import schedule_for_loan

register = template.Library()


@register.simple_tag
def loan_schedule_rows(loan) -> dict:
    """The rows, the next payment due from today, and totals (a pure computation, no queries)."""
    try:
        rows = schedule_for_loan(loan)
    except (ValueError, ArithmeticError):  # terms the schedule cannot read (e.g. an unsupported frequency)
        return {"rows": [], "error": True}
    today = timezone.localdate()
    upcoming = next((row for row in rows if row.due_date >= today), None)
    return {
        "rows": rows,
        "next": upcoming,
        "total_payment": sum((row.payment for row in rows), start=0),
        "total_interest": sum((row.interest for row in rows), start=0),
        "total_principal": sum((row.principal for row in rows), start=0),
        "error": False,
    }
