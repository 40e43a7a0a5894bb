"""The demo book's generator: households (a borrower, a property, one or two loans) drawn from one
`random.Random(seed)` stream in a fixed order, yielded in chunks of plain tuples for the writer."""

import datetime
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from common.dates import add_months

from ..choices import Amortization, Language, LoanStatus, LoanType, PropertyCategory
from .reference import (
    ADJUSTABLE_PRODUCTS,
    ASCII,
    BUSINESS_STREETS,
    CATEGORY_PROFILE,
    CATEGORY_SHARES,
    DO_NOT_CONTACT_SHARE,
    EMAIL_DOMAINS,
    EUR_CENTRAL_RATE,
    EURO_START,
    FARM_NAMES,
    FEMALE_NAMES,
    FIXED_COUPONS,
    INTEREST_ONLY_SHARE,
    LOAN_NUMBER_PREFIX,
    LOAN_TYPE_SHARES,
    MALE_NAMES,
    MIDDLE_NAMES,
    PERMUTATION_MULTIPLIER,
    QUARTERLY_SHARE,
    RURAL_ROADS,
    RURAL_TOWNS,
    SECOND_LOAN_SHARE,
    STATUS_SHARES,
    STREETS,
    SURNAMES,
    TERM_YEARS,
    TOWNS,
)


def _weighted(pairs: Sequence[tuple[object, float]]) -> tuple[list, list[float]]:
    """Values and cumulative weights for `Random.choices(..., cum_weights=...)` (faster than weights=)."""
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def add_years(day: datetime.date, years: int) -> datetime.date:
    return add_months(day, 12 * years)


def next_term_date(day: datetime.date, months_between: int) -> datetime.date:
    """The first term date strictly after `day`: quarterly (1 Jan/Apr/Jul/Oct) or monthly (the 1st)."""
    step = 3 if months_between == 3 else 1
    month0 = (day.month - 1) // step * step + step
    return datetime.date(day.year + month0 // 12, month0 % 12 + 1, 1)


def _money(ore: int) -> Decimal:
    return Decimal(ore).scaleb(-2)


def _cvr_for(index: int) -> str:
    """The index-th valid CVR number of a fixed permutation: unique per index, with the modulus-11 check."""
    # 900,000 six-digit prefixes x 9 usable seventh digits, walked in a scattered order (the multiplier is
    # prime to 8,100,000); the eighth digit is the check digit.
    slot = (index * PERMUTATION_MULTIPLIER + 271_828) % 8_100_000
    prefix = 100_000 + slot // 9
    digits = [int(ch) for ch in str(prefix)]
    partial = sum(w * d for w, d in zip((2, 7, 6, 5, 4, 3), digits, strict=True))
    usable = [d for d in range(10) if (-(partial + 2 * d)) % 11 != 10]
    seventh = usable[slot % 9]
    check = (-(partial + 2 * seventh)) % 11
    return f"{prefix}{seventh}{check}"


class _CprSerials:
    """Unique CPR numbers: the serial for a birth date is a permutation of a per-date counter.

    The seventh digit encodes the century as python-stdnum (and the CPR office) reads it: 0-3 for people born
    in the 1900s, 5-8 for the 2000s (years before 2058). The last digit's parity is the sex (odd for men).
    """

    def __init__(self) -> None:
        self._used: dict[int, int] = {}

    def next(self, birth: datetime.date) -> str:
        ordinal = birth.toordinal()
        count = self._used.get(ordinal, 0)
        self._used[ordinal] = count + 1
        serial = (count * 2_749 + ordinal * 7) % 4_000  # 2749 is prime to 4000: no repeats for one date
        if birth.year >= 2000:
            serial += 5_000
        return f"{birth:%d%m%y}-{serial:04d}"


# --- the generator ---------------------------------------------------------------------------------------

BORROWER_FIELDS = [
    "id",
    "name",
    "national_id",
    "email",
    "phone",
    "address",
    "preferred_language",
    "do_not_contact",
    "created_at",
    "updated_at",
]
PROPERTY_FIELDS = ["id", "property_id", "address", "category", "jurisdiction"]
LOAN_FIELDS = [
    "id",
    "loan_number",
    "borrower_id",
    "property_id",
    "office_id",
    "officer_id",
    "servicer_id",
    "servicer_since",
    "loan_type",
    "currency",
    "principal",
    "outstanding_balance",
    "balance_date",
    "interest_rate",
    "payments_per_year",
    "amortization",
    "interest_only_until",
    "origination_date",
    "first_payment_date",
    "maturity_date",
    "rate_reset_date",
    "recourse",
    "status",
    "created_at",
    "updated_at",
]
ASSIGNMENT_FIELDS = [
    "id",
    "loan_id",
    "servicer_id",
    "since",
    "until",
    "reason",
    "recorded_at",
    "recorded_by_id",
]


@dataclass
class Chunk:
    borrowers: list[tuple] = field(default_factory=list)
    properties: list[tuple] = field(default_factory=list)
    loans: list[tuple] = field(default_factory=list)
    assignments: list[tuple] = field(default_factory=list)


@dataclass
class BookContext:
    """What the generator needs from the database: the reference rows' ids and where new ids start."""

    today: datetime.date
    now: datetime.datetime
    offices: dict[str, int]
    servicers: list[tuple[int, bool, float]]  # (id, is_own, share)
    officers: list[tuple[int, str]]  # (user id, office code)
    first_ids: dict[str, int]  # per table: the first id to use
    first_loan_number: int
    first_household: int  # offsets the BFE and CVR permutations past earlier seeds


class BookGenerator:
    """Yields the book in chunks; the rows depend only on the seed, `today` and the context's ids."""

    def __init__(self, *, seed: int, context: BookContext) -> None:
        self.rng = random.Random(seed)
        self.ctx = context
        self.cpr = _CprSerials()
        today = context.today
        self.categories, self.category_cum = _weighted(CATEGORY_SHARES)
        self.loan_types, self.loan_type_cum = _weighted(LOAN_TYPE_SHARES)
        self.products, self.product_cum = _weighted(ADJUSTABLE_PRODUCTS)
        self.statuses, self.status_cum = _weighted(STATUS_SHARES)
        self.towns, self.town_cum = _weighted([((code, town), w) for code, town, w in TOWNS])
        self.rural, self.rural_cum = _weighted([((code, town), w) for code, town, w in RURAL_TOWNS])
        self.servicer_ids, self.servicer_cum = _weighted(
            [((sid, own), share) for sid, own, share in context.servicers]
        )
        self.term_cum = {
            cat: _weighted(list(zip(TERM_YEARS, profile[4], strict=True)))[1]
            for cat, profile in CATEGORY_PROFILE.items()
        }
        # Loans mature on a term date in the next 30 years: quarterly payers on 1 Jan/Apr/Jul/Oct,
        # monthly payers on the 1st of a month.
        horizon = add_years(today, 30)
        self.quarter_dates = self._term_dates(today, horizon, 3)
        self.month_dates = self._term_dates(today, horizon, 1)
        self.today = today
        self.household = 0
        self.company = 0

    @staticmethod
    def _term_dates(today: datetime.date, horizon: datetime.date, step: int) -> list[datetime.date]:
        dates, day = [], next_term_date(today, step)
        while day <= horizon:
            dates.append(day)
            day = add_months(day, step)
        return dates

    def chunks(self, *, loans: int, chunk_size: int) -> Iterator[Chunk]:
        chunk, made = Chunk(), 0
        while made < loans:
            made += self._household(chunk, max_loans=loans - made, loan_index=made)
            if len(chunk.loans) >= chunk_size:
                yield chunk
                chunk = Chunk()
        if chunk.loans:
            yield chunk

    # One household: a borrower, a property and one or two loans on it.
    def _household(self, chunk: Chunk, *, max_loans: int, loan_index: int) -> int:
        rng, ctx = self.rng, self.ctx
        category = rng.choices(self.categories, cum_weights=self.category_cum)[0]
        company_share, median, spread, eur_share, _terms = CATEGORY_PROFILE[category]
        is_company = rng.random() < company_share
        n_loans = 2 if max_loans > 1 and rng.random() < SECOND_LOAN_SHARE else 1
        household = ctx.first_household + self.household
        self.household += 1

        # One borrower and one property per household, so their ids follow the household count.
        borrower_id = ctx.first_ids["borrower"] + self.household - 1
        property_id = ctx.first_ids["property"] + self.household - 1

        property_address = self._address(category)
        # BFE numbers: a fixed permutation of the household index, so they are unique and look scattered.
        bfe = 100_000_000 + (household * PERMUTATION_MULTIPLIER + 4_711) % 900_000_000
        chunk.properties.append((property_id, str(bfe), property_address, category.value, "DK"))

        loans = [self._loan(category, median, spread, eur_share, split=n_loans > 1) for _ in range(n_loans)]
        first_origination = min(loan["origination_date"] for loan in loans)
        chunk.borrowers.append(
            self._borrower(borrower_id, category, is_company, property_address, first_origination, loans)
        )
        for offset, loan in enumerate(loans):
            loan_id = ctx.first_ids["loan"] + loan_index + offset
            number = f"{LOAN_NUMBER_PREFIX}{ctx.first_loan_number + loan_index + offset:09d}"
            if is_company and rng.random() < 0.10:
                loan["recourse"] = False  # some commercial loans limit recourse to the property (REC-1)
            chunk.loans.append(
                (
                    loan_id,
                    number,
                    borrower_id,
                    property_id,
                    loan["office_id"],
                    loan["officer_id"],
                    loan["servicer_id"],
                    loan["servicer_since"],
                    loan["loan_type"],
                    loan["currency"],
                    loan["principal"],
                    loan["outstanding_balance"],
                    self.today,
                    loan["interest_rate"],
                    loan["payments_per_year"],
                    loan["amortization"],
                    loan["interest_only_until"],
                    loan["origination_date"],
                    loan["first_payment_date"],
                    loan["maturity_date"],
                    loan["rate_reset_date"],
                    loan["recourse"],
                    loan["status"],
                    ctx.now,
                    ctx.now,
                )
            )
            chunk.assignments.append(
                (
                    ctx.first_ids["assignment"] + loan_index + offset,
                    loan_id,
                    loan["servicer_id"],
                    loan["servicer_since"],
                    None,
                    loan["servicer_reason"],
                    ctx.now,
                    None,
                )
            )
        return n_loans

    def _address(self, category: PropertyCategory) -> str:
        rng = self.rng
        if category == PropertyCategory.AGRICULTURE:
            code, town = rng.choices(self.rural, cum_weights=self.rural_cum)[0]
            return f"{rng.choice(FARM_NAMES)}, {rng.choice(RURAL_ROADS)} {rng.randint(1, 120)}, {code} {town}"
        code, town = rng.choices(self.towns, cum_weights=self.town_cum)[0]
        if category in (PropertyCategory.INDUSTRY, PropertyCategory.OFFICE_RETAIL) and rng.random() < 0.6:
            return f"{rng.choice(BUSINESS_STREETS)} {rng.randint(1, 80)}, {code} {town}"
        number = rng.randint(1, 140)
        if category == PropertyCategory.OWNER_OCCUPIED and code < "3000" and rng.random() < 0.7:
            # Flats in Copenhagen: floor and side.
            return f"{rng.choice(STREETS)} {number}, {rng.randint(1, 5)}. {rng.choice(('th', 'tv', 'mf'))}, {code} {town}"
        return f"{rng.choice(STREETS)} {number}, {code} {town}"

    def _company_name(self, category: PropertyCategory, address: str) -> str:
        rng = self.rng
        street = address.split(",")[0]
        town = address.split(", ")[-1].split(" ", 1)[1]  # "…, 8000 Aarhus C" -> "Aarhus C"
        surname = rng.choice(SURNAMES)
        patterns = {
            PropertyCategory.PRIVATE_RENTAL: (
                f"{surname} Ejendomme ApS",
                f"Ejendomsselskabet {street} ApS",
                f"K/S {street}",
            ),
            PropertyCategory.COOPERATIVE: (f"Andelsboligforeningen {street}", f"A/B {street}"),
            PropertyCategory.SOCIAL_HOUSING: (
                f"Boligselskabet {town}",
                f"Boligforeningen {town}, afd. {rng.randint(1, 60)}",
            ),
            PropertyCategory.INDUSTRY: (
                f"{surname} Maskinfabrik A/S",
                f"{town} Træindustri ApS",
                f"{surname} & Søn VVS ApS",
            ),
            PropertyCategory.OFFICE_RETAIL: (
                f"{surname} Erhvervsejendomme A/S",
                f"Kontorhuset {street} ApS",
                f"{town} Butikscenter A/S",
            ),
            PropertyCategory.AGRICULTURE: (f"{surname} Landbrug I/S", f"{address.split(',')[0]} ApS"),
            PropertyCategory.SOCIAL_CULTURAL: (
                f"{town} Friskole",
                f"{town} Kulturhus",
                f"Den selvejende institution {street}",
            ),
            PropertyCategory.OTHER: (
                f"{surname} Holding ApS",
                f"{town} Energi A/S",
                f"Feriecenter {town} ApS",
            ),
        }
        return rng.choice(patterns[category])

    def _borrower(
        self,
        borrower_id: int,
        category: PropertyCategory,
        is_company: bool,
        property_address: str,
        first_origination: datetime.date,
        loans: list[dict],
    ) -> tuple:
        rng, ctx = self.rng, self.ctx
        eur = any(loan["currency"] == "EUR" for loan in loans)
        language = Language.ENGLISH if rng.random() < (0.30 if eur else 0.03) else Language.DANISH
        do_not_contact = rng.random() < DO_NOT_CONTACT_SHARE
        if is_company:
            address = property_address if rng.random() < 0.5 else self._address(category)
            name = self._company_name(category, address)
            national_id = _cvr_for(ctx.first_household + self.company)
            self.company += 1
            slug = name.split()[0].lower().translate(ASCII).replace("/", "")
            email = (
                f"post@{slug}{rng.randint(1, 999)}.{rng.choice(EMAIL_DOMAINS)}" if rng.random() < 0.95 else ""
            )
            phone = (
                f"+45 {rng.randint(30, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            )
        else:
            # Aged 23 to 60 when the first loan was taken.
            age_days = rng.randint(23 * 365, 60 * 365)
            birth = min(first_origination, self.today) - datetime.timedelta(days=age_days)
            national_id = self.cpr.next(birth)
            male = int(national_id[-1]) % 2 == 1
            first = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            surname = rng.choice(SURNAMES)
            name = (
                f"{first} {rng.choice(MIDDLE_NAMES)} {surname}"
                if rng.random() < 0.25
                else f"{first} {surname}"
            )
            address = (
                property_address
                if category == PropertyCategory.OWNER_OCCUPIED
                else self._address(PropertyCategory.OWNER_OCCUPIED)
            )
            local = f"{first}.{surname}".lower().translate(ASCII)
            email = f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}" if rng.random() < 0.85 else ""
            phone = (
                f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
                if rng.random() < 0.9
                else ""
            )
        return (
            borrower_id,
            name,
            national_id,
            email,
            phone,
            address,
            language.value,
            do_not_contact,
            ctx.now,
            ctx.now,
        )

    def _loan(
        self, category: PropertyCategory, median: int, spread: float, eur_share: float, *, split: bool
    ) -> dict:
        rng, ctx, today = self.rng, self.ctx, self.today
        quarterly = rng.random() < QUARTERLY_SHARE
        months_between = 3 if quarterly else 1
        maturity = rng.choice(self.quarter_dates if quarterly else self.month_dates)
        term = rng.choices(TERM_YEARS, cum_weights=self.term_cum[category])[0]
        origination = add_years(maturity, -term) - datetime.timedelta(days=rng.randint(20, 90))
        if origination >= today:  # a term that short would start in the future: it is a 30-year loan
            origination = add_years(maturity, -30) - datetime.timedelta(days=rng.randint(20, 90))
        if origination >= today:
            origination = today - datetime.timedelta(days=rng.randint(1, 60))
        first_payment = next_term_date(origination, months_between)

        currency = "EUR" if origination >= EURO_START and rng.random() < eur_share else "DKK"
        amount = rng.lognormvariate(0, spread) * median * (0.5 if split else 1.0)
        amount = min(max(amount, 150_000), 2_000_000_000)
        if currency == "EUR":
            amount = amount * 100 / float(EUR_CENTRAL_RATE)
        principal_kr = max(int(round(amount, -3)), 1_000)

        loan_type = rng.choices(self.loan_types, cum_weights=self.loan_type_cum)[0]
        rate_reset = None
        if loan_type == LoanType.ADJUSTABLE:
            period = rng.choices(self.products, cum_weights=self.product_cum)[0]
            # Resets are refinancing auctions on the quarterly term dates, whatever the payment frequency.
            anchor = next_term_date(origination, 3)
            reset = _six_monthly(origination) if period == 6 else add_months(anchor, period)
            while reset <= today:
                reset = add_months(reset, period)
            rate_reset = reset if reset < maturity else None
            rate_bp = {6: 220, 12: 235, 36: 255, 60: 275}[period] + rng.randint(-15, 25)
        elif loan_type == LoanType.FIXED:
            coupon = next(bp for year, bp in FIXED_COUPONS if origination.year <= year)
            rate_bp = max(coupon + rng.choice((-50, 0, 0, 50)), 50)
        elif loan_type == LoanType.CAPPED_FLOATING:
            rate_bp = 230 + rng.randint(0, 80)
        else:
            rate_bp = 150 + rng.randint(0, 150)

        interest_only_until = None
        if rng.random() < INTEREST_ONLY_SHARE:
            # Up to 10 years interest-only (the limit above 75 % loan-to-value), ending on a term date.
            years = rng.choices((2, 3, 5, 8, 10), cum_weights=(10, 20, 40, 55, 100))[0]
            end = add_years(first_payment, years)
            if end < add_years(maturity, -1):
                interest_only_until = end
        if interest_only_until:
            amortization = Amortization.INTEREST_ONLY
        elif category in (PropertyCategory.OWNER_OCCUPIED, PropertyCategory.COOPERATIVE):
            amortization = rng.choices((Amortization.ANNUITY, Amortization.SERIAL), cum_weights=(92, 100))[0]
        else:
            amortization = rng.choices(
                (Amortization.ANNUITY, Amortization.SERIAL, Amortization.BULLET), cum_weights=(70, 85, 100)
            )[0]

        status = rng.choices(self.statuses, cum_weights=self.status_cum)[0]
        if status == LoanStatus.PAID_OFF:
            balance_ore = 0
        else:
            fraction = _remaining_fraction(
                amortization=amortization,
                rate=rate_bp / 10_000,
                per_year=4 if quarterly else 12,
                first_payment=first_payment,
                maturity=maturity,
                interest_only_until=interest_only_until,
                today=today,
            )
            balance_ore = principal_kr * 100 * int(fraction * 1_000_000) // 1_000_000

        officer_id, office_code = rng.choice(ctx.officers)
        (servicer_id, own) = rng.choices(self.servicer_ids, cum_weights=self.servicer_cum)[0]
        since, reason = origination, "boarded at closing"
        if not own and rng.random() < 0.5 and (today - origination).days > 400:
            # REG-4: servicing rights sold to a third party some time after closing.
            since = origination + datetime.timedelta(days=rng.randint(200, (today - origination).days - 1))
            reason = "servicing rights transferred"
        return {
            "office_id": ctx.offices[office_code],
            "officer_id": officer_id,
            "servicer_id": servicer_id,
            "servicer_since": since,
            "servicer_reason": reason,
            "loan_type": loan_type.value,
            "currency": currency,
            "principal": _money(principal_kr * 100),
            "outstanding_balance": _money(balance_ore),
            "interest_rate": _money(rate_bp),
            "payments_per_year": 4 if quarterly else 12,
            "amortization": amortization.value,
            "interest_only_until": interest_only_until,
            "origination_date": origination,
            "first_payment_date": first_payment,
            "maturity_date": maturity,
            "rate_reset_date": rate_reset,
            "recourse": True,
            "status": status.value,
        }


def _six_monthly(origination: datetime.date) -> datetime.date:
    """F-kort (CITA/CIBOR6) loans reset on 1 January and 1 July."""
    return (
        datetime.date(origination.year, 7, 1)
        if origination.month < 7
        else datetime.date(origination.year + 1, 1, 1)
    )


def _remaining_fraction(
    *,
    amortization: str,
    rate: float,
    per_year: int,
    first_payment: datetime.date,
    maturity: datetime.date,
    interest_only_until: datetime.date | None,
    today: datetime.date,
) -> float:
    """Share of the principal still owed today on the loan's schedule (a demo approximation, not the ledger)."""
    if amortization == Amortization.BULLET or today < first_payment:
        return 1.0
    start = first_payment
    if interest_only_until:
        if today < interest_only_until:
            return 1.0
        start = interest_only_until
    total = max((maturity - start).days, 1) / 365.25 * per_year
    done = min(max((today - start).days / 365.25 * per_year, 0.0), total)
    if amortization == Amortization.SERIAL:
        return 1.0 - done / total
    i = rate / per_year
    if i <= 0:
        return 1.0 - done / total
    return (1 - (1 + i) ** -(total - done)) / (1 - (1 + i) ** -total)
