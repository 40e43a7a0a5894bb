"""`loan_schedule LOAN_NUMBER [--format csv|table]`: a loan's payment schedule on standard output."""

import csv

from django.core.management.base import BaseCommand, CommandError

from loanregister.models import Loan
from servicing.schedules import schedule_for_loan

COLUMNS = ["period", "due_date", "payment", "interest", "principal", "balance"]


class Command(BaseCommand):
    help = "Print a loan's payment schedule (columns period,due_date,payment,interest,principal,balance)."

    def add_arguments(self, parser):
        parser.add_argument("loan_number")
        parser.add_argument("--format", choices=["csv", "table"], default="csv")

    def handle(self, *args, loan_number: str, format: str, **options):
        try:
            loan = Loan.objects.get(loan_number=loan_number)
        except Loan.DoesNotExist:
            raise CommandError(f"no loan {loan_number}") from None
        rows = [
            [
                str(row.period),
                row.due_date.isoformat(),
                *(f"{v}" for v in (row.payment, row.interest, row.principal, row.balance)),
            ]
            for row in schedule_for_loan(loan)
        ]
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(rows)
            return
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS)]
        # Text left (period, date), money right-aligned, as on the loan page.
        self.stdout.write(
            "  ".join(
                c.rjust(w) if i >= 2 else c.ljust(w)
                for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True))
            )
        )
        for r in rows:
            self.stdout.write(
                "  ".join(
                    v.rjust(w) if i >= 2 else v.ljust(w)
                    for i, (v, w) in enumerate(zip(r, widths, strict=True))
                )
            )
