"""`manage.py export_campaign CAMPAIGN_ID --format csv|xlsx --output PATH [--dialect plain|excel_da] [--user U]`.

A frozen retention campaign's file, exactly its snapshot: one row per household, header beginning
`campaign,loan_number,borrower_name,channel` (loanregister/campaigns/export.py). Logged like every export.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from loanregister.campaigns.export import FORMATS, CampaignExportError, campaign_export_write
from loanregister.campaigns.services import EXPORT
from loanregister.exports import DIALECTS
from loanregister.models import Campaign


class Command(BaseCommand):
    help = "Export a frozen retention campaign (its snapshot, one row per household) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int, help="the campaign's id")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--dialect",
            choices=sorted(DIALECTS),
            default="plain",
            help="CSV: plain (comma, decimal point) or excel_da (semicolon, decimal comma, BOM)",
        )
        parser.add_argument(
            "--user", help="export as this user (needs the campaign export permission); logged"
        )

    def handle(self, *args, campaign_id, fmt, output, dialect, user, **options):
        exporter = None
        if user:
            exporter = get_user_model().objects.filter(username=user).first()
            if exporter is None:
                raise CommandError(f"no user {user}")
            if not exporter.has_perm(EXPORT):
                raise CommandError(f"{user} may not export campaigns")
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"no campaign {campaign_id}")
        try:
            with open(output, "wb") as out:
                rows, _log = campaign_export_write(
                    campaign=campaign, out=out, fmt=fmt, dialect=dialect, user=exporter, file_name=output
                )
        except CampaignExportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{rows} rows written to {output}")
