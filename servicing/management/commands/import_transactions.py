from common.file_import import FileImportCommand
from servicing.transaction_import import transactions_import


class Command(FileImportCommand):
    help = (
        "Post ledger transactions from a CSV file (docs/import_transactions.md). All-or-nothing: on any bad row "
        "every bad row is reported as 'line N: column: reason', nothing is posted and the exit status is 1. "
        "A transaction id already posted is never posted again."
    )
    user_help = "username the postings name as their author"
    nothing_written = "nothing was posted"

    def run_import(self, *, file, user, file_name):
        return transactions_import(file=file, user=user, file_name=file_name)

    def summary(self, result) -> str:
        return f"{result.rows} rows: {result.posted} posted, {result.unchanged} already posted"
