"""The statistics pages (issue 13 items 3-5): the reporting role's month, downloads, drill-down, reconciliation,
closing, reopening and recomputing; nothing for other roles; no 500 whatever the query says."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from common.models import ExportLog
from stats.models import Computation, StatsMonth

from .support import D, loan, opening, post, prop

pytestmark = pytest.mark.django_db
MONTH = reverse("stats:month")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def reporter(client, make_user):
    user = make_user("rep", "reporting")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


def _book():
    old = loan("OLD", on=prop("P1", "owner_occupied"))
    opening(old, "200000.00")
    new = loan("NEW", on=prop("P2", "agriculture"), loan_type="adjustable")
    post(new, "disbursement", "100000.00", D(2026, 4, 1), price="98.00")
    post(old, "redemption", "50000.00", D(2026, 4, 1), price="99.50")


def test_the_month_page_shows_the_table_subtotals_grand_total_and_the_chart(client, reporter):
    _book()
    page = client.get(MONTH, {"month": "2026-04"}).content.decode()
    assert 'id="statistics-table"' in page
    assert "Gross lending" in page and "Bond debt outstanding" in page
    assert "Subtotal Agriculture" in page and "Subtotal Adjustable-rate (rate reset)" in page
    assert 'id="grand-total"' in page
    # 98,000.00 gross, the grand total of the bond debt 250,000.00, drill-down links
    assert "DKK 98,000.00" in page and "DKK 250,000.00" in page
    assert "figure=gross_lending&amp;category=agriculture&amp;loan_type=adjustable" in page
    assert "<svg" in page and "trend-chart" in page and page.count('class="net-bar"') >= 1
    # no asset from another host (the pages are served on closed networks); not a bare "cdn" substring, which a
    # random CSRF token can hold
    assert not re.search(r'(?:src|href)\s*=\s*"(?:https?:)?//', page, re.I)


def test_other_roles_do_not_see_the_statistics(client, make_user):
    client.force_login(make_user("clerk", "servicing"))
    assert client.get(MONTH).status_code == 403
    assert client.get(reverse("stats:download"), {"month": "2026-04"}).status_code == 403


def test_csv_and_xlsx_downloads_are_logged(client, reporter):
    _book()
    csv_response = client.get(reverse("stats:download"), {"month": "2026-04", "format": "csv"})
    assert csv_response.status_code == 200
    assert csv_response.content.decode().splitlines()[0].startswith("month,property_category,loan_type,")
    xlsx = client.get(reverse("stats:download"), {"month": "2026-04", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["D1"].value == "Gross lending"
    assert sheet["D3"].value == 98000 and sheet["C3"].value == "Adjustable-rate (rate reset)"
    logs = ExportLog.objects.order_by("id")
    assert [(log.kind, log.source, log.format, log.user_id, log.row_count) for log in logs] == [
        ("statistics", "web", "csv", reporter.pk, 2),
        ("statistics", "web", "xlsx", reporter.pk, 2),
    ]


def test_drill_down_lists_the_postings_and_loans_behind_a_figure(client, reporter):
    _book()
    flows = client.get(reverse("stats:drill"), {"month": "2026-04", "figure": "extraordinary_redemptions"})
    assert flows.status_code == 200
    page = flows.content.decode()
    assert "OLD" in page and "redemption" in page and "49750 DKK" in page  # 50,000.00 x 99.50 / 100
    loans = client.get(
        reverse("stats:drill"),
        {"month": "2026-04", "figure": "bond_debt_outstanding", "category": "agriculture"},
    ).content.decode()
    assert "NEW" in loans and "OLD" not in loans


def test_close_reopen_and_recompute_from_the_page(client, reporter):
    _book()
    response = client.post(reverse("stats:close"), {"month": "2026-04"})
    assert response.status_code == 302
    stored = StatsMonth.objects.get()
    assert stored.closed and stored.computation.computed_by == reporter
    post(loan("LATE", on=prop("P3")), "disbursement", "10000.00", D(2026, 4, 30), price="100")
    diff_page = client.get(reverse("stats:recompute"), {"month": "2026-04"}).content.decode()
    assert 'id="differences"' in diff_page and "DKK 10,000.00" in diff_page
    client.post(
        reverse("stats:recompute"),
        {"month": "2026-04", "stored_computation": stored.computation_id, "note": "late disbursement"},
    )
    stored.refresh_from_db()
    assert stored.computation.note == "late disbursement"
    assert Computation.objects.count() == 2
    client.post(reverse("stats:reopen"), {"month": "2026-04"})
    stored.refresh_from_db()
    assert not stored.closed
    # a GET on an action goes to the month's page
    assert client.get(reverse("stats:close"), {"month": "2026-04"}).status_code == 302


def test_reconciliation_page(client, reporter):
    _book()
    page = client.get(reverse("stats:reconcile"), {"month": "2026-04"}).content.decode()
    assert "The reconciliation holds" in page
    assert "Redemptions" in page and "New nominal principal (disbursements)" in page


@pytest.mark.parametrize(
    "url, params, reason",
    [
        ("stats:month", {"month": "2026-13"}, "YYYY-MM"),
        ("stats:download", {"month": "2026-04", "format": "pdf"}, "use csv or xlsx"),
        ("stats:drill", {"month": "2026-04", "figure": "net_lending"}, "Choose a figure"),
        (
            "stats:drill",
            {"month": "2026-04", "figure": "transfers", "category": "castle"},
            "Unknown property",
        ),
        ("stats:reconcile", {"month": "x"}, "YYYY-MM"),
    ],
)
def test_bad_input_gets_a_page_saying_what_is_wrong(client, reporter, url, params, reason):
    response = client.get(reverse(url), params)
    assert response.status_code == 400
    assert reason in response.content.decode()


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(
        ["stats:month", "stats:download", "stats:drill", "stats:reconcile", "stats:recompute"]
    ),
    month=st.one_of(st.text(max_size=12), st.sampled_from(["2026-04", "1900-01", "2999-12", "2026-00"])),
    figure=st.one_of(st.text(max_size=8), st.sampled_from(["transfers", "bond_debt_outstanding"])),
    other=st.text(max_size=8),
)
def test_fuzz_no_500_on_the_statistics_pages(client, reporter, name, month, figure, other):
    params = {"month": month, "figure": figure, "category": other, "loan_type": other, "format": other}
    params = {k: v.replace("\x00", "") for k, v in params.items()}
    response = client.get(reverse(name), params)
    assert response.status_code in (200, 400), (name, params, response.status_code)


def test_eur_figures_on_the_page_use_the_month_end_rate(client, reporter):
    from common.models import ExchangeRate

    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 4, 30), rate=Decimal("746.00"))
    post(loan("EUR-1", on=prop("P1"), currency="EUR"), "disbursement", "1000.00", D(2026, 4, 1), price="100")
    page = client.get(MONTH, {"month": "2026-04"}).content.decode()
    assert "DKK 7,460.00" in page and "EUR 746.000000 (2026-04-30)" in page
