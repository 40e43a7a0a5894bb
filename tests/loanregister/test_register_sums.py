"""REG-3 at a million loans (issue 9, target 2): the register's totals and ladder come from a maintained aggregate
(loanregister/register_sums.py) for the filters it answers, and give exactly what the exact query over the events
gives, for a table of filters, also after imports, payments, a payoff, a servicing transfer and a deleted loan."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from loanregister import register, register_sums
from loanregister.loan_import import loans_import
from loanregister.models import Loan, RegisterEvent
from loanregister.services import loan_status_set, own_servicer_get_or_create
from servicing.ledger.posting import posting_create
from servicing.models.ledger import PostingKind
from servicing.transfers import servicing_transfer, servicing_transfers_apply

from . import register_support as make

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = datetime.date.today()


def _book(officer):
    aarhus, odense = make.office("AAR"), make.office("ODE")
    own, other = make.servicer("OWN"), make.servicer("NORD", is_own=False)
    loans = [
        make.loan("S-1", office=aarhus, loan_type="fixed", maturity_date=TODAY + datetime.timedelta(days=40)),
        make.loan(
            "S-2",
            office=aarhus,
            loan_type="adjustable",
            currency="EUR",
            outstanding_balance=Decimal("1234.56"),
            maturity_date=TODAY + datetime.timedelta(days=40),
            rate_reset_date=TODAY + datetime.timedelta(days=100),
        ),
        make.loan(
            "S-3",
            office=odense,
            servicer=other,
            recourse=False,
            loan_type="adjustable",
            maturity_date=TODAY + datetime.timedelta(days=200),
            interest_only_until=TODAY + datetime.timedelta(days=10),
        ),
        make.loan("S-4", office=None, officer=officer, maturity_date=TODAY + datetime.timedelta(days=900)),
        make.loan("S-5", office=odense, servicer=own, maturity_date=TODAY - datetime.timedelta(days=30)),
        # balances on either side of a balance band's edge (1,000,000: register_sums.BALANCE_EDGES)
        make.loan(
            "S-6",
            office=aarhus,
            loan_type="adjustable",
            outstanding_balance=Decimal("1000000.00"),
            maturity_date=TODAY + datetime.timedelta(days=60),
        ),
        make.loan(
            "S-7",
            office=aarhus,
            loan_type="adjustable",
            outstanding_balance=Decimal("999999.99"),
            maturity_date=TODAY + datetime.timedelta(days=61),
        ),
    ]
    return {"aarhus": aarhus, "odense": odense, "own": own, "other": other, "loans": loans}


def _filters(book) -> list[dict]:
    window = {"date_from": TODAY.isoformat(), "date_to": (TODAY + datetime.timedelta(days=365)).isoformat()}
    return [
        {},  # the default window
        window,
        {"date_from": "", "date_to": ""},  # open on both sides: the whole register
        {"date_from": (TODAY - datetime.timedelta(days=60)).isoformat(), "date_to": ""},
        {**window, "kind": ["maturity"]},
        {**window, "kind": ["rate_reset", "interest_only_end"]},
        {**window, "loan_type": ["adjustable"]},
        {**window, "office": str(book["aarhus"].pk)},
        {**window, "office": str(book["odense"].pk), "kind": ["maturity"]},
        {**window, "servicer": str(book["other"].pk)},
        {**window, "currency": "eur"},
        {**window, "recourse": "false"},
        {**window, "status": "active"},
        {**window, "status": "paid_off"},
        {"date_from": "", "date_to": "", "loan_type": ["fixed"], "office": str(book["aarhus"].pk)},
        # balance bounds on a band's edge (register_sums.BALANCE_EDGES; a maximum is the edge less one øre)
        {**window, "balance_min": "1000000"},
        {**window, "balance_max": "999999.99"},
        {**window, "balance_min": "1000", "balance_max": "2499.99"},
        {**window, "loan_type": ["adjustable"], "office": str(book["aarhus"].pk), "balance_min": "1000000"},
        {"date_from": "", "date_to": "", "balance_min": "0"},
        {**window, "balance_min": "2500", "currency": "eur"},
    ]


def _figures(totals: register.Totals) -> tuple:
    return (
        totals.exact,
        totals.events,
        [(t.currency, t.events, t.balance, t.balance_dkk) for t in totals.by_currency],
        [(m.month, m.events, m.balance_dkk, m.date_from, m.date_to) for m in totals.months],
    )


def _filterset(data: dict):
    """The register's filter, its amounts read as English writes them (1000000.01), whatever language is active."""
    with translation.override("en"):
        filterset = register.register_filterset(data=data)
        assert filterset.is_valid(), (data, filterset.errors)
    return filterset


def _both_ways(data: dict) -> tuple[tuple, tuple]:
    filterset = _filterset(data)
    events = register.register_events(filterset=filterset)
    window = register.filter_window(filterset)
    assert register_sums.sums_filter(filterset.form.cleaned_data) is not None, data
    from_sums = register.register_totals(queryset=events, window=window, filterset=filterset)
    exact = register.register_totals(queryset=events, window=window)  # no filterset: the exact query
    return _figures(from_sums), _figures(exact)


def _assert_in_step(book) -> None:
    assert register_sums.register_sums_drift() == []
    for data in _filters(book):
        from_sums, exact = _both_ways(data)
        assert from_sums == exact, data


def test_reg3_the_aggregate_gives_the_exact_totals_and_ladder_for_a_table_of_filters(make_user):
    # given a small book across offices, servicers, currencies, kinds, loan types and recourse
    book = _book(make_user("anna", "loan_officer"))
    # then every filter the aggregate answers gives the exact figures, and some are not empty
    _assert_in_step(book)
    # S-1, S-2 maturity and rate reset, S-3 maturity and interest-only end, S-6 and S-7
    assert _both_ways({})[0][1] == 7
    # the band's edge splits S-6 (1,000,000.00, counted from 1,000,000) from S-7 (999,999.99, counted up to it)
    assert _both_ways({"balance_min": "1000000"})[0][1] == 1
    assert _both_ways({"balance_min": "1000000"})[0][2] == [
        ("DKK", 1, Decimal("1000000.00"), Decimal("1000000.00"))
    ]
    assert _both_ways({"balance_max": "999999.99", "balance_min": "500000"})[0][1] == 4  # S-1, S-3 twice, S-7


def test_reg3_filters_the_aggregate_cannot_answer_take_the_exact_path(make_user):
    officer = make_user("anna", "loan_officer")
    book = _book(officer)
    for data in [
        {"officer": "anna"},
        {"balance_min": "1234"},  # not a band's edge
        {
            "balance_max": "1000000"
        },  # "up to 1,000,000.00 inclusive" is not a band's edge (1,000,000.01 would be)
        {"balance_min": "1000000.01"},
        {"q": "S-1"},
        {"balance_max": "5000", "office": str(book["aarhus"].pk)},
    ]:
        filterset = _filterset(data)
        assert register_sums.sums_filter(filterset.form.cleaned_data) is None, data
    # an unknown (later) filter with a value is not answered either, whatever its name
    assert register_sums.sums_filter({"date_from": TODAY, "in_collections": True}) is None
    assert register_sums.sums_filter({"date_from": TODAY, "in_collections": None, "mine": False}) is not None


def test_reg3_the_aggregate_stays_exact_after_an_import_of_new_and_changed_loans(make_user):
    book = _book(None)
    own_servicer_get_or_create()
    maturity = (TODAY + datetime.timedelta(days=70)).isoformat()
    rows = [
        "loan_number,borrower_name,loan_type,currency,principal,interest_rate,origination_date,maturity_date,"
        "outstanding_balance",
        f"I-1,Mette Hansen,adjustable,DKK,2500000.00,4.25,2021-04-01,{maturity},2400000.00",
        f"I-2,Ole Jensen,fixed,EUR,100000.00,3,2021-04-01,{maturity},99000.50",
    ]
    with translation.override("en"):
        result = loans_import(file=("\n".join(rows) + "\n").encode(), user=None, file_name="loans.csv")
    assert not getattr(result, "errors", None), result
    _assert_in_step(book)
    # the same numbers again, with a changed balance and date: updated in place
    later = (TODAY + datetime.timedelta(days=300)).isoformat()
    rows[1] = rows[1].replace(maturity, later).replace("2400000.00", "1000.00")
    with translation.override("en"):
        loans_import(file=("\n".join(rows) + "\n").encode(), user=None, file_name="loans2.csv")
    assert RegisterEvent.objects.get(loan_number="I-1").outstanding_balance == Decimal("1000.00")
    _assert_in_step(book)


def test_reg3_the_aggregate_stays_exact_after_payments_a_payoff_and_a_reopening(make_user):
    book = _book(None)
    loan = make.loan(
        "P-1", outstanding_balance=Decimal("0"), maturity_date=TODAY + datetime.timedelta(days=50)
    )
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=Decimal("1000"),
        effective_date=TODAY,
        price=Decimal("100"),
    )
    _assert_in_step(book)
    loan.refresh_from_db()
    posting_create(
        loan=loan,
        kind=PostingKind.EXTRA_REPAYMENT,
        amount=Decimal("400"),
        effective_date=TODAY,
        price=Decimal("100"),
    )
    _assert_in_step(book)
    loan.refresh_from_db()
    payoff = posting_create(
        loan=loan,
        kind=PostingKind.EXTRA_REPAYMENT,
        amount=Decimal("600"),
        effective_date=TODAY,
        price=Decimal("100"),
    )
    loan.refresh_from_db()
    assert loan.status == "paid_off" and not RegisterEvent.objects.filter(loan=loan).exists()
    _assert_in_step(book)
    # a status set by hand, and back
    loan_status_set(loan=book["loans"][0], status="defaulted", reason="test")
    _assert_in_step(book)
    loan_status_set(loan=book["loans"][0], status="active", reason="test")
    _assert_in_step(book)
    assert payoff.pk


def test_reg3_the_aggregate_stays_exact_after_a_servicing_transfer_and_a_deleted_loan(make_user):
    book = _book(None)
    servicing_transfer(
        to_servicer=book["other"], effective_date=TODAY, user=None, loan_numbers=["S-1", "S-2"]
    )
    servicing_transfers_apply(business_date=TODAY)  # the nightly job moves them on the effective date
    assert set(RegisterEvent.objects.filter(loan_number="S-2").values_list("servicer_id", flat=True)) == {
        book["other"].pk
    }
    _assert_in_step(book)
    Loan.objects.get(loan_number="S-3").delete()
    _assert_in_step(book)
    # a whole-book sync rebuilds it, the same
    from loanregister.services import register_events_sync

    register_events_sync()
    _assert_in_step(book)


def test_reg2_a_borrower_marked_do_not_contact_is_counted_at_once_and_unmarked_again(make_user):
    # given a loan in the default window, its borrower not marked, and the note's count cached
    book = _book(None)
    loan = book["loans"][0]
    filterset = register.register_filterset(data={})
    events = register.register_events(filterset=filterset)
    assert register.do_not_contact_in(events=events) == register.DoNotContact(borrowers=0, events=0)
    # when the borrower is marked in the admin's way (a save)
    borrower = loan.borrower
    borrower.do_not_contact = True
    borrower.save()
    # then the events carry the mark and the count (no longer the cached one) says so
    assert set(RegisterEvent.objects.filter(loan=loan).values_list("borrower_do_not_contact", flat=True)) == {
        True
    }
    assert register.do_not_contact_in(events=events) == register.DoNotContact(borrowers=1, events=1)
    borrower.do_not_contact = False
    borrower.save()
    assert register.do_not_contact_in(events=events) == register.DoNotContact(borrowers=0, events=0)
    # a loan synced anew copies the mark from its borrower
    Loan.objects.filter(pk=loan.pk).update(outstanding_balance=Decimal("1.00"))
    borrower.__class__.objects.filter(pk=borrower.pk).update(do_not_contact=True)
    from loanregister.services import register_events_sync

    register_events_sync(loan_ids=[loan.pk])
    assert register.do_not_contact_in(events=events) == register.DoNotContact(borrowers=1, events=1)


@pytest.mark.parametrize(
    "data",
    [
        {"q": "Jensen"},  # a name search: the exact path
        {"q": "S-"},  # a loan-number prefix
        {"officer": "anna"},
        {"balance_min": "1234"},
        {"balance_max": "1000000", "loan_type": ["adjustable"]},
        {"date_from": "", "date_to": "", "q": "Jensen"},
    ],
)
def test_reg2_the_exact_totals_count_the_export_note_in_the_same_pass(make_user, data):
    # given a book with a borrower marked do-not-contact on two loans and one not marked, found by the same search
    officer = make_user("anna", "loan_officer")
    book = _book(officer)
    marked = make.borrower("Jens Jensen", do_not_contact=True)
    for number, days in (("J-1", 20), ("J-2", 400)):
        make.loan(
            number, borrower=marked, officer=officer, maturity_date=TODAY + datetime.timedelta(days=days)
        )
    make.loan("J-3", borrower=make.borrower("Ida Jensen"), maturity_date=TODAY + datetime.timedelta(days=30))
    Loan.objects.filter(loan_number="S-2").update(borrower=marked)
    from loanregister.services import register_events_sync

    register_events_sync(loan_ids=[Loan.objects.get(loan_number="S-2").pk])
    filterset = _filterset(data)
    events = register.register_events(filterset=filterset)
    assert register_sums.sums_filter(filterset.form.cleaned_data) is None, data
    counted = events.filter(borrower_do_not_contact=True).aggregate(
        borrowers=Count("borrower_id", distinct=True), events=Count("id")
    )
    # when the page's totals are computed (the exact path)
    totals = register.register_totals(
        queryset=events, window=register.filter_window(filterset), filterset=filterset
    )
    # then the export note's count is read from what that pass filed, no second query over the events
    with CaptureQueriesContext(connection) as captured:
        note = register.do_not_contact_in(events=events)
    assert not [q for q in captured.captured_queries if "registerevent" in q["sql"]]
    assert note == register.DoNotContact(borrowers=counted["borrowers"], events=counted["events"])
    # and the totals are those of the exact query, as before
    assert _figures(totals) == _figures(
        register.register_totals(queryset=events, window=register.filter_window(filterset))
    )
    assert book["loans"]


@override_settings(REGISTER_AGGREGATE_LIMIT=1)
def test_reg2_over_the_limit_the_export_note_is_still_counted_whole(make_user):
    # given a search matching more events than the limit, two of them marked do-not-contact
    _book(None)
    marked = make.borrower("Jens Jensen", do_not_contact=True)
    for number, days in (("J-1", 20), ("J-2", 40)):
        make.loan(number, borrower=marked, maturity_date=TODAY + datetime.timedelta(days=days))
    filterset = register.register_filterset(data={"q": "Jensen"})
    events = register.register_events(filterset=filterset)
    # when the totals stop at the limit (not exact)
    totals = register.register_totals(
        queryset=events, window=register.filter_window(filterset), filterset=filterset
    )
    assert not totals.exact
    # then the note still counts every marked event, not those the capped pass read
    assert register.do_not_contact_in(events=events) == register.DoNotContact(borrowers=1, events=2)


def _migration(name: str):
    import importlib

    return importlib.import_module(f"loanregister.migrations.{name}")


def _stored_sums(without_band: bool = False) -> dict:
    with connection.cursor() as cursor:
        key = register_sums.KEY[:-1] if without_band else register_sums.KEY
        cursor.execute(
            f"SELECT {', '.join(key)}, SUM(events), SUM(balance) FROM {register_sums.TABLE}"
            f" WHERE events <> 0 GROUP BY {', '.join(key)}"
        )
        return {tuple(row[:-2]): (row[-2], row[-1]) for row in cursor.fetchall()}


def test_reg3_the_migrations_fill_the_aggregate_with_their_own_frozen_sql(make_user):
    # given a book whose aggregate is in step
    _book(make_user("anna", "loan_officer"))
    assert register_sums.register_sums_drift() == []
    banded, unbanded = _stored_sums(), _stored_sums(without_band=True)
    # when 0024's frozen rebuild runs, it gives what the current code keeps (its band is the current band)
    with connection.schema_editor() as editor:
        _migration("0024_register_day_sum_balance_band").rebuild_sums(None, editor)
    assert _stored_sums() == banded
    assert register_sums.BALANCE_BAND_SQL == _migration("0024_register_day_sum_balance_band")._BAND, (
        "BALANCE_EDGES changed: add a migration that rebuilds the aggregate with the new bands"
    )
    # and 0020's frozen fill (the key before bands) gives the same sums per key without the band; the band column
    # it did not know gets a database default here (Django keeps field defaults in Python), rolled back with the test
    with connection.schema_editor() as editor:
        editor.execute(f"DELETE FROM {register_sums.TABLE}")
        editor.execute(f"ALTER TABLE {register_sums.TABLE} ALTER COLUMN balance_band SET DEFAULT 0")
        _migration("0020_register_day_sums").fill_sums(None, editor)
    assert _stored_sums(without_band=True) == unbanded
