"""Writes to the loan book that other parts build on, and to the user's preferences (the reads are in selectors.py)."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.bulk import bulk_change, chunked

from . import register_sums
from .choices import LoanStatus, RegisterEventKind
from .models import Loan, Servicer, UserPreference
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
    columns = ["event_date", *_COPIED, "borrower_do_not_contact"]
    return " OR ".join(f"loanregister_registerevent.{c} IS DISTINCT FROM excluded.{c}" for c in columns)


@transaction.atomic
def register_events_sync(*, loan_ids: Iterable[int] | None = None) -> None:
    """Bring the register events (REG-1, REG-3) in step with their loans, set-based.

    One upsert per event kind: an unchanged event keeps its row (and id, so keyset pages stay stable); an event
    whose date went away, or whose loan is no longer active, is deleted. The loan's filterable fields (loan
    number, status, type, currency, balance, recourse, borrower, office, officer, servicer) and the borrower's
    do-not-contact mark are copied onto the event, so call this after any write that changes them, balances
    included (a borrower saved through the ORM syncs their loans: register_cache's receiver). `loan_ids=None` syncs the whole book.
    """
    scopes: list[list[int] | None] = (
        [None] if loan_ids is None else list(chunked(sorted(set(loan_ids)), _CHUNK))
    )
    copied = ", ".join([*_COPIED, "borrower_do_not_contact"])
    copied_from_loan = ", ".join([*(f"l.{c}" for c in _COPIED), "COALESCE(b.do_not_contact, false)"])
    update_set = ", ".join(f"{c} = excluded.{c}" for c in ["event_date", *_COPIED, "borrower_do_not_contact"])
    with connection.cursor() as cursor:
        changed = _changed()
        delta: dict = {}  # the maintained aggregate's change (loanregister/register_sums.py), applied once at the end
        for ids in scopes:
            if ids is not None and not ids:
                continue
            before = register_sums.sums_of_loans(cursor, ids) if ids is not None else None
            scope_sql = "" if ids is None else f" AND l.id IN ({', '.join(['%s'] * len(ids))})"
            scope_params = [] if ids is None else list(ids)
            for kind, column in _EVENT_SOURCES:
                cursor.execute(
                    f"""
                    INSERT INTO loanregister_registerevent (loan_id, kind, event_date, {copied})
                    SELECT l.id, %s, l.{column}, {copied_from_loan} FROM loanregister_loan l
                    LEFT JOIN loanregister_borrower b ON b.id = l.borrower_id
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
            if ids is not None:
                for key, (n, balance) in register_sums.difference(
                    before, register_sums.sums_of_loans(cursor, ids)
                ).items():
                    total = delta.setdefault(key, [0, 0])
                    total[0] += n
                    total[1] += balance
        if loan_ids is None:
            register_sums.rebuild(cursor)
        else:
            register_sums.apply_delta(cursor, {k: v for k, v in delta.items() if v[0] or v[1]})
    bump_version()  # cached register totals of the old contents are never read again


def own_servicer_get_or_create() -> Servicer:
    """Our own servicer: the one marked as our own. Made as migration 0010_own_servicer makes it when there is
    none (a database wiped since, or whose mark was taken off in admin): the servicer with the code
    OWN_SERVICER_CODE is marked, or else created with OWN_SERVICER_NAME."""
    own = Servicer.objects.filter(is_own=True).first()
    if own is not None:
        return own
    servicer, _created = Servicer.objects.get_or_create(
        code=settings.OWN_SERVICER_CODE, defaults={"name": settings.OWN_SERVICER_NAME, "is_own": True}
    )
    if not servicer.is_own:
        servicer.is_own = True
        servicer.save(update_fields=["is_own"])
    return servicer


def user_language_set(*, user, language: str) -> UserPreference:
    """Remember `language` for `user`; `UserLanguageMiddleware` then applies it on whatever browser they use."""
    if not language_is_supported(language):
        raise ValueError(f"unsupported language {language!r}")
    preference, _created = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


@transaction.atomic
def loan_status_set(
    *,
    status: str,
    reason: str,
    user=None,
    loan: Loan | None = None,
    loan_ids: Iterable[int] | None = None,
) -> list[int]:
    """The one writer of `Loan.status` (docs/ledger.md, "Who owns the loan's cached facts"): set the status of
    one loan (`loan`, whose instance is updated too) or many (`loan_ids`); returns the ids that changed.

    Set-based: the loans are locked in id order, those with another status written in one statement, with a `~`
    history record each naming `user` and `reason` (the history's change reason), and the register is brought in
    step (a loan that is no longer active leaves it). The servicing ledger (paid off, active again), recovery
    (defaulted, charged off, paid off) and the loan import (the file's status column) call this.
    """
    if status not in LoanStatus.values:
        raise ValueError(f"unknown loan status {status!r}")
    ids = [loan.pk] if loan is not None else sorted(set(loan_ids or ()))
    changed: list[Loan] = []
    for chunk in chunked(ids, _CHUNK):
        rows = (
            Loan.objects.filter(pk__in=chunk)
            .exclude(status=status)
            .order_by("pk")
            .select_for_update(of=("self",))
            .only("pk", "status", "updated_at")
        )
        for row in rows:
            row.status = status
            changed.append(row)
    now = timezone.now()
    history_user = user if getattr(user, "pk", None) else None
    bulk_change(changed, Loan, ["status"], user=history_user, now=now, reason=reason[:100] or None)
    if loan is not None:
        loan.status = status
        if changed:
            loan.updated_at = now
    changed_ids = [row.pk for row in changed]
    if changed_ids:
        register_events_sync(loan_ids=changed_ids)
    return changed_ids
