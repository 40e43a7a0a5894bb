"""`manage.py run_maturity_radar [--date D] [--dry-run] [--force]`: the nightly maturity radar by hand (REG-2).

The same service as the nightly task (loanregister.leads.radar), once per business date: a second run for the
date is a no-op unless `--force`, which only re-checks (the radar is idempotent). `--dry-run` shows what the run
would create, update and close, and writes nothing.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loanregister.leads.radar import maturity_radar_preview, maturity_radar_run


class Command(BaseCommand):
    help = "Turn loans within the horizon of a register event into leads (default: today); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what the run would create, update and close; write nothing.",
        )
        parser.add_argument("--force", action="store_true", help="Run again even if done for the date.")
        parser.add_argument(
            "--rows",
            type=int,
            default=20,
            help="With --dry-run: how many leads of each step to list (default 20).",
        )

    def handle(self, *args, date: str | None, dry_run: bool, force: bool, rows: int, **options):
        try:
            business_date = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if dry_run:
            self._dry_run(business_date, rows)
            return
        run = maturity_radar_run(business_date=business_date, force=force)
        if run is None:
            self.stdout.write(f"maturity radar for {business_date}: already done (--force runs it again)")
            return
        result = run.result
        self.stdout.write(
            f"maturity radar for {business_date}: {result['created']} created, {result['updated']} updated, "
            f"{result['closed']} closed"
        )

    def _dry_run(self, business_date: datetime.date, rows: int) -> None:
        preview = maturity_radar_preview(business_date=business_date, limit=max(rows, 0))
        counts = preview.counts()
        horizons = ", ".join(f"{event} {days}" for event, days in sorted(preview.horizons.items())) or "none"
        self.stdout.write(
            f"dry run of the maturity radar for {business_date} (horizons in days: {horizons}): would create "
            f"{counts['created']}, update {counts['updated']}, close {counts['closed']}; nothing written"
        )
        for title, step, line in (
            ("create", preview.created, "{loan_number} {event} {event_date} officer={officer}"),
            ("update", preview.updated, "{loan_number} {event} {old_date} -> {event_date} officer={officer}"),
            ("close", preview.closed, "{loan_number} {event} {event_date} ({status}) officer={officer}"),
        ):
            for row in step.rows:
                self.stdout.write(f"  {title}: " + line.format(**{**row, "officer": row["officer"] or "-"}))
            if step.count > len(step.rows):
                self.stdout.write(f"  {title}: … and {step.count - len(step.rows)} more")
