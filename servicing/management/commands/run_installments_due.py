"""`run_installments_due [--date D]`: the nightly billing of scheduled installments into the ledger; idempotent."""

from common.job_command import NightlyJobCommand
from servicing.installments import installments_due_run


class Command(NightlyJobCommand):
    help = (
        "Bill the scheduled installments due up to the business date (principal due, interest, escrow) into the "
        "ledger, from the payment notices; once per business date, never twice per installment."
    )
    label = "installments due"
    force_help = "Run again though done for the date."
    already_done = "already done (use --force to re-check)"

    def run(self, *, business_date, force, **options):
        return installments_due_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return "billed " + ", ".join(f"{count} {part}" for part, count in result.items())

    def check_result(self, result: dict) -> None:
        pass  # the counts are of parts billed, not of failures
