"""`run_collection_reminders [--date D] [--force]`: the nightly collections by hand; idempotent (docs/collections.md)."""

from common.job_command import NightlyJobCommand
from servicing.collections.reminders import collection_reminders_run


class Command(NightlyJobCommand):
    help = (
        "Collections for a business date: delinquency from the ledger, the collector's queue, and the reminder "
        "ladder (the highest step due sent, the missed lower ones recorded skipped, each step once per loan and "
        "due date), then delivered from the outbox; once per business date."
    )
    label = "collection reminders"
    force_help = "Run again though done for the date (records and sends nothing twice)."
    already_done = "already done (use --force to re-check)"

    def run(self, *, business_date, force, **options):
        return collection_reminders_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        reminders, delivered = result["reminders"], result.get("delivered", {})
        return (
            f"{reminders['sent']} sent, {reminders['skipped']} skipped, {reminders['escalated']} escalated; "
            f"{result['delinquency']['behind']} loans behind; {delivered.get('sent', 0)} delivered"
        )

    def check_result(self, result: dict) -> None:
        super().check_result(result.get("delivered", {}))
