"""`manage.py dispatch_outbox [--kind K] [--retry-failed]`: deliver the outbox's due messages now (docs/operations.md).

What Celery beat (every minute) and run_scheduler (each check) do, by hand: after Redis was down, to deliver what
waited without waiting for the next minute. Batches until nothing due is left or the far side is away again.
"""

from django.core.management.base import BaseCommand, CommandError

from common import outbox


class Command(BaseCommand):
    help = "Deliver the outbox's due messages now (the dispatcher beat runs every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", action="append", help="Only messages of this kind (repeatable).")
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="First give the failed messages a new round of attempts.",
        )

    def handle(self, *args, kind: list[str] | None, retry_failed: bool, **options):
        if retry_failed:
            self.stdout.write(f"outbox: {outbox.retry_failed()} failed message(s) to try again")
        total = {"claimed": 0, "sent": 0, "retry": 0, "failed": 0, "unavailable": 0}
        while True:
            counts = outbox.dispatch(kinds=kind)
            for name, count in counts.items():
                total[name] += count
            if not counts["claimed"] or counts["unavailable"]:
                break
        self.stdout.write(
            "outbox: {sent} sent, {retry} to be tried again, {failed} failed, {unavailable} waiting for the far "
            "side".format(**total)
        )
        if total["unavailable"]:
            raise CommandError("the broker (or another far side) did not answer; the messages wait for it")
