"""`lending_stats --month YYYY-MM [--format csv|json] [--recompute] [--reconcile] [--close]`: the month's lending
statistics by property category and loan type on standard output (docs/statistics.md). Exit status 1 with the
reason on an error; with --reconcile, exit status 1 when the reconciliation does not hold."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from common.models import ExportLog

from ...exports import statistics_export
from ...figures import Month, StatsError
from ...models import Computation
from ...reconcile import month_reconcile, reconciliation_text
from ...services import month_close, month_recompute, month_report


class Command(BaseCommand):
    help = (
        "The month's lending statistics (udlånsstatistik) by property category and loan type: a closed month's "
        "stored figures unless --recompute. --reconcile prints the month's reconciliation instead (exit status 1 "
        "when it does not hold); --close stores the figures and closes the month (with --recompute: replaces them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--recompute", action="store_true", help="compute afresh, not the stored figures")
        parser.add_argument("--reconcile", action="store_true", help="print the month's reconciliation")
        parser.add_argument("--close", action="store_true", help="store the figures and close the month")
        parser.add_argument("--user", help="who runs it (a username), for the export log and the provenance")

    def handle(self, *args, **options):
        translation.activate("en")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        try:
            month = Month.parse(options["month"])
            if options["close"]:
                if options["recompute"]:
                    month_recompute(month=month, user=None, source=Computation.Source.COMMAND)
                else:
                    month_close(month=month, user=None, source=Computation.Source.COMMAND)
            if options["reconcile"]:
                reconciliation = month_reconcile(month)
                self.stdout.write(reconciliation_text(reconciliation), ending="")
                if not reconciliation.holds:
                    raise CommandError(f"the reconciliation of {month.label} does not hold")
                return
            result, _stored = month_report(month, recompute=options["recompute"])
        except StatsError as error:
            raise CommandError(str(error)) from error
        data, _name = statistics_export(
            result=result,
            fmt=options["format"],
            user=user,
            source=ExportLog.Source.COMMAND,
            recompute=options["recompute"],
        )
        self.stdout.write(data.decode("utf-8"), ending="")
