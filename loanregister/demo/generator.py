"""The demo book's generator: households (a borrower, a property, one or two loans) drawn from one
`random.Random(seed)` stream in a fixed order, yielded in chunks of plain tuples for the writer."""

import datetime
import random
from bisect import bisect_right
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
        return f"{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}-{serial:04d}"  # %d%m%y, cheaper


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


class _Weighted:
    """A weighted draw as `Random.choices(values, cum_weights=cum)[0]` makes it (one `random()`, the same
    bisect), without its per-call checks and list: the generator draws a few million of them."""

    __slots__ = ("values", "cum", "total", "hi")

    def __init__(self, pairs: Sequence[tuple[object, float]]) -> None:
        self.values, self.cum = _weighted(pairs)
        self.total = self.cum[-1] + 0.0
        self.hi = len(self.values) - 1


class BookGenerator:
    """Yields the book in chunks; the rows depend only on the seed, `today` and the context's ids.

    The hot paths draw with `Random._randbelow` and `random()` directly, in the order `randint`, `choice` and
    `choices` would (`randint(a, b)` is `a + _randbelow(b - a + 1)`, `choice(s)` is `s[_randbelow(len(s))]`):
    the same stream, so the same book for a seed, at about half the cost (issue 9, target 7).
    """

    def __init__(self, *, seed: int, context: BookContext) -> None:
        self.rng = random.Random(seed)
        self.ctx = context
        self.cpr = _CprSerials()
        today = context.today
        self.category_pick = _Weighted(CATEGORY_SHARES)
        self.loan_type_pick = _Weighted([(t.value, w) for t, w in LOAN_TYPE_SHARES])
        self.product_pick = _Weighted(ADJUSTABLE_PRODUCTS)
        self.status_pick = _Weighted([(s.value, w) for s, w in STATUS_SHARES])
        self.town_pick = _Weighted([((code, town), w) for code, town, w in TOWNS])
        self.rural_pick = _Weighted([((code, town), w) for code, town, w in RURAL_TOWNS])
        self.servicer_pick = _Weighted([((sid, own), share) for sid, own, share in context.servicers])
        self.term_pick = {
            cat: _Weighted(list(zip(TERM_YEARS, profile[4], strict=True)))
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
        self.officers = [(officer_id, context.offices[code]) for officer_id, code in context.officers]
        # Pure functions of a few hundred distinct arguments, remembered (the same values, computed once).
        self._years_before: dict[tuple[datetime.date, int], datetime.date] = {}
        self._coupons: dict[int, int] = {}

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
        random_ = rng.random
        pick = self.category_pick
        category = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
        company_share, median, spread, eur_share, _terms = CATEGORY_PROFILE[category]
        is_company = random_() < company_share
        n_loans = 2 if max_loans > 1 and random_() < SECOND_LOAN_SHARE else 1
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
        first_origination = min(loan[13] for loan in loans)
        chunk.borrowers.append(
            self._borrower(borrower_id, category, is_company, property_address, first_origination, loans)
        )
        now, today = ctx.now, self.today
        first_loan, first_assignment = ctx.first_ids["loan"], ctx.first_ids["assignment"]
        first_number = ctx.first_loan_number
        for offset, loan in enumerate(loans):
            index = loan_index + offset
            loan_id = first_loan + index
            # some commercial loans limit recourse to the property (REC-1)
            recourse = not (is_company and random_() < 0.10)
            (
                office_id,
                officer_id,
                servicer_id,
                since,
                reason,
                loan_type,
                currency,
                principal,
                balance,
                rate,
                per_year,
                amortization,
                interest_only_until,
                origination,
                first_payment,
                maturity,
                rate_reset,
                status,
            ) = loan
            chunk.loans.append(
                (
                    loan_id,
                    f"{LOAN_NUMBER_PREFIX}{first_number + index:09d}",
                    borrower_id,
                    property_id,
                    office_id,
                    officer_id,
                    servicer_id,
                    since,
                    loan_type,
                    currency,
                    principal,
                    balance,
                    today,
                    rate,
                    per_year,
                    amortization,
                    interest_only_until,
                    origination,
                    first_payment,
                    maturity,
                    rate_reset,
                    recourse,
                    status,
                    now,
                    now,
                )
            )
            chunk.assignments.append(
                (first_assignment + index, loan_id, servicer_id, since, None, reason, now, None)
            )
        return n_loans

    def _address(self, category: PropertyCategory) -> str:
        rng = self.rng
        below = rng._randbelow
        if category == PropertyCategory.AGRICULTURE:
            pick = self.rural_pick
            code, town = pick.values[bisect_right(pick.cum, rng.random() * pick.total, 0, pick.hi)]
            return (
                f"{FARM_NAMES[below(len(FARM_NAMES))]}, {RURAL_ROADS[below(len(RURAL_ROADS))]} "
                f"{1 + below(120)}, {code} {town}"
            )
        pick = self.town_pick
        code, town = pick.values[bisect_right(pick.cum, rng.random() * pick.total, 0, pick.hi)]
        if category in (PropertyCategory.INDUSTRY, PropertyCategory.OFFICE_RETAIL) and rng.random() < 0.6:
            return f"{BUSINESS_STREETS[below(len(BUSINESS_STREETS))]} {1 + below(80)}, {code} {town}"
        number = 1 + below(140)
        if category == PropertyCategory.OWNER_OCCUPIED and code < "3000" and rng.random() < 0.7:
            # Flats in Copenhagen: floor and side.
            street = STREETS[below(len(STREETS))]
            floor = 1 + below(5)
            return f"{street} {number}, {floor}. {('th', 'tv', 'mf')[below(3)]}, {code} {town}"
        return f"{STREETS[below(len(STREETS))]} {number}, {code} {town}"

    def _company_name(self, category: PropertyCategory, address: str) -> str:
        rng = self.rng
        street = address.split(",")[0]
        town = address.split(", ")[-1].split(" ", 1)[1]  # "…, 8000 Aarhus C" -> "Aarhus C"
        surname = rng.choice(SURNAMES)
        # The social-housing pattern's department number is drawn whatever the category, as it always was.
        department = rng.randint(1, 60)
        if category == PropertyCategory.PRIVATE_RENTAL:
            patterns = (f"{surname} Ejendomme ApS", f"Ejendomsselskabet {street} ApS", f"K/S {street}")
        elif category == PropertyCategory.COOPERATIVE:
            patterns = (f"Andelsboligforeningen {street}", f"A/B {street}")
        elif category == PropertyCategory.SOCIAL_HOUSING:
            patterns = (f"Boligselskabet {town}", f"Boligforeningen {town}, afd. {department}")
        elif category == PropertyCategory.INDUSTRY:
            patterns = (f"{surname} Maskinfabrik A/S", f"{town} Træindustri ApS", f"{surname} & Søn VVS ApS")
        elif category == PropertyCategory.OFFICE_RETAIL:
            patterns = (
                f"{surname} Erhvervsejendomme A/S",
                f"Kontorhuset {street} ApS",
                f"{town} Butikscenter A/S",
            )
        elif category == PropertyCategory.AGRICULTURE:
            patterns = (f"{surname} Landbrug I/S", f"{address.split(',')[0]} ApS")
        elif category == PropertyCategory.SOCIAL_CULTURAL:
            patterns = (f"{town} Friskole", f"{town} Kulturhus", f"Den selvejende institution {street}")
        else:  # PropertyCategory.OTHER
            patterns = (f"{surname} Holding ApS", f"{town} Energi A/S", f"Feriecenter {town} ApS")
        return rng.choice(patterns)

    def _borrower(
        self,
        borrower_id: int,
        category: PropertyCategory,
        is_company: bool,
        property_address: str,
        first_origination: datetime.date,
        loans: list[tuple],
    ) -> tuple:
        rng, ctx = self.rng, self.ctx
        random_, below = rng.random, rng._randbelow
        eur = any(loan[6] == "EUR" for loan in loans)
        language = _ENGLISH if random_() < (0.30 if eur else 0.03) else _DANISH
        do_not_contact = random_() < DO_NOT_CONTACT_SHARE
        if is_company:
            address = property_address if random_() < 0.5 else self._address(category)
            name = self._company_name(category, address)
            national_id = _cvr_for(ctx.first_household + self.company)
            self.company += 1
            slug = name.split()[0].lower().translate(ASCII).replace("/", "")
            if random_() < 0.95:
                number = 1 + below(999)
                email = f"post@{slug}{number}.{EMAIL_DOMAINS[below(len(EMAIL_DOMAINS))]}"
            else:
                email = ""
            phone = f"+45 {30 + below(70)} {10 + below(90)} {10 + below(90)} {10 + below(90)}"
        else:
            # Aged 23 to 60 when the first loan was taken.
            age_days = 23 * 365 + below(37 * 365 + 1)
            birth = min(first_origination, self.today) - datetime.timedelta(days=age_days)
            national_id = self.cpr.next(birth)
            names = MALE_NAMES if int(national_id[-1]) % 2 == 1 else FEMALE_NAMES
            first = names[below(len(names))]
            surname = SURNAMES[below(len(SURNAMES))]
            if random_() < 0.25:
                name = f"{first} {MIDDLE_NAMES[below(len(MIDDLE_NAMES))]} {surname}"
            else:
                name = f"{first} {surname}"
            address = (
                property_address
                if category == PropertyCategory.OWNER_OCCUPIED
                else self._address(PropertyCategory.OWNER_OCCUPIED)
            )
            local = f"{first}.{surname}".lower().translate(ASCII)
            if random_() < 0.85:
                number = 1 + below(99)
                email = f"{local}{number}@{EMAIL_DOMAINS[below(len(EMAIL_DOMAINS))]}"
            else:
                email = ""
            phone = (
                f"+45 {20 + below(80)} {10 + below(90)} {10 + below(90)} {10 + below(90)}"
                if random_() < 0.9
                else ""
            )
        return (
            borrower_id,
            name,
            national_id,
            email,
            phone,
            address,
            language,
            do_not_contact,
            ctx.now,
            ctx.now,
        )

    def _loan(
        self, category: PropertyCategory, median: int, spread: float, eur_share: float, *, split: bool
    ) -> tuple:
        """A loan's values in the order `_household` unpacks them."""
        rng, today = self.rng, self.today
        random_, below = rng.random, rng._randbelow
        quarterly = random_() < QUARTERLY_SHARE
        months_between = 3 if quarterly else 1
        dates = self.quarter_dates if quarterly else self.month_dates
        maturity = dates[below(len(dates))]
        pick = self.term_pick[category]
        term = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
        origination = self._years_earlier(maturity, term) - datetime.timedelta(days=20 + below(71))
        if origination >= today:  # a term that short would start in the future: it is a 30-year loan
            origination = self._years_earlier(maturity, 30) - datetime.timedelta(days=20 + below(71))
        if origination >= today:
            origination = today - datetime.timedelta(days=1 + below(60))
        first_payment = next_term_date(origination, months_between)

        currency = "EUR" if origination >= EURO_START and random_() < eur_share else "DKK"
        amount = rng.lognormvariate(0, spread) * median * (0.5 if split else 1.0)
        amount = min(max(amount, 150_000), 2_000_000_000)
        if currency == "EUR":
            amount = amount * 100 / _EUR_CENTRAL_RATE
        principal_kr = max(int(round(amount, -3)), 1_000)

        pick = self.loan_type_pick
        loan_type = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
        rate_reset = None
        if loan_type == _ADJUSTABLE:
            pick = self.product_pick
            period = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
            # Resets are refinancing auctions on the quarterly term dates, whatever the payment frequency.
            anchor = next_term_date(origination, 3)
            reset = _six_monthly(origination) if period == 6 else add_months(anchor, period)
            while reset <= today:
                reset = add_months(reset, period)
            rate_reset = reset if reset < maturity else None
            rate_bp = _RESET_BASE_BP[period] + (-15 + below(41))
        elif loan_type == _FIXED:
            coupon = self._coupon(origination.year)
            rate_bp = max(coupon + (-50, 0, 0, 50)[below(4)], 50)
        elif loan_type == _CAPPED_FLOATING:
            rate_bp = 230 + below(81)
        else:
            rate_bp = 150 + below(151)

        interest_only_until = None
        if random_() < INTEREST_ONLY_SHARE:
            # Up to 10 years interest-only (the limit above 75 % loan-to-value), ending on a term date.
            years = _IO_YEARS[bisect_right(_IO_YEARS_CUM, random_() * 100.0, 0, 4)]
            end = add_years(first_payment, years)
            if end < self._years_earlier(maturity, 1):
                interest_only_until = end
        if interest_only_until:
            amortization = _INTEREST_ONLY
        elif category in _HOME_CATEGORIES:
            amortization = _HOME_AMORTIZATION[bisect_right(_HOME_AMORTIZATION_CUM, random_() * 100.0, 0, 1)]
        else:
            amortization = _OTHER_AMORTIZATION[bisect_right(_OTHER_AMORTIZATION_CUM, random_() * 100.0, 0, 2)]

        pick = self.status_pick
        status = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
        if status == _PAID_OFF:
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

        officer_id, office_id = self.officers[below(len(self.officers))]
        pick = self.servicer_pick
        servicer_id, own = pick.values[bisect_right(pick.cum, random_() * pick.total, 0, pick.hi)]
        since, reason = origination, "boarded at closing"
        if not own and random_() < 0.5 and (today - origination).days > 400:
            # REG-4: servicing rights sold to a third party some time after closing.
            since = origination + datetime.timedelta(days=200 + below((today - origination).days - 200))
            reason = "servicing rights transferred"
        return (
            office_id,
            officer_id,
            servicer_id,
            since,
            reason,
            loan_type,
            currency,
            _money(principal_kr * 100),
            _money(balance_ore),
            _money(rate_bp),
            4 if quarterly else 12,
            amortization,
            interest_only_until,
            origination,
            first_payment,
            maturity,
            rate_reset,
            status,
        )

    def _years_earlier(self, day: datetime.date, years: int) -> datetime.date:
        key = (day, years)
        earlier = self._years_before.get(key)
        if earlier is None:
            earlier = self._years_before[key] = add_years(day, -years)
        return earlier

    def _coupon(self, year: int) -> int:
        coupon = self._coupons.get(year)
        if coupon is None:
            coupon = self._coupons[year] = next(bp for last, bp in FIXED_COUPONS if year <= last)
        return coupon


# The generator's constants as the plain values it writes (an enum member's `.value` costs a lookup each).
_ENGLISH, _DANISH = Language.ENGLISH.value, Language.DANISH.value
_ADJUSTABLE, _FIXED = LoanType.ADJUSTABLE.value, LoanType.FIXED.value
_CAPPED_FLOATING = LoanType.CAPPED_FLOATING.value
_PAID_OFF = LoanStatus.PAID_OFF.value
_INTEREST_ONLY = Amortization.INTEREST_ONLY.value
_HOME_CATEGORIES = (PropertyCategory.OWNER_OCCUPIED, PropertyCategory.COOPERATIVE)
_HOME_AMORTIZATION = (Amortization.ANNUITY.value, Amortization.SERIAL.value)
_HOME_AMORTIZATION_CUM = (92, 100)
_OTHER_AMORTIZATION = (Amortization.ANNUITY.value, Amortization.SERIAL.value, Amortization.BULLET.value)
_OTHER_AMORTIZATION_CUM = (70, 85, 100)
_IO_YEARS = (2, 3, 5, 8, 10)
_IO_YEARS_CUM = (10, 20, 40, 55, 100)
_RESET_BASE_BP = {6: 220, 12: 235, 36: 255, 60: 275}
_EUR_CENTRAL_RATE = float(EUR_CENTRAL_RATE)


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
