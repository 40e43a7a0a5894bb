"""`manage.py run_maturity_radar [--date D] [--dry-run] [--force]`: the nightly maturity radar by hand (REG-2).

The same service as the nightly task (loanregister.leads.radar), once per business date: a second run for the
date is a no-op unless `--force`, which only re-checks (the radar is idempotent). `--dry-run` shows what the run
would create, update and close, and writes nothing.
"""

import datetime

from common.job_command import NightlyJobCommand, business_date_parse
from loanregister.leads.radar import maturity_radar_preview, maturity_radar_run


class Command(NightlyJobCommand):
    help = "Turn loans within the horizon of a register event into leads (default: today); idempotent."
    label = "maturity radar"
    already_done = "already done (--force runs it again)"

    def add_job_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what the run would create, update and close; write nothing.",
        )
        parser.add_argument(
            "--rows",
            type=int,
            default=20,
            help="With --dry-run: how many leads of each step to list (default 20).",
        )

    def handle(self, *args, dry_run: bool, rows: int, **options):
        if dry_run:
            self._dry_run(business_date_parse(options["date"]), rows)
            return
        super().handle(*args, **options)

    def run(self, *, business_date, force, **options):
        return maturity_radar_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return f"{result['created']} created, {result['updated']} updated, {result['closed']} closed"

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
