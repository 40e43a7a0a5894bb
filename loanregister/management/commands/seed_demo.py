import datetime

from django.core.management.base import BaseCommand, CommandError

from loanregister.demo import DEFAULT_CHUNK, DEFAULT_SEED, seed_demo_book


class Command(BaseCommand):
    help = (
        "Seed a realistic, deterministic Danish demo loan book (borrowers, properties, loans, servicer "
        "assignments, register events, EUR rates). COPY on PostgreSQL: a million loans in minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loans", type=int, default=5000, help="Number of loans (default 5000).")
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED})."
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The book's 'today' (YYYY-MM-DD): maturities, balances and resets are dated from it.",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the book has loans.")
        parser.add_argument(
            "--without-ledger",
            action="store_true",
            help="Do not post the opening-balance entries to the servicing ledger (faster; for benchmarks).",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=DEFAULT_CHUNK, help="Loans generated per chunk."
        )

    def handle(
        self,
        *args,
        loans: int,
        seed: int,
        today,
        if_empty: bool,
        chunk_size: int,
        without_ledger: bool,
        **options,
    ):
        if loans < 1:
            raise CommandError("--loans must be at least 1")
        step = max(loans // 10, chunk_size)

        def progress(done: int) -> None:
            if done % step < chunk_size or done == loans:
                self.stdout.write(f"  {done:,} loans written")

        result = seed_demo_book(
            loans=loans,
            seed=seed,
            today=today,
            if_empty=if_empty,
            chunk_size=chunk_size,
            ledger=not without_ledger,
            progress=progress if options["verbosity"] > 1 or loans >= 100_000 else None,
        )
        if result.skipped:
            self.stdout.write("seed_demo: the book already has loans; nothing seeded (--if-empty).")
            return
        timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {result.loans:,} loans, {result.borrowers:,} borrowers, "
                f"{result.properties:,} properties, {result.opening_balances:,} opening balances, "
                f"{result.exchange_rates} EUR rates (seed {seed}; {timings})"
            )
        )
        for name, summary in result.extras.items():
            self.stdout.write(f"  {name}: {summary}")
