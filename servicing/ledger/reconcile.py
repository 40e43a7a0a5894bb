"""The proof that the cached `Loan.outstanding_balance` is the ledger's (SRV-4): `ledger_reconcile`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from common.bulk import chunked

from .balances import CENT, CHUNK, PRINCIPAL_ACCOUNTS


@dataclass(frozen=True)
class Mismatch:
    loan_id: int
    loan_number: str
    cached: Decimal
    ledger: Decimal


def ledger_reconcile(loan_ids: Iterable[int] | None = None) -> list[Mismatch]:
    """Prove the cached `Loan.outstanding_balance` agrees with the ledger; returns every loan where it does not.

    Set-based: one pass over the postings grouped by loan, hash-joined to the loans (no query per loan). An empty
    list is the proof. PostgreSQL sums the numeric amounts exactly, so any difference, to the cent, is a mismatch.
    """
    scopes: list[list[int] | None] = (
        [None] if loan_ids is None else list(chunked(sorted(set(loan_ids)), CHUNK))
    )
    principal = ", ".join(["%s"] * len(PRINCIPAL_ACCOUNTS))
    mismatches = []
    with connection.cursor() as cursor:
        for scope in scopes:
            in_scope = "" if scope is None else " AND {column} = ANY(%s)"
            scope_params = [] if scope is None else [scope]
            cursor.execute(
                f"""
                SELECT l.id, l.loan_number, l.outstanding_balance, COALESCE(s.total, 0)
                FROM loanregister_loan l
                LEFT JOIN (
                    SELECT loan_id,
                           SUM(CASE WHEN debit_account IN ({principal}) THEN amount ELSE 0 END)
                           - SUM(CASE WHEN credit_account IN ({principal}) THEN amount ELSE 0 END) AS total
                    FROM servicing_posting WHERE TRUE{in_scope.format(column="loan_id")}
                    GROUP BY loan_id
                ) s ON s.loan_id = l.id
                WHERE l.outstanding_balance <> COALESCE(s.total, 0){in_scope.format(column="l.id")}
                ORDER BY l.id
                """,
                [*PRINCIPAL_ACCOUNTS, *PRINCIPAL_ACCOUNTS, *scope_params, *scope_params],
            )
            for pk, number, cached, ledger in cursor.fetchall():
                mismatches.append(Mismatch(pk, number, cached.quantize(CENT), ledger.quantize(CENT)))
    return mismatches
