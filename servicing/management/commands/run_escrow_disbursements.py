"""Pay the escrow disbursements due (SRV-1): the nightly job, by hand. Idempotent: a second run pays nothing."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.escrow import escrow_disbursements_run


class Command(BaseCommand):
    help = "Pay the scheduled escrow disbursements due on or before the date (default today), once each."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run again even if done for the date (pays only what is left).",
        )

    def handle(self, *args, date: str | None, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        run = escrow_disbursements_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"escrow disbursements for {business_date}: already done")
            return
        result = run.result
        self.stdout.write(
            f"escrow disbursements for {business_date}: {result['paid']} paid ({result['amount']}), "
            f"{result['with_shortage']} with a shortage advanced, {result['failed']} failed"
        )
        if result["failed"]:
            raise CommandError(f"{result['failed']} disbursement(s) could not be paid; see the log")
