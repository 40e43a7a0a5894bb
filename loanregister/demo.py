"""A realistic Danish demo loan book, deterministic for a seed, fast enough for a million loans.

`seed_demo_book` sets up the reference data (offices, servicers, loan officers, EUR rates) through the ORM,
then generates borrowers, properties, loans and their servicer assignments in chunks from one
`random.Random(seed)` stream and writes each chunk with COPY on PostgreSQL (psycopg2 `copy_expert`) or
`bulk_create` elsewhere (the embedded SQLite default). Register events come from one set-based
`register_events_sync()` for the whole book. Loan history rows are not written: a seeded book has no past edits.

The same seed and `today` give the same rows (ids and creation timestamps aside); nothing reads the global RNG,
the clock (except the default `today`) or uuid4.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import io
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from .choices import Amortization, Language, LoanStatus, LoanType, OfficeKind, PropertyCategory
from .models import Borrower, Loan, Office, Property, RegisterEvent, Servicer, ServicerAssignment
from .roles import LOAN_OFFICER
from .services import register_events_sync

DEFAULT_SEED = 2026
DEFAULT_CHUNK = 20_000
# From this many loans on, PostgreSQL loads with the secondary indexes and foreign keys dropped and rebuilds
# them at the end (the PostgreSQL manual's "Populating a Database" advice); below it, plain COPY is faster.
BULK_LOAD_THRESHOLD = 100_000
LOAN_NUMBER_PREFIX = "DL"
DEMO_OFFICER_USERNAME = "loan-officer"  # made by `manage.py create_demo_users`
EUR_CENTRAL_RATE = Decimal("746.038")  # DKK per 100 EUR, the ERM II central rate
EURO_START = datetime.date(1999, 1, 1)
# Prime to 2, 3 and 5, so multiplying by it permutes the BFE and CVR number ranges (no repeats).
PERMUTATION_MULTIPLIER = 104_729_113

# --- reference data --------------------------------------------------------------------------------------

# (code, name, kind, address, branch capacity granted on)
OFFICES = [
    ("HO", "Hovedkontor København", OfficeKind.HOME_OFFICE, "Kalvebod Brygge 1, 1560 København V", None),
    ("BR-AAR", "Filial Aarhus", OfficeKind.BRANCH, "Søren Frichs Vej 38, 8230 Åbyhøj", None),
    ("BR-ODE", "Filial Odense", OfficeKind.BRANCH, "Vestergade 70, 5000 Odense C", None),
    ("BR-AAL", "Filial Aalborg", OfficeKind.BRANCH, "Boulevarden 13, 9000 Aalborg", None),
    ("BR-ESB", "Filial Esbjerg", OfficeKind.BRANCH, "Kongensgade 55, 6700 Esbjerg", None),
    ("LPO-KOL", "Låneformidling Kolding", OfficeKind.LPO, "Jernbanegade 12, 6000 Kolding", (2022, 3, 1)),
    ("LPO-HER", "Låneformidling Herning", OfficeKind.LPO, "Bredgade 20, 7400 Herning", None),
]

# (code, name, is_own, share of loans)
SERVICERS = [
    ("OWN", "Nordisk Realkredit (egen servicering)", True, 90),
    ("LSD", "Loan Servicing Danmark A/S", False, 6),
    ("NMS", "Nordic Mortgage Servicing ApS", False, 4),
]

# (username, first name, last name, office code); a `loan-officer` user, when it exists, joins the home office.
OFFICERS = [
    ("mette.lund", "Mette", "Lund", "HO"),
    ("jens.kjaer", "Jens", "Kjær", "HO"),
    ("anne.bach", "Anne", "Bach", "BR-AAR"),
    ("soren.dahl", "Søren", "Dahl", "BR-AAR"),
    ("louise.holm", "Louise", "Holm", "BR-ODE"),
    ("henrik.skov", "Henrik", "Skov", "BR-AAL"),
    ("camilla.juhl", "Camilla", "Juhl", "BR-ESB"),
    ("rasmus.krogh", "Rasmus", "Krogh", "LPO-KOL"),
    ("pia.brandt", "Pia", "Brandt", "LPO-HER"),
]

# Share of loans (percent) by property category: owner-occupied homes dominate a Danish mortgage book.
CATEGORY_SHARES = [
    (PropertyCategory.OWNER_OCCUPIED, 65),
    (PropertyCategory.PRIVATE_RENTAL, 9),
    (PropertyCategory.COOPERATIVE, 6),
    (PropertyCategory.AGRICULTURE, 7),
    (PropertyCategory.OFFICE_RETAIL, 5),
    (PropertyCategory.INDUSTRY, 3),
    (PropertyCategory.SOCIAL_HOUSING, 3),
    (PropertyCategory.SOCIAL_CULTURAL, 1),
    (PropertyCategory.OTHER, 1),
]
# Per category: share of borrowers that are companies (CVR), median principal in DKK, log-normal spread,
# share of EUR loans, and the term-length weights (10, 15, 20, 25, 30 years).
_HOME_TERMS = (8, 8, 18, 8, 58)
_BUSINESS_TERMS = (20, 15, 30, 10, 25)
CATEGORY_PROFILE = {
    PropertyCategory.OWNER_OCCUPIED: (0.0, 1_600_000, 0.55, 0.04, _HOME_TERMS),
    PropertyCategory.PRIVATE_RENTAL: (0.6, 6_000_000, 0.9, 0.07, _BUSINESS_TERMS),
    PropertyCategory.COOPERATIVE: (1.0, 20_000_000, 0.9, 0.05, _HOME_TERMS),
    PropertyCategory.AGRICULTURE: (0.35, 10_000_000, 0.9, 0.09, _BUSINESS_TERMS),
    PropertyCategory.OFFICE_RETAIL: (0.9, 12_000_000, 1.0, 0.10, _BUSINESS_TERMS),
    PropertyCategory.INDUSTRY: (0.9, 8_000_000, 1.0, 0.10, _BUSINESS_TERMS),
    PropertyCategory.SOCIAL_HOUSING: (1.0, 30_000_000, 0.8, 0.0, _HOME_TERMS),
    PropertyCategory.SOCIAL_CULTURAL: (1.0, 6_000_000, 0.8, 0.0, _BUSINESS_TERMS),
    PropertyCategory.OTHER: (0.7, 2_500_000, 0.9, 0.08, _BUSINESS_TERMS),
}
TERM_YEARS = (10, 15, 20, 25, 30)
LOAN_TYPE_SHARES = [
    (LoanType.ADJUSTABLE, 45),
    (LoanType.FIXED, 40),
    (LoanType.CAPPED_FLOATING, 10),
    (LoanType.INDEX_LINKED, 5),
]
# Adjustable-rate products: months between rate resets (refinancing auctions), share.
# F-kort resets every six months; F1, F3, F5 every one, three and five years.
ADJUSTABLE_PRODUCTS = [(6, 15), (12, 25), (36, 25), (60, 35)]
STATUS_SHARES = [
    (LoanStatus.ACTIVE, 965),
    (LoanStatus.PAID_OFF, 20),
    (LoanStatus.DEFAULTED, 8),
    (LoanStatus.TRANSFERRED, 5),
    (LoanStatus.CHARGED_OFF, 2),
]
INTEREST_ONLY_SHARE = 0.20
SECOND_LOAN_SHARE = 0.15  # a home financed with two loans (e.g. part fixed, part F5)
DO_NOT_CONTACT_SHARE = 0.03
QUARTERLY_SHARE = 0.75  # Danish mortgage loans pay on the quarterly term dates; the rest monthly
# Fixed-rate coupons (percent) by origination year: what the bond market paid when the loan was made.
FIXED_COUPONS = [
    (1999, 600),
    (2005, 500),
    (2009, 450),
    (2011, 400),
    (2013, 300),
    (2015, 250),
    (2017, 200),
    (2020, 150),
    (2022, 100),
    (2023, 400),
    (2024, 500),
    (9999, 400),
]

MALE_NAMES = (
    "Peter Jens Lars Michael Henrik Thomas Søren Jan Niels Christian Martin Anders Morten Jesper Mads Rasmus "
    "Per Hans Ole Kim Mikkel Frederik Jakob Kasper Steen Bo Torben Poul Erik Carsten Emil Mathias Simon "
    "Nikolaj Jonas Allan Brian Flemming Kristian Jørgen"
).split()
FEMALE_NAMES = (
    "Anne Kirsten Mette Hanne Anna Helle Susanne Lene Maria Marianne Inge Karen Lone Bente Camilla Pia "
    "Charlotte Louise Tina Gitte Julie Sofie Ida Line Maja Emma Laura Rikke Trine Birgitte Dorthe Signe "
    "Katrine Christina Heidi Malene Jette Annette Lise"
).split()
MIDDLE_NAMES = "Holm Lund Dahl Bach Krogh Skov Juhl Bech Vestergaard Kjær Damgaard Lykke Brandt Munk".split()
SURNAMES = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen Madsen "
    "Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Knudsen Jakobsen Mikkelsen "
    "Olesen Frederiksen Laursen Henriksen Lund Schmidt Eriksen Holm Kristiansen Clausen Simonsen Svendsen "
    "Andreasen Iversen Jeppesen Mogensen Jacobsen"
).split()
STREETS = (
    "Vestergade Østergade Nørregade Søndergade Storegade Kirkevej Skolevej Møllevej Stationsvej Bakkevej "
    "Engvej Birkevej Egevej Bøgevej Ahornvej Lærkevej Vibevej Solvej Parkvej Strandvejen Havnegade "
    "Jernbanegade Algade Rosenvænget Kløvervænget Hybenvej Granvej Fasanvej Mågevej Drosselvej Svanevej "
    "Skovvej Grønnegade Slotsgade Nygade Bredgade Tingvej Frederiksgade Valdemarsgade Ryesgade Tværgade"
).split()
BUSINESS_STREETS = "Industrivej Erhvervsvej Håndværkervej Fabriksvej Transportvej Lagervej Torvet".split()
RURAL_ROADS = "Markvej Landevejen Kærvej Mosevej Hedevej Bygaden Åvej".split()
FARM_NAMES = "Højgård Nørregård Søndergård Vestergård Østergård Bakkegård Engholm Lindegård Kærgård".split()
# (postcode, town, weight by population); big cities first.
TOWNS = [
    ("1550", "København V", 18),
    ("2100", "København Ø", 12),
    ("2200", "København N", 12),
    ("2300", "København S", 10),
    ("2500", "Valby", 6),
    ("2610", "Rødovre", 4),
    ("2800", "Kongens Lyngby", 5),
    ("2900", "Hellerup", 4),
    ("3000", "Helsingør", 4),
    ("3400", "Hillerød", 4),
    ("4000", "Roskilde", 5),
    ("4200", "Slagelse", 3),
    ("4300", "Holbæk", 3),
    ("4700", "Næstved", 4),
    ("4800", "Nykøbing F", 2),
    ("5000", "Odense C", 14),
    ("5500", "Middelfart", 2),
    ("5700", "Svendborg", 3),
    ("6000", "Kolding", 6),
    ("6100", "Haderslev", 3),
    ("6200", "Aabenraa", 2),
    ("6400", "Sønderborg", 3),
    ("6700", "Esbjerg", 7),
    ("7000", "Fredericia", 4),
    ("7100", "Vejle", 5),
    ("7400", "Herning", 5),
    ("7500", "Holstebro", 3),
    ("7700", "Thisted", 2),
    ("7800", "Skive", 2),
    ("8000", "Aarhus C", 16),
    ("8200", "Aarhus N", 8),
    ("8600", "Silkeborg", 4),
    ("8700", "Horsens", 5),
    ("8800", "Viborg", 4),
    ("8900", "Randers C", 5),
    ("9000", "Aalborg", 11),
    ("9700", "Brønderslev", 2),
    ("9800", "Hjørring", 3),
    ("3700", "Rønne", 2),
]
RURAL_TOWNS = [t for t in TOWNS if not t[1].startswith(("København", "Aarhus", "Odense", "Aalborg"))]
# E-mail addresses use the documentation domains (RFC 2606) so that nobody real is ever written to.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", " ": "", "&": ""})


@dataclass
class SeedResult:
    loans: int = 0
    borrowers: int = 0
    properties: int = 0
    exchange_rates: int = 0
    skipped: bool = False
    opening_balances: int = 0
    rebuilt: int = 0  # indexes and foreign keys dropped for the bulk load and rebuilt after it
    timings: dict[str, float] = field(default_factory=dict)


# --- small helpers ---------------------------------------------------------------------------------------


def _weighted(pairs: Sequence[tuple[object, float]]) -> tuple[list, list[float]]:
    """Values and cumulative weights for `Random.choices(..., cum_weights=...)` (faster than weights=)."""
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _add_years(day: datetime.date, years: int) -> datetime.date:
    return _add_months(day, 12 * years)


def _next_term_date(day: datetime.date, months_between: int) -> datetime.date:
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
class _Chunk:
    borrowers: list[tuple] = field(default_factory=list)
    properties: list[tuple] = field(default_factory=list)
    loans: list[tuple] = field(default_factory=list)
    assignments: list[tuple] = field(default_factory=list)


@dataclass
class _Context:
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

    def __init__(self, *, seed: int, context: _Context) -> None:
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
        horizon = _add_years(today, 30)
        self.quarter_dates = self._term_dates(today, horizon, 3)
        self.month_dates = self._term_dates(today, horizon, 1)
        self.today = today
        self.household = 0
        self.company = 0

    @staticmethod
    def _term_dates(today: datetime.date, horizon: datetime.date, step: int) -> list[datetime.date]:
        dates, day = [], _next_term_date(today, step)
        while day <= horizon:
            dates.append(day)
            day = _add_months(day, step)
        return dates

    def chunks(self, *, loans: int, chunk_size: int) -> Iterator[_Chunk]:
        chunk, made = _Chunk(), 0
        while made < loans:
            made += self._household(chunk, max_loans=loans - made, loan_index=made)
            if len(chunk.loans) >= chunk_size:
                yield chunk
                chunk = _Chunk()
        if chunk.loans:
            yield chunk

    # One household: a borrower, a property and one or two loans on it.
    def _household(self, chunk: _Chunk, *, max_loans: int, loan_index: int) -> int:
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
            slug = name.split()[0].lower().translate(_ASCII).replace("/", "")
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
            local = f"{first}.{surname}".lower().translate(_ASCII)
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
        origination = _add_years(maturity, -term) - datetime.timedelta(days=rng.randint(20, 90))
        if origination >= today:  # a term that short would start in the future: it is a 30-year loan
            origination = _add_years(maturity, -30) - datetime.timedelta(days=rng.randint(20, 90))
        if origination >= today:
            origination = today - datetime.timedelta(days=rng.randint(1, 60))
        first_payment = _next_term_date(origination, months_between)

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
            anchor = _next_term_date(origination, 3)
            reset = _six_monthly(origination) if period == 6 else _add_months(anchor, period)
            while reset <= today:
                reset = _add_months(reset, period)
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
            end = _add_years(first_payment, years)
            if end < _add_years(maturity, -1):
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


# --- writing ---------------------------------------------------------------------------------------------


class _TableWriter:
    """Writes tuples in `fields` order to the model's table: COPY on PostgreSQL, bulk_create elsewhere.

    Columns the generator does not know (added to the model later) get their model default, so a new
    nullable or defaulted column does not break the seed.
    """

    def __init__(self, model: type[models.Model], fields: list[str]) -> None:
        self.model = model
        self.fields = fields
        known = set(fields)
        self.extra: list[tuple[models.Field, object]] = []
        for model_field in model._meta.concrete_fields:
            if model_field.attname in known:
                continue
            if not model_field.null and not model_field.has_default():
                raise RuntimeError(f"seed_demo does not fill {model.__name__}.{model_field.name}")
            self.extra.append((model_field, model_field.get_default()))
        self.postgres = connection.vendor == "postgresql"
        columns = [model._meta.get_field(name).column for name in fields] + [f.column for f, _ in self.extra]
        quote = connection.ops.quote_name
        self.copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        )
        self.extra_text = "".join("\t" + _copy_text(value) for _, value in self.extra)

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            extra = self.extra_text
            buffer = io.StringIO("".join("\t".join(map(_copy_text, row)) + extra + "\n" for row in rows))
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(self.copy_sql, buffer, size=1 << 20)
        else:
            fields = self.fields
            self.model.objects.bulk_create(
                [self.model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=500
            )


def _copy_text(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, dict | list):
        return _copy_text(json.dumps(value))
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)


# --- reference data and the whole run --------------------------------------------------------------------


def _reference_data() -> tuple[dict[str, int], list, list]:
    offices = {}
    for code, name, kind, address, granted in OFFICES:
        office, _ = Office.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "address": address,
                "branch_capacity": granted is not None,
                "branch_capacity_granted_on": datetime.date(*granted) if granted else None,
            },
        )
        offices[code] = office.id
    servicers = []
    for code, name, is_own, share in SERVICERS:
        servicer, _ = Servicer.objects.get_or_create(code=code, defaults={"name": name, "is_own": is_own})
        servicers.append((servicer.id, servicer.is_own, share))
    group = Group.objects.get(name=LOAN_OFFICER)
    officers = []
    for username, first, last, office_code in OFFICERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()  # demo staff; the demo logins come from create_demo_users
            user.save(update_fields=["password"])
        user.groups.add(group)
        officers.append((user.id, office_code))
    # The demo login of `make run` gets a fair share of the book, so its home page has loans on it.
    demo_officer = User.objects.filter(username=DEMO_OFFICER_USERNAME).first()
    if demo_officer is not None:
        officers.append((demo_officer.id, "HO"))
    return offices, servicers, officers


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1


def _context(*, today: datetime.date) -> _Context:
    offices, servicers, officers = _reference_data()
    last_number = (
        Loan.objects.filter(loan_number__regex=rf"^{LOAN_NUMBER_PREFIX}[0-9]{{9}}$")
        .order_by("-loan_number")
        .values_list("loan_number", flat=True)
        .first()
    )
    return _Context(
        today=today,
        now=timezone.now(),
        offices=offices,
        servicers=servicers,
        officers=officers,
        first_ids={
            "borrower": _next_id(Borrower),
            "property": _next_id(Property),
            "loan": _next_id(Loan),
            "assignment": _next_id(ServicerAssignment),
        },
        first_loan_number=int(last_number[len(LOAN_NUMBER_PREFIX) :]) + 1 if last_number else 1,
        first_household=Property.objects.count(),
    )


def _post_opening_balances(*, first_loan_id: int, loans: int) -> int:
    """Start each seeded loan's servicing ledger with its opening balance, as `import_loans` does, so that
    the ledger and the loans' cached balances agree (when the servicing ledger is installed)."""
    try:
        from servicing.ledger import opening_balances_post
    except ImportError:
        return 0
    return opening_balances_post(loan_ids=range(first_loan_id, first_loan_id + loans))


BULK_LOADED_MODELS = (Borrower, Property, Loan, ServicerAssignment, RegisterEvent)


@contextlib.contextmanager
def _bulk_load_mode(result: SeedResult) -> Iterator[None]:
    """PostgreSQL: drop the book tables' non-unique indexes and foreign keys, and put them back on exit.

    Building an index once over a loaded table is far cheaper than a million random inserts into it, and one
    validating `ADD CONSTRAINT … FOREIGN KEY` is a single join instead of a million deferred row triggers
    queued until commit. Unique indexes and primary keys stay (the upserts need them). Everything happens
    inside the seed's transaction: on failure nothing changed, and the tables are locked until the commit.
    """
    tables = [model._meta.db_table for model in BULK_LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
            FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            ORDER BY 1, 2
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # A table with deferred checks still queued (earlier writes in an enclosing transaction) cannot be
        # altered: run those checks now. Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED, and
        # the end of this block defers them again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    result.rebuilt = len(indexes) + len(foreign_keys)


def seed_exchange_rates(*, seed: int, today: datetime.date, since: datetime.date = EURO_START) -> int:
    """EUR rates as Nationalbanken quotes them (DKK per 100) on each month's last bank day, and for today.

    Only when the statistics app's ExchangeRate model is installed; existing rates are left as they are.
    """
    try:
        exchange_rate = apps.get_model("stats", "ExchangeRate")
    except LookupError:
        return 0
    from servicing.bankdays import is_bank_day  # Nationalbanken's closing days

    rng = random.Random(f"{seed}-eur")
    days = []
    month = datetime.date(since.year, since.month, 1)
    while month <= today:
        # Nationalbanken fixes no rate on a closing day: the month's rate is its last bank day's.
        day = min(
            datetime.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1]), today
        )
        while not is_bank_day(day):
            day -= datetime.timedelta(days=1)
        days.append(day)
        month = _add_months(month, 1)
    rows = [
        # Denmark's peg holds the krone within a narrow band around the central rate 746.038.
        exchange_rate(
            rate_date=day, currency="EUR", rate=EUR_CENTRAL_RATE + Decimal(rng.randint(-250, 100)) / 100
        )
        for day in sorted(set(days))
    ]
    before = exchange_rate.objects.filter(currency="EUR").count()
    exchange_rate.objects.bulk_create(rows, ignore_conflicts=True)
    return exchange_rate.objects.filter(currency="EUR").count() - before


def seed_demo_book(
    *,
    loans: int,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
    if_empty: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    bulk_load_threshold: int = BULK_LOAD_THRESHOLD,
    ledger: bool = True,
) -> SeedResult:
    """Seed `loans` demo loans with their borrowers, properties, servicer assignments and register events."""
    today = today or timezone.localdate()
    result = SeedResult()
    if if_empty and Loan.objects.exists():
        result.skipped = True
        return result
    started = time.monotonic()
    postgres = connection.vendor == "postgresql"
    writers = {
        "borrowers": _TableWriter(Borrower, BORROWER_FIELDS),
        "properties": _TableWriter(Property, PROPERTY_FIELDS),
        "loans": _TableWriter(Loan, LOAN_FIELDS),
        "assignments": _TableWriter(ServicerAssignment, ASSIGNMENT_FIELDS),
    }
    with transaction.atomic(), contextlib.ExitStack() as stack:
        if postgres:
            # Ids are handed out here, not by the sequences: keep other writers out until the seed commits.
            with connection.cursor() as cursor:
                for model in (Borrower, Property, Loan, ServicerAssignment):
                    cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            if loans >= bulk_load_threshold:
                stack.enter_context(_bulk_load_mode(result))
        context = _context(today=today)
        generator = BookGenerator(seed=seed, context=context)
        for chunk in generator.chunks(loans=loans, chunk_size=chunk_size):
            writers["borrowers"].write(chunk.borrowers)
            writers["properties"].write(chunk.properties)
            writers["loans"].write(chunk.loans)
            writers["assignments"].write(chunk.assignments)
            result.loans += len(chunk.loans)
            result.borrowers += len(chunk.borrowers)
            result.properties += len(chunk.properties)
            if progress:
                progress(result.loans)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Borrower, Property, Loan, ServicerAssignment]
            ):
                cursor.execute(sql)
        result.timings["write"] = time.monotonic() - started
        register_events_sync()
        result.timings["register_events"] = time.monotonic() - started - result.timings["write"]
        result.exchange_rates = seed_exchange_rates(seed=seed, today=today)
        if ledger:
            mark = time.monotonic()
            result.opening_balances = _post_opening_balances(
                first_loan_id=context.first_ids["loan"], loans=result.loans
            )
            result.timings["ledger"] = time.monotonic() - mark
        mark = time.monotonic()
        stack.close()  # indexes and foreign keys back, validated, inside the same transaction
        if postgres and loans >= bulk_load_threshold:
            result.timings["indexes_and_keys"] = time.monotonic() - mark
    if postgres:
        mark = time.monotonic()
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner sees a million rows and not an empty table; and, outside a
            # transaction, VACUUM too: it sets the visibility map that index-only scans (the register's
            # covering indexes) need, which autovacuum would otherwise set only some minutes later.
            tables = [m._meta.db_table for m in (Borrower, Property, Loan, ServicerAssignment, RegisterEvent)]
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        result.timings["vacuum_analyze"] = time.monotonic() - mark
    result.timings["total"] = time.monotonic() - started
    return result
