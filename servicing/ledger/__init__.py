"""The ledger's services (SRV-1, SRV-4): post, apply payments by the waterfall, reverse, read balances, reconcile.

One module per concern; import from here, the package's stable API:

- `balances`: reading (`loan_balances`, `ledger_balances`, `ledger_trial_balance`, `Balances`);
- `posting`: the one way a posting is written (`write_postings`, `postings_insert_select`), the owner of the cached
  `Loan.outstanding_balance`, and the services `posting_create`, `posting_reverse`, `installment_due_post`,
  `property_category_change_post`, with the rule `posting_can_be_reversed`;
- `idempotency`: the one check by external id (`posting_already_made`);
- `waterfall`: payments (`payment_post`, `suspense_apply`, `waterfall_for`, `waterfall_split`,
  `suspense_can_be_applied`);
- `opening`: what a loan import brings (`opening_balances_post`, the `loans_imported` hook);
- `reconcile`: the proof that the cached balance is the ledger's (`ledger_reconcile`).

docs/ledger.md explains the accounts, the kinds and the rules.
"""

from .balances import (
    CENT,
    PRINCIPAL_ACCOUNTS,
    ZERO,
    Balances,
    ledger_balances,
    ledger_trial_balance,
    loan_balances,
    principal_effect,
)
from .idempotency import (
    ExternalIdConflict,
    PostingContent,
    posted_amount,
    posting_already_made,
    postings_by_external_id,
)
from .opening import OPENING_PREFIX, opening_balance_external_id, opening_balances_post
from .posting import (
    KIND_ACCOUNTS,
    PRICED_KINDS,
    installment_due_post,
    ledger_batch,
    posting_can_be_reversed,
    posting_create,
    posting_reverse,
    postings_insert_select,
    property_category_change_post,
    write_postings,
)
from .reconcile import Mismatch, ledger_reconcile
from .waterfall import (
    Application,
    WaterfallRule,
    payment_post,
    suspense_apply,
    suspense_can_be_applied,
    waterfall_for,
    waterfall_split,
)

__all__ = [
    "CENT",
    "KIND_ACCOUNTS",
    "OPENING_PREFIX",
    "PRICED_KINDS",
    "PRINCIPAL_ACCOUNTS",
    "ZERO",
    "Application",
    "Balances",
    "ExternalIdConflict",
    "Mismatch",
    "PostingContent",
    "WaterfallRule",
    "installment_due_post",
    "ledger_balances",
    "ledger_batch",
    "ledger_reconcile",
    "ledger_trial_balance",
    "loan_balances",
    "opening_balance_external_id",
    "opening_balances_post",
    "payment_post",
    "posted_amount",
    "posting_already_made",
    "posting_can_be_reversed",
    "posting_create",
    "posting_reverse",
    "postings_by_external_id",
    "postings_insert_select",
    "principal_effect",
    "property_category_change_post",
    "suspense_apply",
    "suspense_can_be_applied",
    "waterfall_for",
    "waterfall_split",
    "write_postings",
]
