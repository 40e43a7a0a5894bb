from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from loanregister.loan_import import system_user
from stats.rates_import import exchange_rates_import


class Command(BaseCommand):
    help = (
        "Import Nationalbanken-style exchange rates (DKK per 100 units) from a CSV file with columns "
        "date,currency,rate (docs/import_exchange_rates.md). All-or-nothing; every bad row reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV file, comma or semicolon delimited")

    @no_translations  # `line N: column: reason` in English: other systems read it
    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        with path.open("rb") as handle:
            result = exchange_rates_import(file=handle, user=system_user(), file_name=path.name)
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(
                f"{path.name}: {len(result.errors)} error(s); nothing was imported", returncode=1
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rates: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
            )
        )
