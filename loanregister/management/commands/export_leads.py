"""`manage.py export_leads [--status S] [--officer USERNAME] [--event KIND] --format csv|xlsx --output PATH`.

One row per lead (every status unless `--status` narrows it), ordered by event_date, loan_number, event; the header
begins `loan_number,event,event_date,officer,status`. Logged like every export (common.exports).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from loanregister.choices import LeadEvent, LeadStatus
from loanregister.leads.export import EXPORT_PERMISSION, FORMATS, leads_export_to_file


class Command(BaseCommand):
    help = (
        "Export leads as CSV or XLSX (every status unless --status), ordered by event date and loan number."
    )

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=LeadStatus.values, help="only leads in this status")
        parser.add_argument("--officer", help="only this officer's leads (user name)")
        parser.add_argument("--event", choices=LeadEvent.values, help="only leads of this event")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("--user", help="export as this user (needs the leads export permission); logged")

    def handle(self, *args, status, officer, event, fmt, output, user, **options):
        User = get_user_model()
        exporter = None
        if user:
            exporter = User.objects.filter(username=user).first()
            if exporter is None:
                raise CommandError(f"no user {user}")
            if not exporter.has_perm(EXPORT_PERMISSION):
                raise CommandError(f"{user} may not export leads")
        if officer and not User.objects.filter(username=officer).exists():
            raise CommandError(f"no user {officer}")
        rows, _log = leads_export_to_file(
            path=output, fmt=fmt, user=exporter, status=status, officer=officer, event=event
        )
        self.stdout.write(f"{rows} rows written to {output}")
