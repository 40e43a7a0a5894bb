"""`run_installments_due [--date D]`: the nightly billing of scheduled installments into the ledger; idempotent."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.installments import installments_due_run


class Command(BaseCommand):
    help = (
        "Bill the scheduled installments due up to the business date (principal due, interest, escrow) into the "
        "ledger, from the payment notices; once per business date, never twice per installment."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument("--force", action="store_true", help="Run again though done for the date.")

    def handle(self, *args, date: str | None, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {date}") from None
        run = installments_due_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"installments due {business_date}: already done (use --force to re-check)")
            return
        counts = ", ".join(f"{count} {part}" for part, count in run.result.items())
        self.stdout.write(f"installments due {business_date}: billed {counts}")
