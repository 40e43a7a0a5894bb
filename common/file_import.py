"""The shape every file-import command shares (docs/requirements.md §3): a FILE, an acting user, every bad row on
standard error as `line N: column: reason`, exit status 1 and nothing written, or a one-line summary. A notice of
the reader (a file read as Windows-1252) goes to standard error first, whether the import succeeded or not."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from common.users import SYSTEM_USERNAME, system_user


class FileImportCommand(BaseCommand):
    user_help = "username recorded as the one who made the change"
    takes_user = True
    nothing_written = "nothing was imported"

    def run_import(self, *, file, user, file_name: str) -> Any:
        """Call the import service; the result has `ok`, `errors` and `notices` (lines) and what `summary`
        reads."""
        raise NotImplementedError

    def summary(self, result) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV file, comma or semicolon delimited; UTF-8 (Windows-1252 is read, with a notice)"
        )
        if self.takes_user:
            parser.add_argument(
                "--user", default=SYSTEM_USERNAME, help=f"{self.user_help} (default: {SYSTEM_USERNAME})"
            )

    @no_translations  # `line N: column: reason` in English: other systems read it
    def handle(self, *args, file: str, user: str = SYSTEM_USERNAME, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        acting_user = self._user(user)
        with path.open("rb") as handle:
            result = self.run_import(file=handle, user=acting_user, file_name=path.name)
        for notice in result.notices:
            self.stderr.write(self.style.WARNING(f"{path.name}: {notice}"))
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(
                f"{path.name}: {len(result.errors)} error(s); {self.nothing_written}", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {self.summary(result)}"))

    def _user(self, username: str):
        if username == SYSTEM_USERNAME:
            return system_user()
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"--user {username}: no such user") from None
