"""The ledger panel of the loan page: `{% load servicing_ledger %}{% ledger_panel loan %}` (reads its own data).

What may be done with a posting is the ledger's rule (`posting_can_be_reversed`, `suspense_can_be_applied`): the
tag asks it and hands the answer to the template, which only shows it."""

from django import template

from servicing.ledger import loan_balances, posting_can_be_reversed, suspense_can_be_applied
from servicing.models import Posting

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
        # SRV-4: the ledger's own rule, the one posting_reverse enforces.
        posting.reversible = posting_can_be_reversed(posting, is_reversed=posting.is_reversed)
    balances = loan_balances(loan=loan)
    return {
        "allowed": True,
        "loan": loan,
        "balances": balances,
        "can_apply_suspense": suspense_can_be_applied(balances),
        "postings": postings[:PANEL_ROWS],
        "more": len(postings) > PANEL_ROWS,
        "can_reverse": user.has_perm("servicing.reverse_posting"),
        "can_post": user.has_perm("servicing.add_posting"),
        "can_issue_payoff": user.has_perm("servicing.add_payoffstatement"),
    }
