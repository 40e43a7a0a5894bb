"""A year of lending flows for the demo book (issue 13), so the statistics page has something true to show.

Registered as a demo seeder (common.hooks.add_demo_seeder) in stats' AppConfig.ready(); runs inside seed_demo's
transaction, after the opening balances. The book's own loans enter the ledger on their balance date (the seed
date), so nothing is posted to them before it: the flows are on loans the seeder brings with their history, a back
book of 160 loans disbursed 13 to 60 months before the year (one in four in EUR), each on a property of its own.
For each of the 12 months before today's month, through the ledger's own services (so balances, statuses and the
register follow): afdrag, new loans disbursed at their prices (one in three in EUR),
redemptions with a new loan on the same property (transfers) and without (extraordinary redemptions), a partial
redemption with a new loan, extra repayments (the afdrag are brought in as `scheduled_repayment`, as a book that
keeps its afdrag in another system does) and, every quarter, a property category change. Then the
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
NEW_LOANS, TRANSFERS, REDEMPTIONS, EXTRA, AFDRAG, BACK_BOOK = 6, 3, 2, 4, 60, 160


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


def _months_before(first: datetime.date, n: int) -> datetime.date:
    month = Month(first)
    for _ in range(n):
        month = month.previous()
    return month.first


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
    # The book's own loans enter the ledger on their balance date (their opening balances); nothing is posted to
    # them before it. The year of flows is on loans the seeder brings with their whole history: a back book
    # disbursed 13 to 60 months before the year, each on a property of its own, with an imported loan as template.
    templates = list(
        Loan.objects.filter(pk__in=rng.sample(ids, min(len(ids), 400)), property__isnull=False)
        .select_related("property")
        .order_by("pk")
    )
    if not templates:
        return "no flows (no loans with a property)"
    counts = dict.fromkeys(
        ("back", "new", "transfers", "redemptions", "partial", "extra", "afdrag", "category"), 0
    )
    serial = Loan.objects.filter(loan_number__startswith="DEMO-NEW-").count()

    def make(
        day: datetime.date, *, on: Property | None = None, currency: str = "DKK", principal=None
    ) -> Loan:
        nonlocal serial
        serial += 1
        template = templates[serial % len(templates)]
        where = on or Property.objects.create(
            property_id=f"DEMO-BFE-{seed}-{serial}",
            address=f"Nybyggervej {serial}",
            category=template.property.category,
            jurisdiction=template.property.jurisdiction,
        )
        amount = principal or Decimal(rng.randint(8, 60) * 50_000)
        loan = _new_loan(
            template, number=f"DEMO-NEW-{serial:05d}", on=where, day=day, principal=amount, currency=currency
        )
        posting_create(
            loan=loan,
            kind="disbursement",
            amount=amount,
            effective_date=day,
            price=_price(rng),
            external_id=f"demo:{loan.loan_number}:disbursement",
        )
        return loan

    with ledger_batch():
        back = [
            make(_months_before(window_start, rng.randint(13, 60)), currency="EUR" if n % 4 == 0 else "DKK")
            for n in range(BACK_BOOK)
        ]
        counts["back"] = len(back)
        rng.shuffle(back)
        paying = list(back)  # loans that pay afdrag (the back book, then the new loans)

        def take() -> Loan | None:
            while back:
                loan = back.pop()
                loan.refresh_from_db()
                if loan.outstanding_balance > 0 and loan.status == LoanStatus.ACTIVE:
                    return loan
            return None

        for index, month in enumerate(months):
            first = month.first
            # ordinary repayments (afdrag) on the month's term day, before anything else that day
            for loan in rng.sample(paying, min(AFDRAG, len(paying))):
                loan.refresh_from_db()
                if loan.status != LoanStatus.ACTIVE or loan.outstanding_balance <= 0:
                    continue
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
            # new loans at their prices; one in three in EUR
            for n in range(NEW_LOANS):
                paying.append(make(first, currency="EUR" if n % 3 == 2 else "DKK"))
                counts["new"] += 1
            # transfers: a new loan on the property, the old one redeemed on its last interest date; the last one
            # of the month a partial redemption with a new loan
            for n in range(TRANSFERS + 1):
                old = take()
                if old is None:
                    break
                partial = n == TRANSFERS
                paying.append(
                    make(
                        first,
                        on=old.property,
                        currency=old.currency,
                        principal=_money(old.outstanding_balance * Decimal("1.1")),
                    )
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
                back.insert(0, loan)
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
            # a property category change every quarter, on the 5th
            if index % 3 == 1:
                loan = take()
                if loan is not None:
                    back.insert(0, loan)
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
        f"{counts['back']} loans of a back book, {counts['new']} new loans, {counts['transfers']} transfers, "
        f"{counts['partial']} partial redemptions, {counts['redemptions']} redemptions, {counts['extra']} extra "
        f"repayments, {counts['afdrag']} afdrag, {counts['category']} category changes over 12 months; "
        f"{closed} months closed"
    )
