"""The loan page's collections panel (issue 11 items 1 and 7): days past due, bucket, amounts, the in-collections
flag, a running hardship plan and the way to the case."""

from django import template
from django.utils import timezone

from ..collections.delinquency import loan_delinquency
from ..collections.queue import ASSIGN, WORK
from ..models import CollectionCase, HardshipPlan

register = template.Library()


@register.inclusion_tag("servicing/collections/panel.html", takes_context=True)
def collections_panel(context, loan):
    user = context.get("user") or getattr(context.get("request"), "user", None)
    can_work = bool(user and (user.has_perm(WORK) or user.has_perm(ASSIGN)))
    delinquency = loan_delinquency(loan=loan, as_of=timezone.localdate())
    plan = HardshipPlan.objects.filter(loan=loan, state__in=["proposed", "active"]).first()
    case = (
        CollectionCase.objects.filter(loan=loan, state=CollectionCase.State.OPEN).first()
        if can_work
        else None
    )
    return {
        "show": bool(delinquency or loan.in_collections or plan or case),
        "loan": loan,
        "delinquency": delinquency,
        "plan": plan,
        "case": case,
        "can_work": can_work,
    }
