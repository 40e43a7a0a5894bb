"""`export_reminders --from D --to D --format csv|xlsx --output PATH [--user NAME]`: the reminders sent.

One row per reminder sent in the window (`sent_on`: the business date of the run that sent it or handed it to the
mail room; `due_date`: the unpaid due date it is about), ordered by sent_on, loan_number, due_date, then the step's
days; the header begins `loan_number,due_date,step,channel,sent_on`. Logged like every export. docs/collections.md.
"""

from django.core.management.base import BaseCommand, CommandError

from servicing.collections.exports import FORMATS, CollectionsExportError, reminders_export_to_file

from .export_delinquency import exporting_user, parse_date


class Command(BaseCommand):
    help = "Export the collection reminders sent from one business date to another."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first business date, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last business date, YYYY-MM-DD")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--user", help="export as this user (needs the collections export permission); logged"
        )

    def handle(self, *args, date_from, date_to, fmt, output, user, **options):
        start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
        try:
            rows, _log = reminders_export_to_file(
                path=output, fmt=fmt, date_from=start, date_to=end, user=exporting_user(user)
            )
        except CollectionsExportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{rows} rows written to {output}")
