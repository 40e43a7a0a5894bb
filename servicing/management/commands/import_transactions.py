from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from loanregister.loan_import import SYSTEM_USERNAME, system_user
from servicing.transaction_import import transactions_import


class Command(BaseCommand):
    help = (
        "Post ledger transactions from a CSV file (docs/import_transactions.md). All-or-nothing: on any bad row "
        "every bad row is reported as 'line N: column: reason', nothing is posted and the exit status is 1. "
        "A transaction id already posted is never posted again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV file, comma or semicolon delimited")
        parser.add_argument(
            "--user",
            default=SYSTEM_USERNAME,
            help=f"username the postings name as their author (default: {SYSTEM_USERNAME})",
        )

    def handle(self, *args, file: str, user: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        acting_user = self._user(user)
        with path.open("rb") as handle:
            result = transactions_import(file=handle, user=acting_user, file_name=path.name)
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(
                f"{path.name}: {len(result.errors)} error(s); nothing was posted", returncode=1
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows: {result.posted} posted, {result.unchanged} already posted"
            )
        )

    def _user(self, username: str):
        if username == SYSTEM_USERNAME:
            return system_user()
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"--user {username}: no such user") from None
