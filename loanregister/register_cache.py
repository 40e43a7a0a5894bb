"""A version number for the register's contents, so that aggregates of it can be cached without going stale.

`register_events_sync` (the only writer of register events) bumps the version inside its transaction and again
after commit. A reader takes the version before it aggregates and caches under it: a result computed from data
that a later commit changed is filed under a version that no longer is current, so it is never read again.
The version is a sequence (no row lock, so concurrent syncs do not queue on it). It lives in PostgreSQL and the
cache is shared (Redis, or the database's cache table: config/settings.py CACHES), so a write in one worker process
makes the totals every other process cached unreachable at once (tests/loanregister/test_register_cache.py).
"""

import contextlib
import threading
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Borrower

SEQUENCE = "loanregister_register_version"
CREATE_SQL = f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}"
TIMEOUT = 300  # seconds; bounds staleness from writes that bypass the sync (e.g. a cascade delete of a loan)


# Inside `one_reading()`, the version as first read there (a register page's totals and its export note each key a
# cache entry by it: one read instead of two per page, issue 9 target 4). Keeping the first reading is safe: a
# result computed later in the block is filed under a version no newer than the data it read. A bump in this
# thread forgets it, so a block that writes and then reads sees its own write.
class _Held(threading.local):
    active: bool = False
    version: int | None = None


_held = _Held()


@contextlib.contextmanager
def one_reading() -> Iterator[None]:
    """Read the version at most once in the block (in this thread); blocks nest."""
    outer = _held.active
    _held.active = True
    try:
        yield
    finally:
        if not outer:
            _held.active, _held.version = False, None


def current_version() -> int:
    held = _held.active
    if held and _held.version is not None:
        return _held.version
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")
        last_value, is_called = cursor.fetchone()
    version = int(last_value) if is_called else 0
    if held:
        _held.version = version
    return version


def _bump() -> None:
    _held.version = None
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
