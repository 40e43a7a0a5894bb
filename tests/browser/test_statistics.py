"""The lending statistics in a real browser (issue 13, acceptance): the reporting role opens a month, sees the table
and the chart, downloads the CSV, and recomputes a closed month after seeing the differences."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from common.models import ExportLog
from stats.figures import Month
from stats.models import Computation, StatsMonth
from stats.services import month_close
from tests.stats.support import loan, opening, post, prop

pytestmark = pytest.mark.django_db(transaction=True)


def _book(month: Month) -> None:
    old = loan("OLD-1", on=prop("P1", "owner_occupied"))
    opening(old, "200000.00", month.first - datetime.timedelta(days=400))
    new = loan("NEW-1", on=prop("P2", "agriculture"), loan_type="adjustable")
    post(new, "disbursement", "100000.00", month.first, price="98.00")
    post(old, "redemption", "50000.00", month.first, price="99.50")


def test_reporting_opens_a_month_downloads_the_csv_and_recomputes(
    page: Page, live_server, make_user, sign_in
):
    # given last month's flows, and a reporting officer
    month = Month(datetime.date.today().replace(day=1)).previous()
    _book(month)
    make_user("rita", "reporting")
    sign_in(page, "rita")
    # when she opens the statistics from the menu (last month by default)
    page.get_by_role("navigation").get_by_role("link", name="Lending statistics", exact=True).click()
    expect(page.locator("h1")).to_have_text(f"Lending statistics {month.label}")
    # then she sees the table with the grand total and the server-drawn chart
    table = page.locator("#statistics-table")
    expect(table).to_contain_text("Gross lending")
    expect(table.locator("#grand-total")).to_contain_text("DKK 98,000.00")
    expect(table.locator("#grand-total")).to_contain_text("DKK 250,000.00")
    expect(page.locator("svg.trend-chart")).to_be_visible()
    expect(page.locator("svg.trend-chart rect.net-bar")).not_to_have_count(0)
    # and downloads the CSV
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    lines = open(info.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("month,property_category,loan_type,gross_lending,")
    assert (
        f"{month.label},agriculture,adjustable,98000.00,0.00,0.00,98000.00,0.00,98000.00,100000.00" in lines
    )
    assert ExportLog.objects.filter(kind="statistics", source="web", user__username="rita").count() == 1
    # when she closes the month, and a late disbursement comes in dated in it
    page.get_by_role("button", name="Close the month (store the figures)").click()
    expect(page.locator("#month-state")).to_contain_text("Closed")
    post(loan("LATE-1", on=prop("P3")), "disbursement", "10000.00", month.first, price="100")
    page.reload()
    expect(page.locator("#grand-total")).to_contain_text("DKK 98,000.00")  # still the stored figures
    page.get_by_role("link", name="Recompute…").click()
    # then she sees the difference before replacing the stored figures
    expect(page.locator("#differences")).to_contain_text("DKK 10,000.00")
    page.get_by_label("Reason (kept with the computation)").fill("late disbursement")
    page.get_by_role("button", name="Replace the stored figures").click()
    expect(page.locator("#grand-total")).to_contain_text("DKK 108,000.00")
    stored = StatsMonth.objects.get()
    assert stored.closed and stored.computation.note == "late disbursement"
    assert Computation.objects.count() == 2
    assert stored.computation.figures.get(property_category="owner_occupied").gross_lending == Decimal(
        "10000.00"
    )


def test_a_closed_month_is_shown_as_closed(page: Page, live_server, make_user, sign_in):
    month = Month(datetime.date.today().replace(day=1)).previous()
    _book(month)
    month_close(month=month, user=None)
    make_user("rita", "reporting")
    sign_in(page, "rita")
    page.goto(f"{live_server.url}/statistics/?month={month.label}")
    expect(page.locator("#month-state")).to_contain_text("Closed")
    page.get_by_role("link", name="Reconciliation").click()
    expect(page.locator("#reconciliation-state")).to_contain_text("holds")
