"""The Django admin's changelists of the big tables read no whole table (issue 9, target 5; docs/benchmarks.md,
"Django admin at a million loans").

At a million loans an exact `COUNT(*)`, a `SELECT DISTINCT` for a list filter's choices, a `date_hierarchy`'s
MIN/MAX and DISTINCT dates, and a search on `UPPER(column)` each read the whole table, on every page. These tests
open every changelist of the big tables as a superuser (page 1, a deep page, the last page, a page past the last
one shown, searches and every choice of every filter) and look at the SQL each page ran: no `COUNT(*)` that is not
bounded by a LIMIT, no DISTINCT, a bounded number of statements. The sizes are shrunk (2 rows a page, 6 rows
counted) so that a dozen rows show the same paging as a million; the speed itself is measured by
`bench/admin_changelists.py`, not here.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core import checks
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import common.admin as common_admin
from common.admin import BigTableAdmin
from common.models import ExportLog, ImportRun, JobRun, OutboxMessage
from loanregister.models import (
    Campaign,
    CampaignMember,
    ContactLog,
    Lead,
    Loan,
    RegisterEvent,
    ServicerAssignment,
)
from origination.models import ApplicationDocument
from servicing.models import (
    CollectionCase,
    CollectionsContact,
    LoanDelinquency,
    PaymentNotice,
    PayoffStatement,
    Posting,
    PromiseToPay,
    Reminder,
    ReminderStep,
    ServicingTransfer,
    TransferNotice,
)

from .loanregister.register_support import borrower, loan, servicer
from .origination import support as origination_support

# The models that pass 100,000 rows at a million loans (issue 9), and a search that finds some of their rows.
BIG = {
    "loanregister.Loan": ["jensen", "l-big-0001", "L-BIG-000"],
    "loanregister.Borrower": ["jensen"],
    "loanregister.Property": ["BFE-BIG-00", "havnegade"],
    "loanregister.ServicerAssignment": ["L-BIG-0001"],
    "loanregister.RegisterEvent": ["l-big-0001"],
    "loanregister.RegisterDaySum": [],  # the register's aggregate (~250,000 rows): filtered, not searched
    "servicing.Posting": ["L-BIG-000", "bank-3"],
    "servicing.PaymentNotice": ["jensen", "L-BIG-0002"],
    "common.ExportLog": ["maturities-1", "root"],
    "common.ImportRun": ["book-1"],
    "common.JobRun": ["payment_notices"],
    "loanregister.Lead": ["l-big-0001", "root"],
    "loanregister.ContactLog": ["L-BIG-000", "jensen"],
    "common.OutboxMessage": ["reminder:1"],
    # later issues' tables (collections, payoffs, transfers, campaigns)
    "servicing.Reminder": ["l-big-0001"],
    "servicing.CollectionsContact": ["L-BIG-000"],
    "servicing.PromiseToPay": ["L-BIG-0002"],
    "servicing.LoanDelinquency": ["L-BIG-000"],
    "servicing.PayoffStatement": ["l-big-0003"],
    "servicing.TransferNotice": ["L-BIG-000", "jensen"],
    "loanregister.CampaignMember": ["L-BIG-0001", "jensen"],
    "origination.Application": ["a", "jensen"],
    "origination.Applicant": ["jensen"],
    "origination.ApplicationTransition": ["a"],
    "origination.ApplicationDocument": ["a"],
}
ROWS = 12  # of each big model
PER_PAGE = 2
MAX_ROWS = 6  # counted at most; pages shown: MAX_ROWS / PER_PAGE = 3
MAX_QUERIES = 14  # session, user, the count, the page, a few filters' choices from small tables


@pytest.fixture
def superuser_client(client, make_user):
    user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def small_pages(monkeypatch):
    """A dozen rows paged and counted as a million are: 2 a page, counting stops at 6, so 3 pages are shown."""
    monkeypatch.setattr(common_admin, "BIG_TABLE_MAX_ROWS", MAX_ROWS)
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, BigTableAdmin):
            monkeypatch.setattr(model_admin, "list_per_page", PER_PAGE)


@pytest.fixture
def book(db, superuser_client):
    """ROWS of each big model, then ANALYZE, so PostgreSQL's estimate of each table is what it holds."""
    other = servicer("LSD", name="Lån & Spar Servicing")
    steps = list(ReminderStep.objects.filter(loan_type="").order_by("days")[:3])
    transfer = ServicingTransfer.objects.create(
        to_servicer=other, effective_date=datetime.date(2026, 12, 1), loan_count=ROWS
    )
    campaign = Campaign.objects.create(
        name="Rentetilpasning 2027",
        channel="mailing",
        state="frozen",
        frozen_on=datetime.date(2026, 11, 1),
        created_by=superuser_client.user,
    )
    offices = origination_support.offices()
    for n in range(ROWS):
        application = origination_support.new_application(superuser_client.user, offices["HO"])
        ApplicationDocument.objects.create(
            application=application,
            item=application.product.checklist.order_by("position")[n % 3],
            file=f"applications/2026/11/doc-{n}.pdf",
            original_name=f"doc-{n}.pdf",
            size=100,
            content_type="application/pdf",
            sha256="0" * 64,
            uploaded_by=superuser_client.user,
            check_state="rejected" if n == 4 else "verified" if n % 2 else "pending",
        )
        the_loan = loan(
            f"L-BIG-{n:04d}",
            borrower=borrower("Anders Jensen" if n % 3 == 0 else f"Mette Hansen {n}"),
            currency="EUR" if n % 4 == 0 else "DKK",
            status="defaulted" if n == 5 else "active",
            servicer=other if n % 5 == 0 else None,
            maturity_date=datetime.date(2030 + n, 1, 1),
            rate_reset_date=datetime.date(2027, 1, 1),
        )
        the_loan.property.property_id = f"BFE-BIG-{n:04d}"
        the_loan.property.address = "Havnegade 3" if n % 2 else "Vestergade 12"
        the_loan.property.save()
        ServicerAssignment.objects.create(
            loan=the_loan, servicer=the_loan.servicer, since=datetime.date(2020, 1, 1)
        )
        Posting.objects.create(
            loan=the_loan,
            kind="opening_balance" if n % 2 else "payment",
            effective_date=datetime.date(2026, 1, 1 + n),
            amount=Decimal("1000.00"),
            currency=the_loan.currency,
            debit_account="principal" if n % 2 else "cash",
            credit_account="opening" if n % 2 else "suspense",
            external_id=f"BANK-{n}",
        )
        PaymentNotice.objects.create(
            loan=the_loan,
            period=1,
            due_date=datetime.date(2026, 12, 1),
            interest_date=datetime.date(2026, 11, 30),
            currency=the_loan.currency,
            amount=Decimal("110.00"),
            principal=Decimal("100.00"),
            interest=Decimal("10.00"),
            fees=Decimal("0"),
            escrow=Decimal("0"),
            channel="letter" if n % 3 else "email",
            language="en" if n == 7 else "da",
            state="failed" if n == 4 else "sent",
            business_date=datetime.date(2026, 11, 10),
        )
        ExportLog.objects.create(user=superuser_client.user, format="csv", file_name=f"maturities-{n}.csv")
        ImportRun.objects.create(
            kind="loans" if n % 2 else "transactions", file_name=f"book-{n}.csv", ok=n != 3
        )
        JobRun.objects.create(
            job="payment_notices", business_date=datetime.date(2026, 1, 1) + datetime.timedelta(n)
        )
        Lead.objects.create(
            loan=the_loan,
            event="maturity",
            event_date=the_loan.maturity_date,
            officer=superuser_client.user if n % 2 else None,
            status="new" if n % 3 else "lost",
            closed_on=None if n % 3 else datetime.date(2026, 11, 1),
            found_on=datetime.date(2026, 11, 1),
            status_changed_at=timezone.now(),
        )
        ContactLog.objects.create(
            borrower=the_loan.borrower,
            loan=the_loan,
            channel="phone" if n % 2 else "letter",
            direction="out",
            purpose="marketing" if n % 3 else "collections",
            contacted_on=datetime.date(2026, 11, 1 + n),
            outcome="reached" if n % 4 else "no_answer",
            user=superuser_client.user,
        )
        OutboxMessage.objects.create(
            kind="celery_task" if n % 2 else "collection_reminder",
            key=f"reminder:{n}",
            state="failed" if n == 4 else "pending",
        )
        step = steps[n % len(steps)]
        reminder = Reminder.objects.create(
            loan=the_loan,
            due_date=datetime.date(2026, 10, 1),
            step=step,
            step_days=step.days,
            state="skipped" if n % 4 == 0 else "sent",
            channel="" if n % 4 == 0 else step.channel,
            business_date=datetime.date(2026, 11, 1 + n),
            amount_past_due=Decimal("110.00"),
            currency=the_loan.currency,
        )
        case = CollectionCase.objects.create(loan=the_loan, opened_on=datetime.date(2026, 10, 15))
        contact = ContactLog.objects.create(
            borrower=the_loan.borrower,
            loan=the_loan,
            channel="letter",
            direction="out",
            purpose="collections",
            contacted_on=datetime.date(2026, 11, 1 + n),
            outcome="sent",
        )
        CollectionsContact.objects.create(contact=contact, case=case, reminder=reminder if n % 3 else None)
        PromiseToPay.objects.create(
            case=case,
            loan=the_loan,
            promised_on=datetime.date(2026, 11, 1),
            due_on=datetime.date(2026, 11, 10 + n),
            amount=Decimal("110.00"),
            currency=the_loan.currency,
            state="broken" if n == 6 else "open",
        )
        LoanDelinquency.objects.create(
            loan=the_loan,
            as_of=datetime.date(2026, 11, 29),
            oldest_unpaid_due_date=datetime.date(2026, 10, 1),
            days_past_due=10 + 7 * n,
            amount_past_due=Decimal("110.00"),
            fees_due=Decimal("0"),
            currency=the_loan.currency,
            bucket="30-59" if n == 3 else "1-29",
        )
        PayoffStatement.objects.create(
            loan=the_loan,
            as_of=datetime.date(2026, 11, 29),
            good_through=datetime.date(2026, 12, 15),
            currency=the_loan.currency,
            interest_rate=Decimal("4.5"),
            interest_from=datetime.date(2026, 11, 1),
            interest_days=28,
            principal=Decimal("1000.00"),
            interest_due=Decimal("0"),
            accrued_interest=Decimal("3.50"),
            per_diem=Decimal("0.13"),
            fees=Decimal("0"),
            escrow_balance=Decimal("0"),
            suspense=Decimal("0"),
            total=Decimal("1003.50"),
            issued_by=superuser_client.user,
        )
        TransferNotice.objects.create(
            transfer=transfer,
            loan=the_loan,
            borrower=the_loan.borrower,
            old_servicer=the_loan.servicer or other,
            new_servicer=other,
            effective_date=transfer.effective_date,
            language="en" if n == 7 else "da",
            channel="letter" if n % 3 else "email",
            subject="Ny servicer",
            body="...",
        )
        CampaignMember.objects.create(
            campaign=campaign,
            loan=the_loan,
            borrower=the_loan.borrower,
            event_date=the_loan.maturity_date,
            reason="do_not_contact" if n == 2 else "",
        )
    with connection.cursor() as cursor:
        for label in BIG:
            cursor.execute(f"ANALYZE {apps.get_model(label)._meta.db_table}")


def _url(label: str) -> str:
    model = apps.get_model(label)
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _whole_table_reads(statements: list[str]) -> list[str]:
    """The statements that read a whole table for a figure: a COUNT without a LIMIT, any DISTINCT, MIN/MAX."""
    bad = []
    for sql in statements:
        upper = sql.upper()
        if (
            ("COUNT(" in upper and " LIMIT " not in upper)
            or "DISTINCT" in upper
            or re.search(r"\bM(IN|AX)\(", upper)
        ):
            bad.append(sql)
    return bad


def _open(client, url: str) -> tuple:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, [q["sql"] for q in captured.captured_queries]


def _problems(url: str, response, statements: list[str]) -> list[str]:
    problems = []
    if response.status_code != 200:
        problems.append(f"{url}: status {response.status_code}")
    if len(statements) > MAX_QUERIES:
        problems.append(f"{url}: {len(statements)} statements (at most {MAX_QUERIES})")
    problems += [f"{url}: reads the whole table: {sql[:300]}" for sql in _whole_table_reads(statements)]
    return problems


def test_the_big_tables_have_big_table_admins():
    for label in BIG:
        model_admin = admin.site._registry[apps.get_model(label)]
        assert isinstance(model_admin, BigTableAdmin), label
        assert not model_admin.date_hierarchy, label


@pytest.mark.parametrize("label", list(BIG))
def test_every_page_search_and_filter_reads_no_whole_table(label, superuser_client, book, small_pages):
    base = _url(label)
    # page 1: the unfiltered count is PostgreSQL's estimate, and the pages stop at MAX_ROWS
    response, statements = _open(superuser_client, base)
    problems = _problems(base, response, statements)
    cl = response.context["cl"]
    rows = apps.get_model(label)._default_manager.count()
    assert rows >= ROWS
    assert cl.paginator.count_is_estimate, label
    assert cl.result_count == rows
    assert cl.paginator.num_pages == MAX_ROWS // PER_PAGE
    assert len(cl.result_list) == PER_PAGE
    assert cl.result_count_label in response.content.decode(), label
    assert str(rows) in cl.result_count_label
    table = apps.get_model(label)._meta.db_table
    assert not [s for s in statements if "COUNT(" in s.upper() and table in s], "the estimate is not a count"

    # the deep and the last page, and a page past the pages shown (a bookmark): each answers, with a note
    urls = [base + "?p=2", base + f"?p={cl.paginator.num_pages}"]
    for url in urls:
        response, statements = _open(superuser_client, url)
        problems += _problems(url, response, statements)
        assert len(response.context["cl"].result_list) == PER_PAGE, url
    response, statements = _open(superuser_client, base + "?p=999")
    problems += _problems(base + "?p=999", response, statements)
    cl = response.context["cl"]
    assert cl.page_num == MAX_ROWS // PER_PAGE
    assert "999" in cl.page_cap_note and cl.page_cap_note in response.content.decode()

    # searches: they find rows, and count them with a bound
    for term in BIG[label]:
        url = f"{base}?q={term}"
        response, statements = _open(superuser_client, url)
        problems += _problems(url, response, statements)
        assert response.context["cl"].result_count > 0, url
        assert not response.context["cl"].paginator.count_is_estimate, url

    # every choice of every filter
    response = superuser_client.get(base)
    filter_urls = {
        base + choice["query_string"]
        for spec in response.context["cl"].filter_specs
        for choice in spec.choices(response.context["cl"])
    }
    assert len(filter_urls) > 2, label
    for url in sorted(filter_urls):
        response, statements = _open(superuser_client, url)
        problems += _problems(url, response, statements)
    assert not problems, "\n".join(problems)


def test_a_filter_with_more_rows_than_counted_says_so(superuser_client, book, small_pages):
    # given more active loans than are counted
    response, statements = _open(superuser_client, _url("loanregister.Loan") + "?status__exact=active")
    # then the count stops at MAX_ROWS + 1, and the page says "6+"
    cl = response.context["cl"]
    assert cl.paginator.count_is_lower_bound
    assert cl.result_count == MAX_ROWS + 1
    assert str(MAX_ROWS) in cl.result_count_label and str(MAX_ROWS + 1) not in cl.result_count_label
    assert cl.result_count_label in response.content.decode()
    [count] = [s for s in statements if "COUNT(" in s.upper()]
    assert f"LIMIT {MAX_ROWS + 1}" in count


def test_a_filter_with_few_rows_is_counted_exactly(superuser_client, book, small_pages):
    response, _statements = _open(superuser_client, _url("loanregister.Loan") + "?currency__exact=EUR")
    cl = response.context["cl"]
    assert cl.result_count == 3 and not cl.paginator.capped
    assert sorted(row.loan_number for row in Loan.objects.filter(pk__in=[r.pk for r in cl.result_list])) == [
        "L-BIG-0000",
        "L-BIG-0004",
    ]


def test_a_loan_number_is_found_by_its_start_in_any_case(superuser_client, book, small_pages):
    response, statements = _open(superuser_client, _url("loanregister.Loan") + "?q=l-big-0001")
    assert {row.loan_number for row in response.context["cl"].result_list} == {"L-BIG-0001"}
    # a prefix LIKE, which the varchar_pattern_ops index answers; no UPPER(loan_number)
    page = next(s for s in statements if "loan_number" in s and "LIKE" in s)
    assert "UPPER(" not in page.split("UNION")[0]


def test_a_search_collects_a_bounded_number_of_rows_and_says_when_there_are_more(
    superuser_client, book, small_pages, monkeypatch
):
    # given a search that matches more loans than a search collects (4 borrowers are named Anders Jensen)
    monkeypatch.setattr(common_admin, "BIG_TABLE_SEARCH_MAX_ROWS", 3)
    response, statements = _open(superuser_client, _url("loanregister.Loan") + "?q=jensen")
    # then each table is asked for at most 3 + 1 rows, the list holds 3, and the page says there are more
    cl = response.context["cl"]
    assert [s for s in statements if "UPPER(" in s and "LIMIT 4" in s]
    assert cl.result_count == 3
    assert cl.search_note and cl.search_note in response.content.decode()
    # while a narrower search finds all it matches, and says nothing
    response, _statements = _open(superuser_client, _url("loanregister.Loan") + "?q=anders+jensen+L-BIG-000")
    assert response.context["cl"].search_note is None


def test_every_word_of_a_search_must_match_within_one_table(superuser_client, book, small_pages):
    loans = _url("loanregister.Loan")
    response, _statements = _open(superuser_client, loans + "?q=anders+jensen")
    assert {row.borrower.name for row in response.context["cl"].result_list} == {"Anders Jensen"}
    assert response.context["cl"].result_count == 4
    # a loan number and a name do not combine: "L-BIG-0001 hansen" matches neither group as a whole
    response, _statements = _open(superuser_client, loans + "?q=L-BIG-0001+hansen")
    assert response.context["cl"].result_count == 0


def test_register_events_are_searched_through_their_loan(superuser_client, book, small_pages):
    response, _statements = _open(superuser_client, _url("loanregister.RegisterEvent") + "?q=L-BIG-0003")
    events = response.context["cl"].result_list
    assert events and {event.loan.loan_number for event in events} == {"L-BIG-0003"}
    assert (
        RegisterEvent.objects.filter(loan__loan_number="L-BIG-0003").count()
        == response.context["cl"].result_count
    )


def test_a_column_without_an_index_is_not_sorted_by_even_when_the_url_asks(
    superuser_client, book, small_pages
):
    # given the loan list sorted by its outstanding balance, which no index holds (`?o=` counts the columns of
    # the changelist, the action checkbox included)
    list_display = superuser_client.get(_url("loanregister.Loan")).context["cl"].list_display
    column = list_display.index("outstanding_balance")
    response, statements = _open(superuser_client, _url("loanregister.Loan") + f"?o={column}")
    assert response.status_code == 200
    # then the page is in the default order (maturity date, id), not by balance
    page = [s for s in statements if "ORDER BY" in s and '"loanregister_loan"."outstanding_balance" ' in s]
    assert not any("ORDER BY" in s and "outstanding_balance" in s.split("ORDER BY")[-1] for s in page)
    # while a column with an index still sorts
    column = list_display.index("loan_number")
    response, statements = _open(superuser_client, _url("loanregister.Loan") + f"?o=-{column}")
    assert any("loan_number" in s.split("ORDER BY")[-1] for s in statements if "ORDER BY" in s)


def _indexes(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [row[0] for row in cursor.fetchall()]


def _answered_by_an_index(model, column: str, lookup: str) -> bool:
    """An index answers the lookup: a trigram GIN on UPPER(column) for icontains; a btree whose first column is
    the column, with a pattern operator class for a prefix LIKE; any btree led by the column for exact."""
    table = model._meta.db_table
    for definition in _indexes(table):
        leading = re.search(r"USING (\w+) \((.*)\)", definition)
        if not leading:
            continue
        method, columns = leading.group(1), leading.group(2)
        first = columns.split(",")[0].strip()
        if lookup == "icontains":
            if method == "gin" and re.fullmatch(rf"upper\(\(?{column}\)?(::text)?\) gin_trgm_ops", first):
                return True
        elif lookup == "startswith":
            if method == "btree" and re.fullmatch(rf"{column} (varchar|text)_pattern_ops", first):
                return True
        elif lookup == "exact":
            if method == "btree" and first.split(" ")[0] == column:
                return True
    return False


def test_every_search_of_a_big_table_is_answered_by_an_index(db):
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)  # sees every search field
    missing = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, BigTableAdmin):
            continue
        for spec in model_admin.get_search_fields(request):
            relation, lookup = common_admin._search_path(model, str(spec))
            target = model
            for part in filter(None, relation.split("__")):
                target = target._meta.get_field(part).related_model
            *_path, field_name, lookup_name = lookup.split("__")
            column = target._meta.get_field(field_name).column
            if lookup_name not in ("icontains", "startswith", "exact") or not _answered_by_an_index(
                target, column, lookup_name
            ):
                missing.append(
                    f"{model._meta.label}: {spec} ({target._meta.db_table}.{column} {lookup_name})"
                )
    assert not missing, "searches no index answers:\n" + "\n".join(missing)


# The tables of the book, a million rows and more. The logs (export, import, job runs) grow by some hundreds a day:
# at 200,000 rows a filtered page scans them in tens of milliseconds (bench/admin_changelists.py), so their
# filters on booleans and short choices need no index of their own.
BOOK = [label for label in BIG if not label.startswith("common.")]


def test_every_list_filter_of_the_book_is_answered_by_an_index(db):
    """A filter on a rare value (charged-off loans, failed notices) must not scan the table: its column is in an
    index, leading it or INCLUDEd in the index of the list's order."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    missing = []
    for label in BOOK:
        model = apps.get_model(label)
        model_admin = admin.site._registry[model]
        definitions = " ".join(_indexes(model._meta.db_table))
        for item in model_admin.get_list_filter(request):
            name = item if isinstance(item, str) else getattr(item, "field_name", None)
            if name is None:
                name = getattr(item, "parameter_name", "").removesuffix("__exact")
            if isinstance(item, tuple):
                name = item[0]
            column = model._meta.get_field(name).column
            column = rf'"?{column}\b"?'  # quoted when a keyword ("position")
            if not re.search(rf"\({column}|, {column}", definitions):
                missing.append(f"{model._meta.label}: {name}")
    assert not missing, "filters without an index:\n" + "\n".join(missing)


def test_the_checks_refuse_what_reads_a_whole_table():
    class Careless(BigTableAdmin):
        date_hierarchy = "maturity_date"
        list_filter = ["currency", "status"]
        search_fields = ["=loan_number", "^borrower__name"]

    errors = Careless(Loan, admin.site).check()
    ids = sorted(error.id for error in errors if error.id.startswith("common."))
    assert ids == ["common.E001", "common.E002", "common.E003", "common.E003"], errors


def test_the_registered_big_table_admins_pass_their_checks():
    errors = [
        error
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, BigTableAdmin)
        for error in model_admin.check()
        if error.level >= checks.ERROR
    ]
    assert not errors, errors


def test_the_register_aggregate_is_searched_by_a_day(superuser_client, book, small_pages):
    # given the aggregate of the book's events (every loan's rate resets on 2027-01-01)
    base = _url("loanregister.RegisterDaySum")
    # then a day, as ISO or as day.month.year, lists that day's rows, through the key's index
    for term in ("2027-01-01", "01.01.2027"):
        response, statements = _open(superuser_client, f"{base}?q={term}")
        assert response.status_code == 200
        rows = response.context["cl"].result_list
        assert rows and {row.event_date for row in rows} == {datetime.date(2027, 1, 1)}, term
        assert not _problems(f"{base}?q={term}", response, statements)
    # and any other text finds nothing, with no error
    for term in ("jensen", "2027-02-30", "1"):
        response, _statements = _open(superuser_client, f"{base}?q={term}")
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [], term
