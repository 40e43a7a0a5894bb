"""The collector's queue (issue 11 item 5; COL-3): delinquent loans ordered by risk, assigned to collectors by rule
and by a manager's hand, with their contacts, promises to pay and the next action.

- `cases_sync(business_date=D)` (nightly, after delinquency): a case is opened for every loan in collections
  without one, a case whose loan left collections is closed, new cases are assigned by the first matching
  `CollectorRule` (bucket and/or office), and promises are checked: one paid in full by its date is `kept`, one
  still short on the day after its date is `broken` (and the case's next action is to follow it up). Set-based.
- `queue_for(user=…, …)`: the open cases by risk: the bucket (the worst first), then the amount past due, then the
  days past due.
- `case_assign` (the `collections_manager`), `case_contact_log` (a call, e-mail, letter or meeting with its outcome,
  into the one contact log, purpose `collections`), `promise_record`, `case_next_action_set`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from loanregister.choices import ContactDirection, ContactPurpose
from loanregister.contacts import contact_log_add

from ..models import CollectionCase, CollectionsContact, DelinquencyBucket, PromiseToPay

WORK = "servicing.work_collectioncase"
ASSIGN = "servicing.assign_collectioncase"

_PAID_BETWEEN = """
    COALESCE((SELECT SUM(p.amount) FROM servicing_posting p
              WHERE p.loan_id = t.loan_id AND p.kind = 'payment'
                AND p.effective_date BETWEEN t.promised_on AND {until}
                AND NOT EXISTS (SELECT 1 FROM servicing_posting r WHERE r.reverses_id = p.id)), 0)"""


def promise_is_broken(promise: PromiseToPay, *, today: datetime.date) -> bool:
    """A promise is broken on the day after it falls due when what was paid from the promise to its date is short."""
    return promise.state == PromiseToPay.State.BROKEN or (
        promise.state == PromiseToPay.State.OPEN
        and today > promise.due_on
        and promise_paid(promise=promise, until=promise.due_on) < promise.amount
    )


def promise_paid(*, promise: PromiseToPay, until: datetime.date) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_PAID_BETWEEN.format(until='%s')} FROM (SELECT %s::bigint AS loan_id, %s::date AS promised_on) t",
            [until, promise.loan_id, promise.promised_on],
        )
        return cursor.fetchone()[0]


@transaction.atomic
def cases_sync(*, business_date: datetime.date) -> dict:
    """Open, close and assign cases and check promises as of the business date (see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_collectioncase (loan_id, state, opened_on, next_action, next_action_on)
            SELECT l.id, 'open', %s, '', NULL FROM loanregister_loan l
            WHERE l.in_collections
            ON CONFLICT (loan_id) WHERE state = 'open' DO NOTHING
            """,
            [business_date],
        )
        opened = cursor.rowcount
        cursor.execute(
            """
            UPDATE servicing_collectioncase c SET state = 'closed', closed_on = %s, next_action = '',
                   next_action_on = NULL
            FROM loanregister_loan l
            WHERE l.id = c.loan_id AND c.state = 'open' AND NOT l.in_collections
            """,
            [business_date],
        )
        closed = cursor.rowcount
        cursor.execute(
            """
            UPDATE servicing_collectioncase c SET assigned_to_id = (
                SELECT r.collector_id FROM servicing_collectorrule r
                LEFT JOIN servicing_loandelinquency d ON d.loan_id = c.loan_id
                JOIN loanregister_loan l ON l.id = c.loan_id
                WHERE (r.bucket = '' OR r.bucket = d.bucket) AND (r.office_id IS NULL OR r.office_id = l.office_id)
                ORDER BY r."order", r.id LIMIT 1)
            WHERE c.state = 'open' AND c.assigned_to_id IS NULL
            """
        )
        cursor.execute(
            f"""
            UPDATE servicing_promisetopay t SET state = 'kept', checked_on = %s
            WHERE t.state = 'open' AND {_PAID_BETWEEN.format(until="t.due_on")} >= t.amount
            """,
            [business_date],
        )
        kept = cursor.rowcount
        cursor.execute(
            """
            WITH broken AS (
                UPDATE servicing_promisetopay t SET state = 'broken', checked_on = %s
                WHERE t.state = 'open' AND t.due_on < %s
                RETURNING t.case_id
            )
            UPDATE servicing_collectioncase c SET next_action = 'promise', next_action_on = %s
            FROM broken b WHERE b.case_id = c.id AND c.state = 'open'
            """,
            [business_date, business_date, business_date],
        )
        broken = PromiseToPay.objects.filter(
            state=PromiseToPay.State.BROKEN, checked_on=business_date
        ).count()
    return {"opened": opened, "closed": closed, "promises_kept": kept, "promises_broken": broken}


def queue_for(*, user, mine: bool = False, collector: str = "", bucket: str = "") -> QuerySet:
    """The open cases by risk: the bucket (the worst first), then the amount past due, then the days past due."""
    if not user.has_perm(WORK) and not user.has_perm(ASSIGN):
        raise PermissionDenied(_("Only collections staff work the queue."))
    cases = CollectionCase.objects.filter(state=CollectionCase.State.OPEN).select_related(
        "loan", "loan__borrower", "assigned_to", "loan__delinquency"
    )
    if mine:
        cases = cases.filter(assigned_to=user)
    elif collector == "-":
        cases = cases.filter(assigned_to__isnull=True)
    elif collector:
        cases = cases.filter(assigned_to__username=collector)
    if bucket:
        cases = cases.filter(loan__delinquency__bucket=bucket)
    # risk: the bucket (the admin's bands, the worst first), then the amount past due, then the days
    bucket_rank = DelinquencyBucket.objects.filter(code=OuterRef("loan__delinquency__bucket")).values(
        "min_days"
    )[:1]
    return cases.annotate(bucket_rank=Subquery(bucket_rank)).order_by(
        F("bucket_rank").desc(nulls_last=True),
        F("loan__delinquency__amount_past_due").desc(nulls_last=True),
        F("loan__delinquency__days_past_due").desc(nulls_last=True),
        "loan__loan_number",
    )


def case_assign(*, case: CollectionCase, collector_username: str, user) -> CollectionCase:
    """A collections manager assigns (or unassigns, with an empty name) a case by hand."""
    if not user.has_perm(ASSIGN):
        raise PermissionDenied(_("Only a collections manager assigns cases."))
    collector = None
    if collector_username:
        collector = get_user_model().objects.filter(username=collector_username, is_active=True).first()
        if collector is None or not collector.has_perm(WORK):
            raise ValidationError({"collector": _("No collector with that user name.")})
    CollectionCase.objects.filter(pk=case.pk).update(assigned_to=collector)
    case.assigned_to = collector
    return case


def _may_work(case: CollectionCase, user) -> None:
    if not (user.has_perm(WORK) or user.has_perm(ASSIGN)):
        raise PermissionDenied(_("Only collections staff work the queue."))


@transaction.atomic
def case_contact_log(
    *,
    case: CollectionCase,
    user,
    channel: str,
    outcome: str,
    contacted_on: datetime.date,
    note: str = "",
    direction: str = ContactDirection.OUT,
    promise_amount: Decimal | None = None,
    promise_due_on: datetime.date | None = None,
):
    """Log a contact on the case (the one contact log, purpose collections) and, when the borrower promised to
    pay, the promise. Returns (contact, promise or None)."""
    _may_work(case, user)
    contact = contact_log_add(
        borrower=case.loan.borrower,
        loan=case.loan,
        channel=channel,
        direction=direction,
        purpose=ContactPurpose.COLLECTIONS,
        contacted_on=contacted_on,
        outcome=outcome,
        note=note,
        user=user,
    )
    CollectionsContact.objects.create(contact=contact, case=case)
    promise = None
    if promise_amount is not None or promise_due_on is not None:
        promise = promise_record(
            case=case,
            user=user,
            amount=promise_amount,
            due_on=promise_due_on,
            promised_on=contacted_on,
            contact=contact,
        )
    return contact, promise


def promise_record(
    *, case: CollectionCase, user, amount, due_on, promised_on: datetime.date, contact=None
) -> PromiseToPay:
    """Record a promise to pay `amount` by `due_on`; the case's next action becomes checking it on that date."""
    _may_work(case, user)
    errors = {}
    if amount is None or amount <= 0:
        errors["promise_amount"] = _("A promise needs an amount above zero.")
    if due_on is None:
        errors["promise_due_on"] = _("A promise needs the date it is to be paid by.")
    elif due_on < promised_on:
        errors["promise_due_on"] = _("The date to pay by cannot be before the promise.")
    if errors:
        raise ValidationError(errors)
    promise = PromiseToPay.objects.create(
        case=case,
        loan=case.loan,
        promised_on=promised_on,
        due_on=due_on,
        amount=amount,
        currency=case.loan.currency,
        contact=contact,
        created_by=user if getattr(user, "pk", None) else None,
    )
    CollectionCase.objects.filter(pk=case.pk).update(
        next_action=CollectionCase.NextAction.FOLLOW_PROMISE,
        next_action_on=due_on + datetime.timedelta(days=1),
    )
    return promise


def case_next_action_set(
    *, case: CollectionCase, user, action: str, on: datetime.date | None
) -> CollectionCase:
    _may_work(case, user)
    if action not in CollectionCase.NextAction.values:
        raise ValidationError({"next_action": _("Choose one of the actions offered.")})
    if action and on is None:
        raise ValidationError({"next_action_on": _("Give the date of the next action.")})
    CollectionCase.objects.filter(pk=case.pk).update(
        next_action=action, next_action_on=on if action else None
    )
    case.next_action, case.next_action_on = action, on if action else None
    return case
