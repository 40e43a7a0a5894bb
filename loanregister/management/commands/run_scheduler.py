"""The embedded default's Celery beat: runs each nightly job in-process once its time of day has passed.

It reads the schedule Celery beat reads, django-celery-beat's PeriodicTasks that an admin edits (common/schedule.py):
a job switched off there does not run, a job moved to another time runs at that time, a monthly job only on the
month's first bank day. Each check also delivers the outbox (common/outbox.py).

A small lender runs this beside the web server (README's `make run`); a bank runs Celery beat instead.
Catching up after the machine was off is safe: each job runs once per business date (common.jobs).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from common import outbox
from common.jobs import resolve
from common.schedule import nightly_schedule_sync, scheduled_jobs


class Command(BaseCommand):
    help = "Run the nightly jobs in-process when they are due (embedded default, no Celery beat needed)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between checks (default 60).")

    def handle(self, *args, once: bool, interval: int, **options):
        # a job added to NIGHTLY_JOBS since the last migrate gets its PeriodicTask (an existing one is left alone)
        nightly_schedule_sync()
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
        # the database's schedule (the admin's times and enabled flags), in the order of the jobs' times
        for scheduled in scheduled_jobs():
            if not scheduled.due(now):
                continue
            task = resolve(scheduled.job.task)
            try:
                # The task body runs the job through common.jobs.job_run, once per business date.
                result = task(business_date=today.isoformat())
            except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
                self.stderr.write(f"{scheduled.name}: failed: {exc}")
                continue
            if result:
                self.stdout.write(f"{scheduled.name}: {result}")
