"""`run_collection_reminders [--date D] [--force]`: the nightly collection reminders by hand; idempotent."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicing.collections.reminders import collection_reminders_run, reminders_deliver


class Command(BaseCommand):
    help = (
        "Collections for a business date: delinquency from the ledger, the collector's queue, and the reminder "
        "ladder (the highest step due sent, the missed lower ones recorded skipped, each step once per loan and "
        "due date), then delivered from the outbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument("--force", action="store_true", help="Run again though done for the date.")

    def handle(self, *args, date: str | None, force: bool, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {date}") from None
        run = collection_reminders_run(business_date=business_date, force=force, deliver=False)
        delivered = reminders_deliver()
        if run is None:
            self.stdout.write(
                f"collection reminders {business_date}: already done (use --force to re-check); "
                f"delivered {delivered['sent']} waiting"
            )
            return
        reminders = run.result["reminders"]
        self.stdout.write(
            f"collection reminders {business_date}: {reminders['sent']} sent, {reminders['skipped']} skipped, "
            f"{reminders['escalated']} escalated; {run.result['delinquency']['behind']} loans behind; "
            f"delivered {delivered['sent']}"
        )
