"""`manage.py run_lead_digests [--date D] [--force]`: each officer's e-mail of their new leads (REG-2), by hand.

The nightly job after the radar; once per business date, and each officer's digest at most once a night.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loanregister.leads.digest import lead_digests_run


class Command(BaseCommand):
    help = "E-mail each loan officer the new leads not yet told of (default: today's business date); once a night."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run again even if done for the date (sends only what is left).",
        )

    def handle(self, *args, date: str | None, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        run = lead_digests_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"lead digests for {business_date}: already done")
            return
        result = run.result
        self.stdout.write(
            f"lead digests for {business_date}: {result['sent']} sent, {result['failed']} failed, "
            f"{result['empty']} with nothing left to tell"
        )
        if result["failed"]:
            raise CommandError(f"{result['failed']} digest(s) could not be sent; see the log")
