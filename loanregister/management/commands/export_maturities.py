"""`manage.py export_maturities --from D --to D [filters] --format csv|xlsx --output PATH`: the campaign list the
web export gives, made by the same code (loanregister.exports) and logged the same way (ExportLog).

Both dates are inclusive. Rows are ordered by event_date, then loan_number (see docs/register.md).
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.models import ExportLog
from loanregister import exports, register
from loanregister.choices import LoanType, RegisterEventKind
from loanregister.models import Office, Servicer


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not an ISO date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Export the maturity register's events in a date window (both dates inclusive) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="date_from", required=True, type=_date, help="first date, YYYY-MM-DD"
        )
        parser.add_argument("--to", dest="date_to", required=True, type=_date, help="last date, YYYY-MM-DD")
        parser.add_argument(
            "--kind", action="append", choices=RegisterEventKind.values, help="event kind (repeatable)"
        )
        parser.add_argument(
            "--loan-type", action="append", choices=LoanType.values, help="loan type (repeatable)"
        )
        parser.add_argument("--office", help="office code")
        parser.add_argument("--servicer", help="servicer code")
        parser.add_argument("--officer", help="responsible officer's user name")
        parser.add_argument("--currency", help="ISO currency code, e.g. EUR")
        parser.add_argument(
            "--include-do-not-contact", action="store_true", help="keep borrowers marked do-not-contact"
        )
        parser.add_argument("--dialect", choices=sorted(exports.DIALECTS), default="plain")
        parser.add_argument("--format", dest="fmt", choices=exports.FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--user",
            help="export as this user: needs the export permission; contact details only if the user may see them",
        )

    def handle(self, *args, **options):
        if options["date_to"] < options["date_from"]:
            raise CommandError("--to is before --from")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']}")
            if not exports.can_export(user):
                raise CommandError(f"{user.username} may not export the register")
        data: dict = {
            "date_from": options["date_from"].isoformat(),
            "date_to": options["date_to"].isoformat(),
        }
        if options["kind"]:
            data["kind"] = options["kind"]
        if options["loan_type"]:
            data["loan_type"] = options["loan_type"]
        if options["office"]:
            office = Office.objects.filter(code=options["office"]).first()
            if office is None:
                raise CommandError(f"no office with code {options['office']}")
            data["office"] = office.pk
        if options["servicer"]:
            servicer = Servicer.objects.filter(code=options["servicer"]).first()
            if servicer is None:
                raise CommandError(f"no servicer with code {options['servicer']}")
            data["servicer"] = servicer.pk
        if options["officer"]:
            data["officer"] = options["officer"]
        if options["currency"]:
            data["currency"] = options["currency"]
        filterset = register.register_filterset(data=data)
        if not filterset.is_valid():
            raise CommandError(filterset.errors.as_text())
        try:
            export = exports.export_start(
                events=register.register_events(filterset=filterset),
                user=user,
                fmt=options["fmt"],
                dialect=options["dialect"],
                include_do_not_contact=options["include_do_not_contact"],
                filters=filterset.data,
                source=ExportLog.Source.COMMAND,
            )
        except exports.ExportError as error:
            raise CommandError(str(error)) from error
        rows = exports.export_to_file(export, options["output"])
        self.stdout.write(f"{rows} rows written to {options['output']}")
