"""Pay the escrow disbursements due (SRV-1): the nightly job, by hand. Idempotent: a second run pays nothing."""

from django.core.management.base import CommandError

from common.job_command import NightlyJobCommand
from servicing.escrow import escrow_disbursements_run


class Command(NightlyJobCommand):
    help = "Pay the scheduled escrow disbursements due on or before the date (default today), once each."
    label = "escrow disbursements"
    force_help = "Run again even if done for the date (pays only what is left)."

    def run(self, *, business_date, force, **options):
        return escrow_disbursements_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return (
            f"{result['paid']} paid ({result['amount']}), {result['with_shortage']} with a shortage advanced, "
            f"{result['failed']} failed"
        )

    def check_result(self, result: dict) -> None:
        if result["failed"]:
            raise CommandError(f"{result['failed']} disbursement(s) could not be paid; see the log")
