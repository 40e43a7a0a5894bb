"""`manage.py run_lead_digests [--date D] [--force]`: each officer's e-mail of their new leads (REG-2), by hand.

The nightly job after the radar; once per business date, and each officer's digest at most once a night.
"""

from django.core.management.base import CommandError

from common.job_command import NightlyJobCommand
from loanregister.leads.digest import lead_digests_run


class Command(NightlyJobCommand):
    help = "E-mail each loan officer the new leads not yet told of (default: today's business date); once a night."
    label = "lead digests"
    force_help = "Run again even if done for the date (sends only what is left)."

    def run(self, *, business_date, force, **options):
        return lead_digests_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return (
            f"{result['sent']} sent, {result['failed']} failed, {result['empty']} with nothing left to tell"
        )

    def check_result(self, result: dict) -> None:
        if result["failed"]:
            raise CommandError(f"{result['failed']} digest(s) could not be sent; see the log")
