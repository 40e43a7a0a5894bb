"""The ledger panel of the loan page: `{% load servicing_ledger %}{% ledger_panel loan %}` (reads its own data)."""

from django import template

from servicing.ledger import loan_balances
from servicing.models import Posting, PostingKind

register = template.Library()

PANEL_ROWS = 100


@register.inclusion_tag("servicing/ledger_panel.html", takes_context=True)
def ledger_panel(context, loan):
    user = context["request"].user
    allowed = user.has_perm("servicing.view_posting")
    if not allowed:
        return {"allowed": False}
    postings = list(
        Posting.objects.filter(loan=loan)
        .select_related("reverses")
        .order_by("-effective_date", "-id")[: PANEL_ROWS + 1]
    )
    reversed_ids = set(
        Posting.objects.filter(loan=loan, reverses__isnull=False).values_list("reverses_id", flat=True)
    )
    for posting in postings:
        posting.is_reversed = posting.pk in reversed_ids
        posting.reversible = (
            not posting.is_reversed
            and posting.parent_id is None
            and posting.kind
            not in (
                PostingKind.REVERSAL,
                PostingKind.PROPERTY_CATEGORY_CHANGE,
            )
        )
    return {
        "allowed": True,
        "loan": loan,
        "balances": loan_balances(loan=loan),
        "postings": postings[:PANEL_ROWS],
        "more": len(postings) > PANEL_ROWS,
        "can_reverse": user.has_perm("servicing.reverse_posting"),
        "can_post": user.has_perm("servicing.add_posting"),
        "can_issue_payoff": user.has_perm("servicing.add_payoffstatement"),
    }
