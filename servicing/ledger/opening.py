"""Opening balances: a loan brought in by the loan import starts its ledger with a migration entry (SRV-4).

The import (loanregister) owns no balance once a loan exists: it sets the outstanding balance of a loan it
creates, and hands a new figure for a loan that exists to the apps through `common.hooks.loans_imported`.
Servicing registers `opening_balances_post` there (servicing/apps.py), which books both into the ledger:
the new loan's balance as an opening posting, the existing loan's new figure as a migration entry for the
difference, through the ledger's posting service (which then moves the cached balance).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.bulk import chunked
from loanregister.models import Loan

from ..models import Account, Posting, PostingKind
from .balances import CHUNK, loan_balances
from .posting import ledger_batch, lock_loan, postings_insert_select, property_category_of, write_postings

OPENING_PREFIX = "opening:"


def opening_balance_external_id(loan_number: str) -> str:
    return f"{OPENING_PREFIX}{loan_number}"


@transaction.atomic
def opening_balances_post(
    *, loan_ids: Iterable[int] | None, user=None, balances: dict[int, Decimal] | None = None
) -> int:
    """Book what a loan import brought (the `loans_imported` hook); returns how many postings were made.

    - A loan with an outstanding balance and no posting at all gets an opening-balance posting (a migration
      entry, never a lending flow) of its cached balance as of its balance date (its origination date without
      one), external id `opening:<loan number>`. Set-based: one `INSERT … SELECT` per chunk of ids
      (`loan_ids=None`: the whole book in one statement); the cached balance already is the amount.
    - `balances`: the file's new figure for loans that exist (by id), as of their balance date. The ledger gets
      a migration entry for the difference between the figure and the ledger's balance on that date, and the
      cached balance moves with it (what was posted after that date still counts). A figure the ledger already
      has on that date posts nothing, so re-importing a file posts nothing twice.
    """
    user_id = user.pk if user is not None and getattr(user, "pk", None) else None
    scopes: list[list[int] | None] = (
        [None] if loan_ids is None else list(chunked(sorted(set(loan_ids)), CHUNK))
    )
    created = 0
    for scope in scopes:
        created += postings_insert_select(
            f"""
            SELECT l.id, %s, COALESCE(l.balance_date, l.origination_date), l.outstanding_balance, l.currency,
                   %s, %s, NULL, COALESCE(p.category, ''), '', '', %s || l.loan_number, NULL, NULL, %s, %s
            FROM loanregister_loan l
            LEFT JOIN loanregister_property p ON p.id = l.property_id
            WHERE l.outstanding_balance > 0{"" if scope is None else " AND l.id = ANY(%s)"}
              AND NOT EXISTS (SELECT 1 FROM servicing_posting x WHERE x.loan_id = l.id)
            ORDER BY l.id
            """,
            [
                PostingKind.OPENING_BALANCE.value,
                Account.PRINCIPAL.value,
                Account.OPENING.value,
                OPENING_PREFIX,
                timezone.now(),
                user_id,
                *([] if scope is None else [scope]),
            ],
        )
    if balances:
        created += _opening_true_up(balances=balances, user=user)
    return created


def _opening_true_up(*, balances: dict[int, Decimal], user) -> int:
    """A migration entry per loan whose ledger disagrees with the file's figure on the balance date."""
    with_postings = set(
        Posting.objects.filter(loan_id__in=list(balances)).values_list("loan_id", flat=True).distinct()
    )
    made = 0
    with ledger_batch():  # one register sync at the end, for every loan trued up
        for pk in sorted(balances):  # row locks in id order, as every multi-loan writer takes them
            made += _true_up(lock_loan(Loan(pk=pk)), balances[pk], first=pk not in with_postings, user=user)
    return made


def _true_up(loan: Loan, figure: Decimal, *, first: bool, user) -> int:
    day: date = loan.balance_date or loan.origination_date
    difference = figure - loan_balances(loan=loan, as_of=day).outstanding_principal
    if difference == 0:
        return 0
    debit, credit = (
        (Account.PRINCIPAL, Account.OPENING) if difference > 0 else (Account.OPENING, Account.PRINCIPAL)
    )
    posting = Posting(
        kind=PostingKind.OPENING_BALANCE,
        effective_date=day,
        amount=abs(difference),
        debit_account=debit,
        credit_account=credit,
        property_category=property_category_of(loan),
        # The first posting of a loan is its opening balance; a later one says where its figure came from
        # (data, not a message: the same in every language, as a category change's note).
        external_id=opening_balance_external_id(loan.loan_number) if first else None,
        note="" if first else f"loan file: {figure} as of {day.isoformat()}",
    )
    # The file says the status (its own column): a migration entry moves the balance only.
    write_postings(loan, [posting], user=user, status_follows=False)
    return 1
