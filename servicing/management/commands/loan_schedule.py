"""`loan_schedule LOAN_NUMBER [--format csv|table]`: a loan's payment schedule on standard output."""

import csv

from django.core.management.base import BaseCommand, CommandError

from loanregister.models import Loan
from servicing.schedules import SCHEDULE_COLUMNS, schedule_csv_rows, schedule_for_loan


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
        rows = schedule_csv_rows(schedule_for_loan(loan))
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(SCHEDULE_COLUMNS)
            writer.writerows(rows)
            return
        widths = [
            max([len(column)] + [len(row[i]) for row in rows]) for i, column in enumerate(SCHEDULE_COLUMNS)
        ]
        for row in [SCHEDULE_COLUMNS, *rows]:
            # Period and date left, money right-aligned, as on the loan page.
            cells = [
                v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
            ]
            self.stdout.write("  ".join(cells))
