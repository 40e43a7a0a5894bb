"""seed_demo: a realistic, deterministic Danish demo book (issue 2 item 6)."""

import datetime
import hashlib
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from stdnum.dk import cpr, cvr

from loanregister.choices import LoanStatus
from loanregister.models import Borrower, Loan, Office, Property, RegisterEvent, Servicer, ServicerAssignment

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
N = 2000


def _seed(loans: int = N, seed: int = 7, **options) -> None:
    # The ledger is immutable (SRV-4), so books that the tests wipe and seed again are seeded without it.
    options.setdefault("without_ledger", True)
    call_command("seed_demo", loans=loans, seed=seed, today=TODAY, stdout=_Null(), **options)


class _Null:
    def write(self, *args) -> None:
        pass

    def flush(self) -> None:
        pass


def _digest() -> str:
    """A digest of every loan row with its borrower and property by their natural keys (not database ids)."""
    digest = hashlib.sha256()
    rows = Loan.objects.order_by("loan_number").values_list(
        "loan_number",
        "borrower__name",
        "borrower__national_id",
        "borrower__email",
        "borrower__phone",
        "borrower__address",
        "borrower__do_not_contact",
        "property__property_id",
        "property__address",
        "property__category",
        "office__code",
        "officer__username",
        "servicer__code",
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
    )
    for row in rows.iterator():
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _wipe() -> None:
    from origination.models import Application

    Application.objects.all().delete()  # the demo's applications name the book's loans and borrowers
    RegisterEvent.objects.all().delete()
    ServicerAssignment.objects.all().delete()
    Loan.objects.all().delete()
    Borrower.objects.all().delete()
    Property.objects.all().delete()


def test_seed_demo_is_deterministic_for_a_seed():
    # given a book seeded with seed 7
    _seed(loans=500, seed=7)
    first = _digest()
    # when the same seed is seeded again into an empty book
    _wipe()
    _seed(loans=500, seed=7)
    # then every loan row is the same
    assert _digest() == first
    # and another seed gives another book
    _wipe()
    _seed(loans=500, seed=8)
    assert _digest() != first


@pytest.fixture
def book():
    _seed()


def _share(queryset, **condition) -> float:
    return queryset.filter(**condition).count() / queryset.count()


def test_seed_demo_book_has_realistic_shares(book):
    loans = Loan.objects.all()
    # then the counts are exact
    assert loans.count() == N
    # loan types (STAT-8): all four, adjustable and fixed dominant
    types = Counter(loans.values_list("loan_type", flat=True))
    assert set(types) == {"adjustable", "fixed", "capped_floating", "index_linked"}
    assert 0.40 < types["adjustable"] / N < 0.50
    assert 0.35 < types["fixed"] / N < 0.45
    assert 0.07 < types["capped_floating"] / N < 0.13
    assert 0.03 < types["index_linked"] / N < 0.08
    # currencies: DKK with some EUR
    assert 0.03 < _share(loans, currency="EUR") < 0.08
    assert set(loans.values_list("currency", flat=True)) == {"DKK", "EUR"}
    # property categories: every one present, owner-occupied homes dominant
    categories = Counter(loans.values_list("property__category", flat=True))
    assert len(categories) == 9
    assert 0.60 < categories["owner_occupied"] / N < 0.70
    assert categories.most_common(2)[1][0] == "private_rental"
    # servicers: ours plus two third parties with about a tenth of the loans
    assert Servicer.objects.filter(is_own=True).exists()
    assert 0.07 < _share(loans, servicer__is_own=False) < 0.13
    assert loans.exclude(servicer__is_own=True).values("servicer").distinct().count() == 2
    # interest-only periods for about a fifth, never longer than 10 years
    interest_only = loans.filter(interest_only_until__isnull=False)
    assert 0.15 < interest_only.count() / N < 0.25
    for loan in interest_only:
        assert loan.interest_only_until <= loan.first_payment_date.replace(
            year=loan.first_payment_date.year + 10
        )
    assert set(loans.values_list("payments_per_year", flat=True)) == {4, 12}
    assert len(set(loans.values_list("amortization", flat=True))) == 4
    # mostly active and mostly recourse (Danish mortgages are)
    assert _share(loans, status=LoanStatus.ACTIVE) > 0.9
    assert 0.9 < _share(loans, recourse=True) < 1.0


def test_seed_demo_dates_and_amounts_are_consistent(book):
    loans = Loan.objects.all()
    assert not loans.filter(origination_date__gte=TODAY).exists(), "originated before today"
    assert not loans.filter(maturity_date__lte=TODAY).exists()
    assert not loans.filter(maturity_date__gt=TODAY.replace(year=TODAY.year + 30)).exists()
    # maturities spread over the 30 years: every 5-year band has loans
    for start in range(0, 30, 5):
        band = loans.filter(
            maturity_date__gt=TODAY.replace(year=TODAY.year + start),
            maturity_date__lte=TODAY.replace(year=TODAY.year + start + 5),
        )
        assert band.count() > N / 12, start
    assert not loans.filter(outstanding_balance__gt=F("principal")).exists()
    assert not loans.exclude(balance_date=TODAY).exists()
    assert not loans.filter(status=LoanStatus.PAID_OFF).exclude(outstanding_balance=0).exists()
    # owner-occupied loans are smaller than social housing loans
    home = loans.filter(property__category="owner_occupied", currency="DKK").values_list(
        "principal", flat=True
    )
    social = loans.filter(property__category="social_housing").values_list("principal", flat=True)
    assert sorted(home)[len(home) // 2] < sorted(social)[len(social) // 2]
    assert all(isinstance(p, Decimal) for p in home[:10])


def test_seed_demo_rate_resets_are_term_dates_within_five_years(book):
    adjustable = Loan.objects.filter(loan_type="adjustable")
    resets = list(adjustable.exclude(rate_reset_date=None).values_list("rate_reset_date", flat=True))
    assert len(resets) > 0.8 * adjustable.count()
    assert all(d.day == 1 and d.month in (1, 4, 7, 10) for d in resets)
    assert all(TODAY < d <= TODAY.replace(year=TODAY.year + 5) for d in resets)
    assert not Loan.objects.exclude(loan_type="adjustable").exclude(rate_reset_date=None).exists()
    assert not Loan.objects.filter(rate_reset_date__gte=F("maturity_date")).exists()


def test_seed_demo_borrowers_have_valid_ids_and_contact_details(book):
    borrowers = Borrower.objects.all()
    ids = list(borrowers.values_list("national_id", flat=True))
    cprs = [i for i in ids if len(i) == 11]
    cvrs = [i for i in ids if len(i) == 8]
    assert len(cprs) + len(cvrs) == len(ids)
    assert all(cpr.is_valid(i) for i in cprs)
    assert all(cvr.is_valid(i) for i in cvrs)
    assert len(set(ids)) == len(ids), "national ids are unique"
    # companies borrow against commercial property; persons own their homes
    assert Loan.objects.filter(
        property__category="office_retail", borrower__national_id__regex=r"^\d{8}$"
    ).exists()
    assert not Loan.objects.filter(
        property__category="owner_occupied", borrower__national_id__regex=r"^\d{8}$"
    ).exists()
    assert 0.015 < _share(borrowers, do_not_contact=True) < 0.05
    assert _share(borrowers, email="") < 0.2
    assert _share(borrowers, phone="") < 0.15
    assert all(p.startswith("+45 ") for p in borrowers.exclude(phone="").values_list("phone", flat=True)[:50])
    assert len(set(Property.objects.values_list("property_id", flat=True))) == Property.objects.count()


def test_seed_demo_offices_and_officers(book):
    kinds = Counter(Office.objects.values_list("kind", flat=True))
    assert kinds["home_office"] == 1 and kinds["branch"] >= 2 and kinds["lpo"] >= 1
    granted = Office.objects.get(branch_capacity=True)
    assert granted.kind == "lpo" and granted.branch_capacity_granted_on is not None
    officers = Loan.objects.values("officer").annotate(n=Count("id"))
    assert len(officers) >= 5
    assert all(row["n"] > N / 20 for row in officers)
    assert not Loan.objects.filter(officer__isnull=True).exists()
    assert not Loan.objects.exclude(officer__groups__name="loan_officer").exists()


def test_seed_demo_gives_the_demo_loan_officer_a_share(make_user):
    # given the demo user that `create_demo_users` makes
    officer = make_user("loan-officer", "loan_officer")
    # when
    _seed(loans=1000)
    # then it has a fair share of the book, some of it falling due soon
    mine = Loan.objects.filter(officer=officer)
    assert mine.count() > 1000 / 15
    assert RegisterEvent.objects.filter(
        loan__officer=officer, event_date__lte=TODAY + datetime.timedelta(days=180)
    ).exists()


def test_reg3_reg4_every_active_seeded_loan_is_in_the_register_with_one_current_servicer(book):
    active = Loan.objects.filter(status=LoanStatus.ACTIVE)
    # REG-1/REG-3: maturity, rate reset and end of interest-only are register events of the active loans
    assert RegisterEvent.objects.filter(kind="maturity").count() == active.count()
    assert (
        RegisterEvent.objects.filter(kind="rate_reset").count()
        == active.exclude(rate_reset_date=None).count()
    )
    assert (
        RegisterEvent.objects.filter(kind="interest_only_end").count()
        == active.exclude(interest_only_until=None).count()
    )
    assert not RegisterEvent.objects.exclude(loan__status=LoanStatus.ACTIVE).exists()
    # REG-4: one open servicer assignment per loan, agreeing with the loan
    assert ServicerAssignment.objects.filter(until__isnull=True).count() == N
    assert (
        not Loan.objects.annotate(
            current=Count("servicer_assignments", filter=Q(servicer_assignments__until__isnull=True))
        )
        .exclude(current=1)
        .exists()
    )
    assert not ServicerAssignment.objects.exclude(servicer=F("loan__servicer")).exists()
    assert not ServicerAssignment.objects.exclude(since=F("loan__servicer_since")).exists()


def test_seed_demo_writes_no_history_rows(book):
    assert not Loan.history.exists()
    assert not Borrower.history.exists()


def test_seed_demo_if_empty_leaves_a_book_alone(book):
    # when seeding again with --if-empty
    _seed(loans=300, seed=99, if_empty=True)
    # then nothing was added
    assert Loan.objects.count() == N
    # and without it the book grows, with new loan numbers
    _seed(loans=300, seed=99)
    assert Loan.objects.count() == N + 300
    assert Loan.objects.values("loan_number").distinct().count() == N + 300


def test_stat7_seed_demo_month_end_eur_rates():
    from common.models import ExchangeRate
    from common.rates import month_end_rate

    # when
    _seed(loans=200)
    # then every month since the euro has a Nationalbanken-style EUR rate, near the peg
    assert ExchangeRate.objects.filter(currency="EUR").count() >= (2026 - 1999) * 12
    for year, month in [(1999, 1), (2017, 4), (2025, 12), (2026, 10)]:
        rate = month_end_rate("EUR", year, month)
        assert Decimal("7.40") < rate < Decimal("7.50"), (year, month, rate)
    # no rate on a bank closing day (31 December)
    assert not ExchangeRate.objects.filter(rate_date=datetime.date(2025, 12, 31)).exists()


def _schema_of_book_tables() -> tuple[list, list]:
    from django.db import connection

    tables = [
        "loanregister_" + name
        for name in ("borrower", "property", "loan", "servicerassignment", "registerevent", "borrower_name")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1", [tables]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [tables],
        )
        constraints = cursor.fetchall()
    return indexes, constraints


def test_seed_demo_bulk_load_mode_writes_the_same_book_and_restores_indexes_and_keys():
    from loanregister.demo import seed_demo_book

    # given the schema and the book written the plain way
    schema = _schema_of_book_tables()
    seed_demo_book(loans=400, seed=3, today=TODAY, bulk_load_threshold=10**9, ledger=False)
    plain = _digest()
    _wipe()
    # when the same book is written with indexes and foreign keys dropped during the load
    result = seed_demo_book(loans=400, seed=3, today=TODAY, bulk_load_threshold=0, ledger=False)
    # then the rows are the same and every index and (validated) constraint is back as it was
    assert result.rebuilt > 10
    assert _digest() == plain
    assert _schema_of_book_tables() == schema
    # and the name search's table, filled by the borrowers' triggers during the COPY, holds every borrower
    from .register_support import expected_borrower_names, stored_borrower_names

    assert stored_borrower_names() == expected_borrower_names() != set()
    assert (
        RegisterEvent.objects.filter(kind="maturity").count() == Loan.objects.filter(status="active").count()
    )


def test_srv4_seeded_balances_open_the_servicing_ledger():
    from servicing.ledger import ledger_reconcile

    # when a book is seeded with its ledger
    _seed(loans=300, without_ledger=False)
    # then every loan with a balance has its opening entry and the ledger agrees with the loans
    with_balance = Loan.objects.filter(outstanding_balance__gt=0)
    assert with_balance.exists()
    assert with_balance.filter(postings__isnull=True).count() == 0
    assert ledger_reconcile() == []


def test_apps_add_to_the_demo_book_through_a_demo_seeder(monkeypatch):
    """common.hooks.add_demo_seeder: an app's seeder runs in seed_demo's transaction with the new loans' ids and
    what it returns is reported; the core never imports the app."""
    from io import StringIO

    from common import hooks

    calls = []

    def seeder(*, loan_ids, today, seed, ledger):
        calls.append((list(loan_ids), today, seed, ledger))
        assert Loan.objects.filter(id__in=loan_ids).count() == len(loan_ids)  # the loans are written already
        return f"{len(loan_ids)} loans seen"

    monkeypatch.setattr(hooks, "_demo_seeders", {"test_extra": seeder})
    out = StringIO()
    call_command("seed_demo", loans=25, seed=3, today=TODAY, without_ledger=True, stdout=out)
    [(ids, today, seed, ledger)] = calls
    assert sorted(ids) == sorted(Loan.objects.values_list("id", flat=True))
    assert (today, seed, ledger) == (TODAY, 3, False)
    assert "test_extra: 25 loans seen" in out.getvalue()


def _events() -> list[tuple]:
    return list(RegisterEvent.objects.order_by("id").values_list())


@pytest.mark.parametrize("bulk_load_threshold", [0, 10**9], ids=["bulk", "plain"])
def test_reg1_seeded_register_events_are_what_a_whole_book_sync_makes(bulk_load_threshold):
    """The seed writes the new loans' register events chunk by chunk (a plain INSERT behind the COPYs) and
    rebuilds the aggregate; a whole-book sync afterwards finds nothing to change."""
    from loanregister.demo import seed_demo_book
    from loanregister.register_sums import register_sums_drift
    from loanregister.services import register_events_sync

    # given a book seeded in two chunks, some borrowers marked do-not-contact
    seed_demo_book(
        loans=600, seed=4, today=TODAY, chunk_size=300, bulk_load_threshold=bulk_load_threshold, ledger=False
    )
    seeded = _events()
    assert Borrower.objects.filter(do_not_contact=True, loans__status="active").exists()
    assert {kind for _id, _loan, kind, *rest in seeded} == {"maturity", "rate_reset", "interest_only_end"}
    # when the whole book is synced
    register_events_sync()
    # then no event changed, none was added or deleted, and the aggregate agrees with the events
    assert _events() == seeded
    assert register_sums_drift() == []
