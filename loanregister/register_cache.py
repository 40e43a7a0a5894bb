"""A version number for the register's contents, so that aggregates of it can be cached without going stale.

`register_events_sync` (the only writer of register events) bumps the version inside its transaction and again
after commit. A reader takes the version before it aggregates and caches under it: a result computed from data
that a later commit changed is filed under a version that no longer is current, so it is never read again.
The version is a sequence (no row lock, so concurrent syncs do not queue on it). It lives in PostgreSQL and the
cache is shared (Redis, or the database's cache table: config/settings.py CACHES), so a write in one worker process
makes the totals every other process cached unreachable at once (tests/loanregister/test_register_cache.py).
"""

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Borrower

SEQUENCE = "loanregister_register_version"
CREATE_SQL = f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}"
TIMEOUT = 300  # seconds; bounds staleness from writes that bypass the sync (e.g. a cascade delete of a loan)


def current_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")
        last_value, is_called = cursor.fetchone()
    return int(last_value) if is_called else 0


def _bump() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")


def bump_version() -> None:
    """Call inside the writing transaction: bumps now (nextval is not transactional) and after commit."""
    _bump()
    transaction.on_commit(_bump)


@receiver(post_save, sender=Borrower, dispatch_uid="register_version_borrower_changed")
def _borrower_changed(sender, instance: Borrower, created: bool, **kwargs) -> None:
    """A borrower marked (or no longer marked) do-not-contact changes what the register's export note counts
    (register.do_not_contact_in, from the mark copied onto the events): sync the borrower's loans, which also
    bumps the version. Borrowers are saved one by one rarely (the admin); the import writes in bulk and syncs
    its loans itself."""
    if created:
        return
    from .models import Loan
    from .services import register_events_sync

    loan_ids = list(Loan.objects.filter(borrower=instance).values_list("id", flat=True))
    if loan_ids:
        register_events_sync(loan_ids=loan_ids)
