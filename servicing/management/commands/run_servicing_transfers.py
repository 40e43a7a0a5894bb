"""Apply the servicing transfers that take effect (REG-4): the nightly job, by hand. Idempotent."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.transfers import servicing_transfers_run


class Command(BaseCommand):
    help = "Apply the scheduled servicing transfers effective on or before the date (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument("--force", action="store_true", help="Run again even if done for the date.")

    def handle(self, *args, date: str | None, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        run = servicing_transfers_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"servicing transfers for {business_date}: already done")
            return
        result = run.result
        self.stdout.write(
            f"servicing transfers for {business_date}: {result['transfers']} applied, "
            f"{result['loans']} loan(s) moved, {result['skipped']} skipped"
        )
