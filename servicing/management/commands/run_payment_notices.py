"""`run_payment_notices [--date D]`: the nightly payment notices (SRV-2) by hand; idempotent."""

from django.core.management.base import CommandError

from common.job_command import NightlyJobCommand
from servicing.notices import payment_notices_run


class Command(NightlyJobCommand):
    help = "Make and send the payment notices of payments due in the next days (once per business date)."
    label = "payment notices"
    force_help = "Run again though done for the date (sends nothing twice)."
    already_done = "already done (use --force to re-check)"

    def add_job_arguments(self, parser) -> None:
        parser.add_argument("--days-ahead", type=int, default=14, help="Notice horizon in days (default 14).")

    def run(self, *, business_date, force, days_ahead: int, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead: must not be negative")
        return payment_notices_run(business_date=business_date, days_ahead=days_ahead, force=force)

    def summary(self, result: dict) -> str:
        return (
            f"{result['created']} made, {result['emailed']} e-mailed, {result['failed']} failed, "
            f"{result['letters']} letters"
        )

    def check_result(self, result: dict) -> None:
        pass  # a notice that could not be e-mailed is retried by the next run (docs/servicing.md)
