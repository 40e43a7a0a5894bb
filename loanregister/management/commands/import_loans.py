from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from loanregister.loan_import import SYSTEM_USERNAME, loans_import, system_user


class Command(BaseCommand):
    help = (
        "Upsert the loan book by loan number from a CSV file (docs/import_loans.md). All-or-nothing: on any bad "
        "row every bad row is reported as 'line N: column: reason', nothing is written and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV file, comma or semicolon delimited")
        parser.add_argument(
            "--user",
            default=SYSTEM_USERNAME,
            help=f"username the loans' history names as the one who changed them (default: {SYSTEM_USERNAME})",
        )

    @no_translations  # `line N: column: reason` in English: other systems read it
    def handle(self, *args, file: str, user: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        acting_user = self._user(user)
        with path.open("rb") as handle:
            result = loans_import(file=handle, user=acting_user, file_name=path.name)
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(
                f"{path.name}: {len(result.errors)} error(s); nothing was imported", returncode=1
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
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
