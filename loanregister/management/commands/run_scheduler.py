"""The embedded default's Celery beat: runs each nightly job in-process once its time of day has passed.

A small lender runs this beside the web server (README's `make run`); a bank runs Celery beat instead.
Catching up after the machine was off is safe: each job runs once per business date (common.jobs).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from common import outbox
from common.jobs import resolve
from common.schedule import nightly_jobs


class Command(BaseCommand):
    help = "Run the nightly jobs in-process when they are due (embedded default, no Celery beat needed)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between checks (default 60).")

    def handle(self, *args, once: bool, interval: int, **options):
        self.stdout.write(f"scheduler: {len(settings.NIGHTLY_JOBS)} nightly job(s)")
        while True:
            self.run_due()
            self.dispatch_outbox()
            if once:
                return
            time.sleep(interval)

    def dispatch_outbox(self) -> None:
        """Deliver the outbox's due messages (Celery beat sends common.tasks.dispatch_outbox on the full stack)."""
        try:
            counts = outbox.dispatch()
        except Exception as exc:  # noqa: BLE001 - the scheduler keeps going; the messages stay pending
            self.stderr.write(f"outbox: failed: {exc}")
            return
        if counts["claimed"]:
            self.stdout.write(f"outbox: {counts}")

    def run_due(self) -> None:
        now = timezone.localtime()
        today = now.date()
        # in the order of their times (DESIGN.md §5's order within a night), also when catching up
        for job in sorted(nightly_jobs(), key=lambda job: (job.hour, job.minute, job.position)):
            if (now.hour, now.minute) < (job.hour, job.minute) or not job.runs_on(today):
                continue
            task = resolve(job.task)
            try:
                # The task body runs the job through common.jobs.job_run, once per business date.
                result = task(business_date=today.isoformat())
            except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
                self.stderr.write(f"{job.name}: failed: {exc}")
                continue
            if result:
                self.stdout.write(f"{job.name}: {result}")
