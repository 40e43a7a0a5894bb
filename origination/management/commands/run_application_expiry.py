"""`manage.py run_application_expiry [--date D] [--force]`: the nightly expiry of applications by hand."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from origination.tasks import application_expiry_run


class Command(BaseCommand):
    help = "Expire the open applications without activity for their product's days (90 by default); once a night."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date YYYY-MM-DD (default today)")
        parser.add_argument("--force", action="store_true", help="run again even when done for the date")

    def handle(self, *args, date, force, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        run = application_expiry_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"application expiry for {business_date}: already done")
        else:
            self.stdout.write(f"application expiry for {business_date}: {run.result}")
