"""A realistic Danish demo loan book, deterministic for a seed, fast enough for a million loans.

`seed_demo_book` sets up the reference data (offices, servicers, loan officers, EUR rates) through the ORM,
then generates borrowers, properties, loans and their servicer assignments in chunks from one
`random.Random(seed)` stream and writes each chunk with COPY (psycopg2 `copy_expert`), followed by the chunk's
register events (a plain INSERT … SELECT, as `register_events_sync` would write them for new loans); the
register's aggregate is rebuilt once at the end. Loan history rows are not written: a seeded book has no past
edits.

The same seed and `today` give the same rows (ids and creation timestamps aside); nothing reads the global RNG,
the clock (except the default `today`) or uuid4.
"""

from .load import SeedResult, seed_demo_book, seed_exchange_rates
from .reference import BULK_LOAD_THRESHOLD, DEFAULT_CHUNK, DEFAULT_SEED

__all__ = [
    "BULK_LOAD_THRESHOLD",
    "DEFAULT_CHUNK",
    "DEFAULT_SEED",
    "SeedResult",
    "seed_demo_book",
    "seed_exchange_rates",
]
