from django.core.management.base import BaseCommand, CommandError

from servicing.ledger import ledger_reconcile, ledger_trial_balance


class Command(BaseCommand):
    help = (
        "Prove every loan's cached outstanding balance agrees with its ledger, and that the ledger's trial balance "
        "is zero (docs/ledger.md). Lists each disagreement; exit status 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loan", action="append", default=[], help="a loan id (repeatable); default: all"
        )

    def handle(self, *args, loan: list[str], **options):
        mismatches = ledger_reconcile(loan_ids=[int(pk) for pk in loan] if loan else None)
        for item in mismatches:
            self.stderr.write(f"{item.loan_number}: cached {item.cached}, ledger {item.ledger}")
        trial = sum(ledger_trial_balance().values())
        if trial != 0:
            self.stderr.write(f"trial balance is {trial}, not 0")
        if mismatches or trial != 0:
            raise CommandError(f"{len(mismatches)} loan(s) disagree with the ledger", returncode=1)
        self.stdout.write(self.style.SUCCESS("The ledger and the cached balances agree."))
