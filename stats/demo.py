"""A year of lending flows for the demo book (issue 13), so the statistics page has something true to show.

Registered as a demo seeder (common.hooks.add_demo_seeder) in stats' AppConfig.ready(); runs inside seed_demo's
transaction, after the opening balances. For each of the 12 months before today's month, through the ledger's own
services (so balances, statuses and the register follow): new loans disbursed at their prices (some in EUR),
redemptions with a new loan on the same property (transfers) and without (extraordinary redemptions), a partial
redemption with a new loan, extra repayments, ordinary repayments (afdrag brought in as `scheduled_repayment`, as
a book that keeps its afdrag in another system does) and, every quarter, a property category change. Then the
months before last are closed (their figures stored by the monthly close's own service); last month is left open
for the reporting role to close. Deterministic for a seed; needs the ledger (`--without-ledger` seeds no flows).
"""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from loanregister.choices import LoanStatus, PropertyCategory
from loanregister.models import Loan, Property
from servicing.ledger import ledger_batch, posting_create, property_category_change_post

from .figures import Month, StatsError
from .models import Computation
from .services import month_close

CENT = Decimal("0.01")
NEW_LOANS, TRANSFERS, REDEMPTIONS, EXTRA, AFDRAG = 6, 3, 2, 4, 60


def _price(rng: random.Random, low: int = 9500, high: int = 10100) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _new_loan(
    template: Loan, *, number: str, on: Property, day: datetime.date, principal: Decimal, currency: str
):
    return Loan.objects.create(
        loan_number=number,
        borrower=template.borrower,
        property=on,
        office=template.office,
        officer=template.officer,
        servicer=template.servicer,
        servicer_since=day,
        loan_type=template.loan_type,
        currency=currency,
        principal=principal,
        interest_rate=template.interest_rate,
        payments_per_year=template.payments_per_year,
        amortization=template.amortization,
        origination_date=day,
        first_payment_date=day + datetime.timedelta(days=91),
        maturity_date=day.replace(year=day.year + 30),
        rate_reset_date=template.rate_reset_date,
    )


def demo_flows_seed(*, loan_ids, today: datetime.date, seed: int, ledger: bool) -> str:
    if not ledger or not len(loan_ids):
        return "no flows (no ledger)"
    rng = random.Random(seed * 13 + 1)
    this_month = Month(today.replace(day=1))
    months = [this_month]
    while len(months) < 13:
        months.insert(0, months[0].previous())
    months = months[:-1]  # the 12 months before this one
    window_start = months[0].first
    ids = list(loan_ids)
    sample_ids = rng.sample(ids, min(len(ids), 4000))
    pool = list(
        Loan.objects.filter(
            pk__in=sample_ids,
            outstanding_balance__gt=0,
            status=LoanStatus.ACTIVE,
            origination_date__lt=window_start,
            property__isnull=False,
        )
        .select_related("property")
        .order_by("pk")
    )
    rng.shuffle(pool)
    counts = dict.fromkeys(("new", "transfers", "redemptions", "partial", "extra", "afdrag", "category"), 0)
    serial = Loan.objects.filter(loan_number__startswith="DEMO-NEW-").count()

    def take() -> Loan | None:
        while pool:
            loan = pool.pop()
            loan.refresh_from_db()
            if loan.outstanding_balance > 0 and loan.status == LoanStatus.ACTIVE:
                return loan
        return None

    with ledger_batch():
        for index, month in enumerate(months):
            first = month.first
            # new loans at their prices; one in three in EUR
            for _ in range(NEW_LOANS):
                template = take()
                if template is None:
                    break
                pool.insert(0, template)
                serial += 1
                currency = "EUR" if serial % 3 == 0 else "DKK"
                principal = Decimal(rng.randint(8, 60) * 50_000)
                new = _new_loan(
                    template,
                    number=f"DEMO-NEW-{serial:05d}",
                    on=Property.objects.create(
                        property_id=f"DEMO-BFE-{seed}-{serial}",
                        address=f"Nybyggervej {serial}",
                        category=template.property.category,
                        jurisdiction=template.property.jurisdiction,
                    ),
                    day=first,
                    principal=principal,
                    currency=currency,
                )
                posting_create(
                    loan=new,
                    kind="disbursement",
                    amount=principal,
                    effective_date=first,
                    price=_price(rng),
                    external_id=f"demo:{new.loan_number}:disbursement",
                )
                counts["new"] += 1
            # transfers: a new loan on the property, the old one redeemed on its last interest date
            for n in range(TRANSFERS + 1):
                old = take()
                if old is None:
                    break
                partial = n == TRANSFERS  # the last one: a partial redemption with a new loan
                serial += 1
                principal = _money(old.outstanding_balance * Decimal("1.1"))
                new = _new_loan(
                    old,
                    number=f"DEMO-NEW-{serial:05d}",
                    on=old.property,
                    day=first,
                    principal=principal,
                    currency=old.currency,
                )
                posting_create(
                    loan=new,
                    kind="disbursement",
                    amount=principal,
                    effective_date=first,
                    price=_price(rng),
                    external_id=f"demo:{new.loan_number}:disbursement",
                )
                amount = (
                    _money(old.outstanding_balance * Decimal("0.4")) if partial else old.outstanding_balance
                )
                posting_create(
                    loan=old,
                    kind="redemption",
                    amount=amount,
                    effective_date=first,
                    price=_price(rng, 9200, 10000),
                    external_id=f"demo:{old.loan_number}:redemption:{month.label}",
                )
                counts["partial" if partial else "transfers"] += 1
            # redemptions without a new loan
            for _ in range(REDEMPTIONS):
                old = take()
                if old is None:
                    break
                posting_create(
                    loan=old,
                    kind="redemption",
                    amount=old.outstanding_balance,
                    effective_date=first,
                    price=_price(rng, 9000, 10000),
                    external_id=f"demo:{old.loan_number}:redemption:{month.label}",
                )
                counts["redemptions"] += 1
            # extra repayments in cash (price 100), mid-month
            for _ in range(EXTRA):
                loan = take()
                if loan is None:
                    break
                pool.insert(0, loan)
                amount = _money(loan.outstanding_balance * Decimal(rng.randint(2, 8)) / 100)
                if amount > 0:
                    posting_create(
                        loan=loan,
                        kind="extra_repayment",
                        amount=amount,
                        effective_date=first.replace(day=15),
                        price=Decimal(100),
                        external_id=f"demo:{loan.loan_number}:extra:{month.label}",
                    )
                    counts["extra"] += 1
            # ordinary repayments (afdrag) on the month's term day
            for _ in range(AFDRAG):
                loan = take()
                if loan is None:
                    break
                pool.insert(0, loan)
                amount = _money(loan.outstanding_balance / Decimal(rng.randint(80, 120)))
                if amount > 0:
                    posting_create(
                        loan=loan,
                        kind="scheduled_repayment",
                        amount=amount,
                        effective_date=first,
                        external_id=f"demo:{loan.loan_number}:afdrag:{month.label}",
                    )
                    counts["afdrag"] += 1
            # a property category change every quarter, on the 5th
            if index % 3 == 1:
                loan = take()
                if loan is not None:
                    pool.insert(0, loan)
                    choices = [c for c in PropertyCategory.values if c != loan.property.category]
                    property_category_change_post(
                        loan=loan,
                        category=rng.choice(choices),
                        effective_date=first.replace(day=5),
                        external_id=f"demo:{loan.loan_number}:category:{month.label}",
                    )
                    counts["category"] += 1
    closed = 0
    for month in months[:-1]:
        try:
            month_close(month=month, user=None, source=Computation.Source.TASK)
            closed += 1
        except StatsError:
            pass  # a month without a rate stays open; its page says why
    return (
        f"{counts['new']} new loans, {counts['transfers']} transfers, {counts['partial']} partial redemptions, "
        f"{counts['redemptions']} redemptions, {counts['extra']} extra repayments, {counts['afdrag']} afdrag, "
        f"{counts['category']} category changes over 12 months; {closed} months closed"
    )
