"""The one idempotency check by external id: has this transaction been posted already, and with what content?

A sender's transaction id (`Posting.external_id`, unique) is posted once. Posting it again with the same content
returns the posting already made (a re-sent bank file, a job run twice, an import re-run, a double click); with
other content it is refused. "The same content" is `PostingContent`: the loan, the kind, the date, the whole
amount (with the part of the same kind made with it, see `posting_create`), the price and, for a property category
change, the new category. Every service that takes an external id asks `posting_already_made`; the transaction
import asks the same function for a whole file at once (after one bulk look-up, `postings_by_external_id`).

The set-based writers (`opening_balances_post`, the nightly installment billing) insert with
`ON CONFLICT (external_id) DO NOTHING` through `posting.postings_insert_select`: their ids are made from the loan
and the date, so an id already posted is the same movement and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.bulk import chunked

from ..models import Posting, PostingKind
from .balances import CHUNK, ZERO


@dataclass(frozen=True)
class PostingContent:
    """What makes a posting under an external id the same transaction as another."""

    loan_id: int
    kind: str
    effective_date: date
    amount: Decimal
    price: Decimal | None = None
    property_category: str = ""  # only a category change's: the new category

    @classmethod
    def of(cls, posting: Posting) -> PostingContent:
        return cls(
            loan_id=posting.loan_id,
            kind=posting.kind,
            effective_date=posting.effective_date,
            amount=posted_amount(posting),
            price=posting.price,
            property_category=(
                posting.property_category if posting.kind == PostingKind.PROPERTY_CATEGORY_CHANGE else ""
            ),
        )


def posted_amount(posting: Posting) -> Decimal:
    """A posting's whole amount: with the part of the same kind made with it (see `posting_create`)."""
    parts = [p.amount for p in posting.applications.all() if p.kind == posting.kind]
    return posting.amount + sum(parts, ZERO)


class ExternalIdConflict(ValidationError):
    """The external id was posted already, with other content; `existing` is that posting."""

    def __init__(self, external_id: str, existing: Posting) -> None:
        super().__init__(
            {
                "external_id": _("Transaction %(id)s was already posted with other content.")
                % {"id": external_id}
            }
        )
        self.existing = existing


def postings_by_external_id(external_ids: Iterable[str]) -> dict[str, Posting]:
    """The postings already made under any of these ids, by id (a query per 5,000 ids; with their loans and
    applications, so `PostingContent.of` needs no more queries)."""
    found: dict[str, Posting] = {}
    for chunk in chunked(sorted({i for i in external_ids if i}), CHUNK):
        postings = (
            Posting.objects.filter(external_id__in=chunk)
            .select_related("loan")
            .prefetch_related("applications")
        )
        for posting in postings:
            found[posting.external_id] = posting
    return found


_LOOK_UP = object()


def posting_already_made(
    *, external_id: str | None, content: PostingContent, posted=_LOOK_UP
) -> Posting | None:
    """The idempotency check. None: nothing was posted under the id (or no id was given), so post it. The posting:
    it was posted with the same content, so do nothing. `ExternalIdConflict`: posted with other content.

    `posted` is what `postings_by_external_id` found, for a caller that checks many ids at once; without it the
    id is looked up here. Call it with the loan locked, so that two posters of one id wait for each other.
    """
    if not external_id:
        return None
    if posted is _LOOK_UP:
        posted = postings_by_external_id([external_id])
    existing = posted.get(external_id)
    if existing is None:
        return None
    if PostingContent.of(existing) != content:
        raise ExternalIdConflict(external_id, existing)
    return existing
