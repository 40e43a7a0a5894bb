"""The register page: REG-1 order with ties, REG-3 event kinds, each filter, keyset pages, totals, the ladder."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from common.models import ExchangeRate
from loanregister.choices import LoanStatus
from loanregister.models import Loan, RegisterEvent
from loanregister.register import (
    add_months,
    register_events,
    register_filterset,
    register_page,
    register_totals,
)
from loanregister.services import register_events_sync

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}


def _events(data: dict, request=None) -> list[RegisterEvent]:
    filterset = register_filterset(data=data, request=request)
    return list(register_events(filterset=filterset).order_by("event_date", "id"))


def _all_pages(queryset, size: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = register_page(queryset=queryset, after=after, size=size)
        pages.append([e.id for e in page.rows])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor.encode()


# --- REG-1 / REG-3 -------------------------------------------------------------------------------------------


def test_reg1_events_are_listed_earliest_first_with_ties_broken_by_id():
    # given many loans maturing on the same day, created out of date order
    late = make.loan(maturity_date=D(2031, 1, 1))
    same = [make.loan(maturity_date=D(2030, 1, 1)) for _ in range(5)]
    early = make.loan(maturity_date=D(2029, 7, 1))
    # when
    events = _events(WIDE)
    # then
    assert [e.loan_id for e in events] == [early.id, *[loan.id for loan in same], late.id]
    tied = [e.id for e in events if e.event_date == D(2030, 1, 1)]
    assert tied == sorted(tied)


def test_reg3_each_event_kind_is_listed_and_filterable():
    # given one loan with all three dated events
    loan = make.loan(
        loan_type="adjustable",
        maturity_date=D(2045, 1, 1),
        rate_reset_date=D(2027, 1, 1),
        interest_only_until=D(2030, 1, 1),
    )
    # when / then
    assert [(e.kind, e.event_date) for e in _events(WIDE)] == [
        ("rate_reset", D(2027, 1, 1)),
        ("interest_only_end", D(2030, 1, 1)),
        ("maturity", D(2045, 1, 1)),
    ]
    for kind in ("maturity", "rate_reset", "interest_only_end"):
        assert [e.kind for e in _events({**WIDE, "kind": kind})] == [kind]
        assert all(e.loan_id == loan.id for e in _events({**WIDE, "kind": kind}))


def test_reg1_default_window_is_today_to_twelve_months_inclusive():
    # given
    today = timezone.localdate()
    inside = make.loan(maturity_date=add_months(today, 12))  # +12 months, inclusive
    first = make.loan(maturity_date=today)
    make.loan(maturity_date=add_months(today, 12) + datetime.timedelta(days=1))
    make.loan(maturity_date=today - datetime.timedelta(days=1), origination_date=D(2000, 1, 1))
    # when
    events = _events({})
    # then
    assert [e.loan_id for e in events] == [first.id, inside.id]
    # an explicitly empty window is open on both sides
    assert len(_events({"date_from": "", "date_to": ""})) == 4


def test_reg1_only_active_loans_are_in_the_register():
    # given
    active = make.loan(maturity_date=D(2030, 1, 1))
    paid = make.loan(maturity_date=D(2030, 1, 1), status=LoanStatus.PAID_OFF)
    # when
    ids = [e.loan_id for e in _events(WIDE)]
    # then
    assert ids == [active.id]
    assert paid.id not in ids


# --- filters ------------------------------------------------------------------------------------------------


@pytest.fixture
def book(make_user):
    anna = make_user("anna", "loan_officer")
    bo = make_user("bo", "loan_officer")
    aarhus, odense = make.office("AAR"), make.office("ODE")
    own, other = make.servicer("OWN"), make.servicer("LSD")
    loans = {
        "a": make.loan(
            "A-100",
            borrower=make.borrower("Jensen, Anders"),
            office=aarhus,
            officer=anna,
            servicer=own,
            loan_type="adjustable",
            rate_reset_date=D(2027, 1, 1),
            maturity_date=D(2040, 1, 1),
            outstanding_balance=Decimal("100000.00"),
        ),
        "b": make.loan(
            "A-200",
            borrower=make.borrower("Hansen, Birte"),
            office=odense,
            officer=bo,
            servicer=other,
            currency="EUR",
            maturity_date=D(2030, 4, 1),
            outstanding_balance=Decimal("500000.00"),
            recourse=False,
        ),
        "c": make.loan(
            "B-300",
            borrower=make.borrower("Jensen, Carl"),
            office=aarhus,
            officer=bo,
            servicer=own,
            loan_type="capped_floating",
            maturity_date=D(2030, 7, 1),
            interest_only_until=D(2028, 7, 1),
            outstanding_balance=Decimal("2500000.00"),
        ),
    }
    return {"anna": anna, "bo": bo, "aarhus": aarhus, "odense": odense, "own": own, "other": other, **loans}


def _loans(data: dict, request=None) -> set[str]:
    return {e.loan.loan_number for e in _events({**WIDE, **data}, request)}


def test_reg1_filter_by_window_from_and_to_inclusive(book):
    assert {
        (e.loan_number, e.kind) for e in _events({"date_from": "2028-07-01", "date_to": "2030-04-01"})
    } == {
        ("B-300", "interest_only_end"),
        ("A-200", "maturity"),
    }


def test_reg1_filter_by_loan_type(book):
    assert _loans({"loan_type": "adjustable"}) == {"A-100"}
    assert _loans({"loan_type": ["fixed", "capped_floating"]}) == {"A-200", "B-300"}


def test_reg1_filter_by_office_only_offers_active_offices(book):
    # given an inactive office
    make.office("OLD", active=False)
    # when
    filterset = register_filterset(data={**WIDE, "office": book["aarhus"].pk})
    # then
    assert {e.loan_number for e in register_events(filterset=filterset)} == {"A-100", "B-300"}
    assert [o.code for o in filterset.form.fields["office"].queryset] == ["AAR", "ODE"]


def test_reg1_filter_by_officer_username_and_only_my_loans(book, rf):
    assert _loans({"officer": "anna"}) == {"A-100"}
    assert _loans({"officer": "BO"}) == {"A-200", "B-300"}
    assert _loans({"officer": "nobody"}) == set()
    request = rf.get("/register/")
    request.user = book["bo"]
    assert _loans({"mine": "on"}, request) == {"A-200", "B-300"}


def test_reg1_two_filters_at_once_each_use_their_own_request_and_filters(book, rf):
    # given two filters built side by side for two users (each FilterSet copies the filters, shallowly)
    anna_request, bo_request = rf.get("/register/"), rf.get("/register/")
    anna_request.user, bo_request.user = book["anna"], book["bo"]
    annas = register_filterset(data={**WIDE, "mine": "on"}, request=anna_request)
    bos = register_filterset(data={**WIDE, "mine": "on", "q": "A-"}, request=bo_request)
    # then each has its own filters, whose methods answer to their own FilterSet
    assert annas.filters["mine"] is not bos.filters["mine"]
    assert annas.filters["mine"].parent is annas and bos.filters["mine"].parent is bos
    assert annas.filters["q"].filter.method.__self__ is annas
    from loanregister.filters import RegisterFilter

    assert not hasattr(RegisterFilter.base_filters["mine"], "parent")
    # and each lists its own user's loans, whichever is read first
    bo_loans = {e.loan_number for e in register_events(filterset=bos)}
    anna_loans = {e.loan_number for e in register_events(filterset=annas)}
    assert (anna_loans, bo_loans) == ({"A-100"}, {"A-200"})


def test_reg1_two_filter_forms_share_their_choices_but_not_what_a_form_may_change(book):
    from loanregister.models import Office

    first = register_filterset(data=WIDE).form
    second = register_filterset(data=WIDE).form
    kind_1, kind_2 = first.fields["kind"], second.fields["kind"]
    # each form has its own fields, widgets, widget attributes, messages and validators
    assert kind_1 is not kind_2 and kind_1.widget is not kind_2.widget
    assert kind_1.widget.attrs is not kind_2.widget.attrs
    assert kind_1.error_messages is not kind_2.error_messages
    # the choices, which nothing changes per request, are shared rather than deep-copied for every form
    assert kind_1.choices is kind_2.choices
    # and what one form changes stays on that form
    kind_1.widget.attrs["data-changed"] = "yes"
    kind_1.choices = [("maturity", "Maturity")]
    first.fields["office"].queryset = Office.objects.none()
    first.fields["q"].error_messages["max_length"] = "changed"
    assert "data-changed" not in kind_2.widget.attrs
    assert len(kind_2.choices) > 1 and len(kind_2.widget.choices) > 1
    assert [o.code for o in second.fields["office"].queryset] == ["AAR", "ODE"]
    assert second.fields["q"].error_messages.get("max_length") != "changed"
    assert register_filterset(data=WIDE).form.fields["kind"].choices == kind_2.choices
    # and both still validate their own data
    assert first.is_valid() and second.is_valid()


def test_reg1_filter_by_servicer(book):
    assert _loans({"servicer": book["other"].pk}) == {"A-200"}


def test_reg1_filter_by_currency_case_insensitive(book):
    assert _loans({"currency": "eur"}) == {"A-200"}
    assert _loans({"currency": "DKK"}) == {"A-100", "B-300"}


def test_reg1_filter_by_balance_range_inclusive(book):
    assert _loans({"balance_min": "100000", "balance_max": "500000"}) == {"A-100", "A-200"}
    # an amount is read in the page's number format (docs/register.md, "Amounts")
    with translation.override("en"):
        assert _loans({"balance_min": "500000.01"}) == {"B-300"}
    with translation.override("da"):
        assert _loans({"balance_min": "500.000,01"}) == {"B-300"}


def test_reg1_filter_by_recourse(book):
    assert _loans({"recourse": "false"}) == {"A-200"}
    assert _loans({"recourse": "true"}) == {"A-100", "B-300"}


def test_reg1_filter_by_status(book):
    assert _loans({"status": "active"}) == {"A-100", "A-200", "B-300"}
    Loan.objects.filter(loan_number="A-200").update(status=LoanStatus.DEFAULTED)
    register_events_sync()
    assert _loans({"status": "defaulted"}) == set()  # the register covers active loans only (REG-1)


def test_reg1_search_by_loan_number_exact_or_prefix_and_part_of_borrower_name(book):
    assert _loans({"q": "A-200"}) == {"A-200"}
    assert _loans({"q": "A-"}) == {"A-100", "A-200"}
    assert _loans({"q": "jensen"}) == {"A-100", "B-300"}
    assert _loans({"q": "Hansen, B"}) == {"A-200"}
    assert _loans({"q": "carl"}) == {"B-300"}  # a first name after the surname
    assert _loans({"q": "nothing"}) == set()


def test_reg1_a_search_finds_loan_numbers_and_names_alike_when_both_match(book):
    # given a borrower whose name holds what also starts a loan number
    make.loan("BJ-900", maturity_date=D(2030, 5, 1), borrower=make.borrower("Nielsen, Bj"))
    make.loan("X-901", maturity_date=D(2030, 5, 2), borrower=make.borrower("Bjerre, Dorte"))
    # then "bj" finds the loan numbers that start so and the names that hold it (the OR of both lists)
    assert _loans({"q": "BJ"}) == {"BJ-900", "X-901"}
    # and a term no loan number starts with finds the names alone (the borrowers joined to their events)
    assert _loans({"q": "bjerre"}) == {"X-901"}
    with CaptureQueriesContext(connection) as captured:
        _loans({"q": "bjerre"})
    page = [q["sql"] for q in captured.captured_queries if "registerevent" in q["sql"]][-1]
    assert "loan_number" not in page.split("FROM", 1)[1]


def test_reg1_invalid_filter_lists_nothing_rather_than_everything(book):
    assert _loans({"balance_min": "lots"}) == set()


# --- keyset pages -------------------------------------------------------------------------------------------


def test_reg1_keyset_pages_hold_every_event_exactly_once_forward_and_back():
    # given 23 loans, many on the same date (ties), so page boundaries fall inside a date
    for index in range(23):
        make.loan(
            maturity_date=D(2030, 1 + index % 3, 1), rate_reset_date=D(2027, 1, 1) if index % 4 == 0 else None
        )
    queryset = register_events(filterset=register_filterset(data=WIDE))
    expected = list(queryset.order_by("event_date", "id").values_list("id", flat=True))
    # when paging forward
    pages = _all_pages(queryset, size=5)
    # then
    assert [event_id for page in pages for event_id in page] == expected
    assert all(len(page) == 5 for page in pages[:-1])
    # when walking to the end, then back to the start through the prev cursors
    back = []
    page = register_page(queryset=queryset, size=5)
    forward = [page]
    while page.next_cursor:
        page = register_page(queryset=queryset, after=page.next_cursor.encode(), size=5)
        forward.append(page)
    before = forward[-1].prev_cursor.encode()
    while before:
        page = register_page(queryset=queryset, before=before, size=5)
        back.insert(0, [e.id for e in page.rows])
        before = page.prev_cursor.encode() if page.prev_cursor else None
    back.append([e.id for e in forward[-1].rows])
    assert [event_id for chunk in back for event_id in chunk] == expected
    assert forward[0].prev_cursor is None


def test_reg1_keyset_page_is_stable_when_rows_are_added_before_it():
    # given
    for _ in range(6):
        make.loan(maturity_date=D(2030, 1, 1))
    queryset = register_events(filterset=register_filterset(data=WIDE))
    first = register_page(queryset=queryset, size=3)
    second = [e.id for e in register_page(queryset=queryset, after=first.next_cursor.encode(), size=3).rows]
    # when an earlier event arrives
    make.loan(maturity_date=D(2029, 1, 1))
    # then the page after the cursor holds the same rows
    assert [
        e.id for e in register_page(queryset=queryset, after=first.next_cursor.encode(), size=3).rows
    ] == second


def test_reg1_page_query_seeks_with_a_row_comparison_not_offset():
    make.loan(maturity_date=D(2030, 1, 1))
    queryset = register_events(filterset=register_filterset(data=WIDE))
    with CaptureQueriesContext(connection) as captured:
        register_page(queryset=queryset, after="2030-01-01_1", size=50)
    sql = next(q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"])
    assert "OFFSET" not in sql.upper()
    assert '("loanregister_registerevent"."event_date", "loanregister_registerevent"."id") >' in sql


def test_reg1_page_rows_carry_each_events_columns_and_related_names_as_the_orm_reads_them(make_user):
    # given loans with and without office, officer and servicer, one in collections, one borrower unnamed
    officer = make_user("louise.holm", "loan_officer")
    officer.first_name, officer.last_name = "Louise", "Holm"
    officer.save()
    make.loan("R-1", maturity_date=D(2030, 1, 1), officer=officer, office=make.office("AAR"))
    make.loan("R-2", maturity_date=D(2030, 1, 2), office=None, servicer=make.servicer("NORD", is_own=False))
    Loan.objects.filter(loan_number="R-2").update(
        days_past_due=45, in_collections=True
    )  # read live from the loan
    queryset = register_events(filterset=register_filterset(data=WIDE))
    # when a page is read (its rows by one statement compiled once per process)
    rows = register_page(queryset=queryset, size=50).rows
    # then each row holds what the ORM reads for the event and its related rows
    from dataclasses import astuple, fields

    from loanregister.register import _ROW_FIELDS, Row

    columns = [_ROW_FIELDS.get(f.name, f.name) for f in fields(Row)]
    expected = [Row(*values) for values in queryset.order_by("event_date", "id").values_list(*columns)]
    assert [astuple(row) for row in rows] == [astuple(row) for row in expected]
    assert {row.loan_number: (row.officer_name, row.in_collections) for row in rows} == {
        "R-1": ("Louise Holm", False),
        "R-2": ("", True),
    }


# --- totals and ladder --------------------------------------------------------------------------------------


def test_reg1_totals_count_and_balance_in_dkk_with_month_end_rate():
    # given
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 1, 2), rate=Decimal("746.00"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 2, 2), rate=Decimal("745.00"))
    make.loan(maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("1000.00"))
    make.loan(maturity_date=D(2030, 2, 1), currency="EUR", outstanding_balance=Decimal("100.00"))
    queryset = register_events(filterset=register_filterset(data=WIDE))
    # when the rate date falls on a day with no rate (the last one before it counts)
    totals = register_totals(queryset=queryset, rate_date=D(2026, 2, 1))
    # then
    assert totals.exact and totals.events == 2
    assert totals.balance_dkk == Decimal("1000.00") + Decimal("746.00")
    assert totals.missing_rates == []


def test_reg1_totals_say_which_currency_has_no_rate():
    make.loan(maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("1000.00"))
    make.loan(maturity_date=D(2030, 1, 1), currency="SEK", outstanding_balance=Decimal("5.00"))
    totals = register_totals(queryset=register_events(filterset=register_filterset(data=WIDE)))
    assert totals.missing_rates == ["SEK"]
    assert totals.balance_dkk == Decimal("1000.00")


@override_settings(REGISTER_AGGREGATE_LIMIT=3)
def test_reg1_totals_are_capped_not_counted_over_the_whole_table():
    for _ in range(4):
        make.loan(maturity_date=D(2030, 1, 1))
    totals = register_totals(queryset=register_events(filterset=register_filterset(data=WIDE)))
    assert not totals.exact
    assert totals.events == 3
    assert totals.months == []


def test_reg1_ladder_figures_equal_the_list():
    # given events over three months, in two currencies
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2020, 1, 1), rate=Decimal("750"))
    for month, balance, currency in [
        (1, "10.00", "DKK"),
        (1, "20.00", "EUR"),
        (3, "30.00", "DKK"),
        (3, "40.00", "DKK"),
        (5, "50.00", "DKK"),
    ]:
        make.loan(maturity_date=D(2030, month, 15), outstanding_balance=Decimal(balance), currency=currency)
    queryset = register_events(filterset=register_filterset(data=WIDE))
    # when
    totals = register_totals(queryset=queryset)
    # then each month's count and balance is what the list holds for that month
    rows = list(queryset.order_by("event_date", "id"))
    for rung in totals.months:
        in_month = [
            e for e in rows if (e.event_date.year, e.event_date.month) == (rung.month.year, rung.month.month)
        ]
        assert rung.events == len(in_month)
        expected = sum(
            e.outstanding_balance * (Decimal("7.5") if e.currency == "EUR" else 1) for e in in_month
        )
        assert rung.balance_dkk == expected
    assert [(r.month, r.events) for r in totals.months] == [
        (D(2030, 1, 1), 2),
        (D(2030, 3, 1), 2),
        (D(2030, 5, 1), 1),
    ]
    assert sum(r.events for r in totals.months) == totals.events == len(rows)
    assert sum(r.balance_dkk for r in totals.months) == totals.balance_dkk


# --- the page -----------------------------------------------------------------------------------------------


def test_reg1_register_page_renders_list_ladder_and_pager(client, make_user):
    # given
    user = make_user("officer", "loan_officer")
    for index in range(3):
        make.loan(maturity_date=D(2030, 1 + index, 1))
    client.force_login(user)
    # when
    response = client.get(reverse("loanregister:register"), {**WIDE, "kind": "maturity"})
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="register-table"' in html and 'id="register-filters"' in html
    assert html.count('class="ladder-bar"') == 3
    assert 'id="ladder-table"' in html
    assert 'data-count="3"' in html
    assert 'id="export-csv"' not in html  # loan officers cannot export


@pytest.mark.parametrize(
    "language, headings",
    [
        (
            "en",
            ["Date", "Event", "Loan number", "Borrower", "Loan type", "Outstanding balance", "Days past due"],
        ),
        ("da", ["Dato", "Hændelse", "Lånenummer", "Låntager", "Lånetype", "Restgæld", "Dage i restance"]),
    ],
)
def test_reg1_the_list_has_a_heading_over_each_column_in_the_users_language(
    client, make_user, language, headings
):
    # given a page of the list in the user's language
    make.loan(maturity_date=D(2030, 1, 1))
    client.force_login(make_user("officer", "loan_officer"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("loanregister:register"), WIDE).content.decode()
    table = html.split('id="register-table"', 1)[1].split("</table>", 1)[0]
    # then each cell of a row has its heading, translated, figures right-aligned
    shown = re.findall(r'<th scope="col"(?: class="num")?>([^<]*)</th>', table)
    first_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert len(shown) == first_row.count("<td") == 10
    assert shown[:7] == headings
    assert '<th scope="col" class="num">' + headings[5] + "</th>" in table


def test_reg1_ladder_bar_links_narrow_the_list_to_its_month(client, make_user):
    user = make_user("officer", "loan_officer")
    make.loan(maturity_date=D(2030, 1, 10))
    make.loan(maturity_date=D(2030, 2, 10))
    client.force_login(user)
    response = client.get(
        reverse("loanregister:register"), {"date_from": "2030-01-05", "date_to": "2030-12-31"}
    )
    rung = response.context["totals"].months[0]
    assert rung.url.count("date_from=2030-01-05") == 1 and "date_to=2030-01-31" in rung.url
    narrowed = client.get(reverse("loanregister:register") + rung.url)
    assert [e.event_date for e in narrowed.context["page"].rows] == [D(2030, 1, 10)]


def test_reg1_register_page_pages_with_next_and_prev_links(client, make_user):
    user = make_user("officer", "loan_officer")
    for _ in range(55):
        make.loan(maturity_date=D(2030, 1, 1))
    client.force_login(user)
    first = client.get(reverse("loanregister:register"), WIDE)
    assert len(first.context["page"].rows) == 50 and first.context["prev_url"] is None
    second = client.get(reverse("loanregister:register") + first.context["next_url"])
    assert len(second.context["page"].rows) == 5 and second.context["next_url"] is None
    back = client.get(reverse("loanregister:register") + second.context["prev_url"])
    assert [e.id for e in back.context["page"].rows] == [e.id for e in first.context["page"].rows]
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()


def test_reg1_register_needs_the_view_permission(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("loanregister:register")).status_code == 403


def test_reg1_cached_totals_never_outlive_a_change_to_the_register():
    # given totals computed (and cached) for a filter
    make.loan(maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("100.00"))
    queryset = register_events(filterset=register_filterset(data=WIDE))
    assert register_totals(queryset=queryset).events == 1
    # when the register changes through the sync
    make.loan(maturity_date=D(2030, 1, 1), outstanding_balance=Decimal("50.00"))
    # then the same filter's totals are recomputed
    totals = register_totals(queryset=register_events(filterset=register_filterset(data=WIDE)))
    assert totals.events == 2 and totals.balance_dkk == Decimal("150.00")


def test_reg1_the_filter_form_built_once_still_offers_the_offices_of_the_moment():
    # given a filter form drawn once (its class is built once per process)
    first = register_filterset(data={})
    offered = {choice.value for choice, _label in list(first.form.fields["office"].choices)[1:]}
    # when an office is opened, and the first form's field is changed
    new = make.office("NEW")
    first.form.fields["office"].label = "changed"
    # then the next form offers it, and has its own fields
    second = register_filterset(data={})
    assert type(second.form) is type(first.form)
    assert second.form.fields["office"] is not first.form.fields["office"]
    assert str(second.form.fields["office"].label) != "changed"
    now = {choice.value for choice, _label in list(second.form.fields["office"].choices)[1:]}
    assert now == offered | {new.pk}
    # and a filter by it is valid
    assert register_filterset(data={**WIDE, "office": str(new.pk)}).is_valid()
