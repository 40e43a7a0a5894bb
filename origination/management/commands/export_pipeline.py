"""`manage.py export_pipeline --format csv|xlsx --output PATH [--user U]`: the application pipeline (docs/origination.md).

Header begins `application_number,office,state,entered_state_on,requested_amount,currency,product`; ordered by
office, the workflow's order of states, entered_state_on, application_number. Logged like every export.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from origination.export import EXPORT_PERMISSION, FORMATS, pipeline_export_to_file


class Command(BaseCommand):
    help = "Export the application pipeline as CSV or XLSX, by office and the workflow's order of states."

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--user", help="export as this user (needs the pipeline export permission); logged"
        )

    def handle(self, *args, fmt, output, user, **options):
        exporter = None
        if user:
            exporter = get_user_model().objects.filter(username=user).first()
            if exporter is None:
                raise CommandError(f"no user {user}")
            if not exporter.has_perm(EXPORT_PERMISSION):
                raise CommandError(f"{user} may not export the pipeline")
        try:
            rows, _log = pipeline_export_to_file(path=output, fmt=fmt, user=exporter)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from exc
        self.stdout.write(f"{rows} rows written to {output}")
