"""Writes to the loan book that other parts build on, and to the user's preferences (the reads are in selectors.py)."""

from collections.abc import Iterable

from django.db import connection, transaction

from common.bulk import chunked

from .choices import LoanStatus, RegisterEventKind
from .models import UserPreference
from .preferences import language_is_supported
from .register_cache import bump_version

# (event kind, the loan column that dates it)
_EVENT_SOURCES = [
    (RegisterEventKind.MATURITY, "maturity_date"),
    (RegisterEventKind.RATE_RESET, "rate_reset_date"),
    (RegisterEventKind.INTEREST_ONLY_END, "interest_only_until"),
]
_CHUNK = 5000


# Loan columns copied onto each of its register events (RegisterEvent's docstring says why).
_COPIED = [
    "loan_number",
    "status",
    "loan_type",
    "currency",
    "outstanding_balance",
    "recourse",
    "borrower_id",
    "office_id",
    "officer_id",
    "servicer_id",
]


def _changed() -> str:
    """SQL true when the stored event differs from the incoming row (NULL-safe), so unchanged rows are not rewritten."""
    columns = ["event_date", *_COPIED]
    return " OR ".join(f"loanregister_registerevent.{c} IS DISTINCT FROM excluded.{c}" for c in columns)


@transaction.atomic
def register_events_sync(*, loan_ids: Iterable[int] | None = None) -> None:
    """Bring the register events (REG-1, REG-3) in step with their loans, set-based.

    One upsert per event kind: an unchanged event keeps its row (and id, so keyset pages stay stable); an event
    whose date went away, or whose loan is no longer active, is deleted. The loan's filterable fields (loan
    number, status, type, currency, balance, recourse, borrower, office, officer, servicer) are copied onto the
    event, so call this after any write that changes them, balances included. `loan_ids=None` syncs the whole book.
    """
    scopes: list[list[int] | None] = (
        [None] if loan_ids is None else list(chunked(sorted(set(loan_ids)), _CHUNK))
    )
    copied = ", ".join(_COPIED)
    copied_from_loan = ", ".join(f"l.{c}" for c in _COPIED)
    update_set = ", ".join(f"{c} = excluded.{c}" for c in ["event_date", *_COPIED])
    with connection.cursor() as cursor:
        changed = _changed()
        for ids in scopes:
            if ids is not None and not ids:
                continue
            scope_sql = "" if ids is None else f" AND l.id IN ({', '.join(['%s'] * len(ids))})"
            scope_params = [] if ids is None else list(ids)
            for kind, column in _EVENT_SOURCES:
                cursor.execute(
                    f"""
                    INSERT INTO loanregister_registerevent (loan_id, kind, event_date, {copied})
                    SELECT l.id, %s, l.{column}, {copied_from_loan} FROM loanregister_loan l
                    WHERE l.status = %s AND l.{column} IS NOT NULL{scope_sql}
                    ON CONFLICT (loan_id, kind) DO UPDATE SET {update_set}
                    WHERE {changed}
                    """,
                    [kind.value, LoanStatus.ACTIVE.value, *scope_params],
                )
                cursor.execute(
                    f"""
                    DELETE FROM loanregister_registerevent
                    WHERE kind = %s AND loan_id IN (
                        SELECT l.id FROM loanregister_loan l
                        WHERE (l.status <> %s OR l.{column} IS NULL){scope_sql}
                    )
                    """,
                    [kind.value, LoanStatus.ACTIVE.value, *scope_params],
                )
    bump_version()  # cached register totals of the old contents are never read again


def user_language_set(*, user, language: str) -> UserPreference:
    """Remember `language` for `user`; `UserLanguageMiddleware` then applies it on whatever browser they use."""
    if not language_is_supported(language):
        raise ValueError(f"unsupported language {language!r}")
    preference, _created = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference
