"""`export_delinquency --date D --format csv|xlsx --output PATH [--user NAME]`: the delinquent loans as of D.

One row per active or defaulted loan we service with days past due ≥ 1 as of D, ordered by days past due
descending, then loan number; the header begins `loan_number,oldest_unpaid_due_date,days_past_due,amount_past_due,
bucket`. Logged like every export (common.exports). docs/collections.md.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from servicing.collections.exports import EXPORT_PERMISSION, FORMATS, delinquency_export_to_file


def parse_date(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: not a date YYYY-MM-DD: {value}") from None


def exporting_user(name: str | None):
    if not name:
        return None
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise CommandError(f"no user {name}")
    if not user.has_perm(EXPORT_PERMISSION):
        raise CommandError(f"{name} may not export collections data")
    return user


class Command(BaseCommand):
    help = "Export the delinquent loans (days past due ≥ 1) as of a date, most days past due first."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="as of this date, YYYY-MM-DD")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument(
            "--user", help="export as this user (needs the collections export permission); logged"
        )

    def handle(self, *args, date, fmt, output, user, **options):
        as_of = parse_date(date, "--date")
        rows, _log = delinquency_export_to_file(path=output, fmt=fmt, as_of=as_of, user=exporting_user(user))
        self.stdout.write(f"{rows} rows written to {output}")
