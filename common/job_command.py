"""`NightlyJobCommand`: the shape every nightly job's management command shares.

`--date D` is the business date (ISO `YYYY-MM-DD`, default today), `--force` runs a date already done again (the
jobs are idempotent, so this only re-checks), the job runs through its service, which claims the date with
`common.jobs.job_run`, and the command prints one line: the job, the date and the run's counts, or that the date
was done already. A subclass names the job and its service, and may add options, word its counts, and refuse a
run that failed in part (exit status 1):

    class Command(NightlyJobCommand):
        help = "..."
        label = "escrow disbursements"

        def run(self, *, business_date, force, **options):
            return escrow_disbursements_run(business_date=business_date, force=force)

        def summary(self, result):
            return f"{result['paid']} paid"
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from .models import JobRun


def business_date_parse(value: str | None) -> datetime.date:
    """`--date`: an ISO date, or today when none is given; a CommandError saying what is wrong otherwise."""
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: not a date YYYY-MM-DD: {value}") from None


class NightlyJobCommand(BaseCommand):
    label: str = ""
    """The job in the printed line: "maturity radar for 2026-11-23: ..."."""
    force_help = "Run again even if done for the date."
    already_done = "already done"
    """What the line says when the date was done already (and --force was not given)."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Business date YYYY-MM-DD (default: today).")
        parser.add_argument("--force", action="store_true", help=self.force_help)
        self.add_job_arguments(parser)

    def add_job_arguments(self, parser: CommandParser) -> None:
        """The job's own options, if any."""

    def handle(self, *args: Any, date: str | None, force: bool, **options: Any) -> None:
        business_date = business_date_parse(date)
        run = self.run(business_date=business_date, force=force, **options)
        if run is None:
            self.stdout.write(f"{self.label} for {business_date}: {self.already_done}")
            return
        self.stdout.write(f"{self.label} for {business_date}: {self.summary(run.result)}")
        self.check_result(run.result)

    def run(self, *, business_date: datetime.date, force: bool, **options: Any) -> JobRun | None:
        """Run the job's service for the date (through `common.jobs.job_run`); None when it was done already."""
        raise NotImplementedError

    def summary(self, result: dict) -> str:
        """The run's counts in words; by default "3 created, 0 updated" from its result."""
        return ", ".join(f"{count} {name}" for name, count in result.items()) or "nothing to do"

    def check_result(self, result: dict) -> None:
        """Refuse (exit status 1) a run that failed in part; by default when its result counts failures."""
        failed = result.get("failed")
        if isinstance(failed, int) and failed:
            raise CommandError(f"{failed} item(s) failed; see the log")
