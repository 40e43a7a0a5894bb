"""Apply the servicing transfers that take effect (REG-4): the nightly job, by hand. Idempotent."""

from common.job_command import NightlyJobCommand
from servicing.transfers import servicing_transfers_run


class Command(NightlyJobCommand):
    help = "Apply the scheduled servicing transfers effective on or before the date (default today)."
    label = "servicing transfers"

    def run(self, *, business_date, force, **options):
        return servicing_transfers_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return f"{result['transfers']} applied, {result['loans']} loan(s) moved, {result['skipped']} skipped"
