"""`run_payment_notices [--date D]`: the nightly payment notices (SRV-2) by hand; idempotent."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.notices import payment_notices_run


class Command(BaseCommand):
    help = "Make and send the payment notices of payments due in the next days (once per business date)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument("--days-ahead", type=int, default=14, help="Notice horizon in days (default 14).")
        parser.add_argument(
            "--force", action="store_true", help="Run again though done for the date (sends nothing twice)."
        )

    def handle(self, *args, date: str | None, days_ahead: int, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {date}") from None
        if days_ahead < 0:
            raise CommandError("--days-ahead: must not be negative")
        run = payment_notices_run(business_date=business_date, days_ahead=days_ahead, force=force)
        if run is None:
            self.stdout.write(f"payment notices for {business_date}: already done (use --force to re-check)")
            return
        result = run.result
        self.stdout.write(
            f"payment notices for {business_date}: {result['created']} made, {result['emailed']} e-mailed, "
            f"{result['failed']} failed, {result['letters']} letters"
        )
