"""`manage.py run_outbox_purge [--date D] [--force]`: the nightly purge of delivered outbox messages, by hand."""

from common.job_command import NightlyJobCommand
from common.outbox import outbox_purge_run


class Command(NightlyJobCommand):
    help = (
        "Delete the outbox's messages delivered more than OUTBOX_KEEP_DAYS (30) days before the business date "
        "(default today); failed and waiting ones are kept. Once per business date."
    )
    label = "outbox purge"

    def run(self, *, business_date, force, **options):
        return outbox_purge_run(business_date=business_date, force=force)
