from common.file_import import FileImportCommand
from common.rates_import import exchange_rates_import


class Command(FileImportCommand):
    help = (
        "Import Nationalbanken-style exchange rates (DKK per 100 units) from a CSV file with columns "
        "date,currency,rate (docs/import_exchange_rates.md). All-or-nothing; every bad row reported."
    )
    takes_user = False

    def run_import(self, *, file, user, file_name):
        return exchange_rates_import(file=file, user=user, file_name=file_name)

    def summary(self, result) -> str:
        return (
            f"{result.rows} rates: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
