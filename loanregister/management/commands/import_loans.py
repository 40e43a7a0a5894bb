from common.file_import import FileImportCommand
from loanregister.loan_import import loans_import


class Command(FileImportCommand):
    help = (
        "Upsert the loan book by loan number from a CSV file (docs/import_loans.md). All-or-nothing: on any bad "
        "row every bad row is reported as 'line N: column: reason', nothing is written and the exit status is 1."
    )
    user_help = "username the loans' history names as the one who changed them"

    def run_import(self, *, file, user, file_name):
        return loans_import(file=file, user=user, file_name=file_name)

    def summary(self, result) -> str:
        return (
            f"{result.rows} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
