"""The maturity register in a real browser (issue 3, item 6): sign in, filter, page, open a loan, export."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from common.models import ExportLog
from loanregister.models import RegisterEvent

pytestmark = pytest.mark.django_db(transaction=True)

# Not test-results/: pytest-playwright empties that folder at the start of every session.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _in_default_window(events) -> int:
    """Events the register shows by default: from today to 12 months ahead (the book's rate resets lie beyond)."""
    today = datetime.date.today()
    return events.filter(event_date__gte=today, event_date__lte=today + datetime.timedelta(days=365)).count()


def _loan_numbers(page: Page) -> list[str]:
    return page.locator("#register-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.loan)")


def _event_ids(page: Page) -> list[str]:
    return page.locator("#register-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.eventId)")


def test_register_filter_by_borrower_name(page: Page, live_server, book, make_user, sign_in):
    # given a loan officer on the register
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.get_by_role("navigation").get_by_role("link", name="Maturity register", exact=True).click()
    expect(page.locator("h1")).to_have_text("Maturity register")
    expect(page.locator("#register-count")).to_contain_text(f"{book['loans']} events")
    # when he searches for a borrower by name through the filter panel
    page.get_by_label("Loan number or borrower name").fill("Holm Ejendomme")
    page.get_by_role("button", name="Show").click()
    # then only that borrower's loan is listed, with its amount in his locale
    expect(page.locator("#register-table tbody tr")).to_have_count(1)
    assert _loan_numbers(page) == [book["target"]]
    expect(page.locator("#register-table tbody tr td.balance")).to_have_text("DKK 1,234,567.89")
    assert "q=Holm" in page.url, "the filter is in the address, so the list can be bookmarked and shared"


def test_register_filter_by_office_and_event_kind(page: Page, live_server, book, make_user, sign_in):
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.goto(f"{live_server.url}/register/")
    # when she narrows to the Aarhus office and to final maturities
    page.get_by_label("Office", exact=True).select_option(index=_option_index(page, "Office", "AAR"))
    page.get_by_role("group", name="Event").get_by_label("Maturity").check()
    page.get_by_role("button", name="Show").click()
    # then the count and the rows are those of the database for the same filter
    expected = _in_default_window(RegisterEvent.objects.filter(office__code="AAR", kind="maturity"))
    assert expected == book["loans"] // 2
    expect(page.locator("#register-count")).to_contain_text(f"{expected} events")
    assert set(page.locator("#register-table tbody tr").evaluate_all("r => r.map(x => x.dataset.kind)")) == {
        "maturity"
    }


def _option_index(page: Page, label: str, text: str) -> int:
    options = page.get_by_label(label, exact=True).locator("option").all_inner_texts()
    return next(i for i, option in enumerate(options) if text in option)


def test_register_pages_forward_and_back_with_every_event_once(
    page: Page, live_server, book, make_user, sign_in
):
    # given more events than fit on one page
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.goto(f"{live_server.url}/register/")
    total = int(page.locator("#register-count").get_attribute("data-count"))
    assert total == _in_default_window(RegisterEvent.objects.all()) == book["loans"]
    first_page = _event_ids(page)
    assert 0 < len(first_page) < total
    # when he follows "Later" to the end
    seen = list(first_page)
    pages = [first_page]
    while page.locator("#pager-bottom a[rel=next]").count():
        page.locator("#pager-bottom a[rel=next]").click()
        pages.append(_event_ids(page))
        seen += pages[-1]
    # then every event appeared exactly once, in register order (date, then id)
    assert len(seen) == len(set(seen)) == total
    dates = page.locator("#register-table tbody tr").evaluate_all("r => r.map(x => x.dataset.date)")
    assert dates == sorted(dates)
    # and "Earlier" walks back through the same pages
    for expected in reversed(pages[:-1]):
        page.locator("#pager-top a[rel=prev]").click()
        assert _event_ids(page) == expected
    expect(page.locator("#pager-top a[rel=prev]")).to_have_count(0)


def test_open_a_loan_from_the_register(page: Page, live_server, book, make_user, sign_in):
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.goto(f"{live_server.url}/register/?q={book['target']}")
    # when he opens the loan
    page.get_by_role("link", name=book["target"]).click()
    # then its page shows terms, borrower and register events
    expect(page.locator("h1")).to_contain_text(f"Loan {book['target']}")
    expect(page.locator("#loan-balance")).to_have_text("DKK 1,234,567.89")
    expect(page.locator("#loan-borrower")).to_contain_text(book["target_borrower"])
    expect(page.get_by_role("heading", name="Register events")).to_be_visible()


def test_download_the_filtered_list_as_csv(page: Page, live_server, book, make_user, sign_in):
    # given a retention team member who filtered the register to one office
    user = make_user("rita", "retention_team")
    sign_in(page, "rita")
    page.goto(f"{live_server.url}/register/")
    page.get_by_label("Office", exact=True).select_option(index=_option_index(page, "Office", "CPH"))
    page.get_by_role("button", name="Show").click()
    on_screen = int(page.locator("#register-count").get_attribute("data-count"))
    # when she downloads the CSV
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    content = Path(download.path()).read_text(encoding="utf-8")
    # then it holds the filtered list, in register order, and the export is logged
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert {"loan_number", "event", "event_date"} <= set(rows[0].keys())
    assert len(rows) == on_screen == _in_default_window(RegisterEvent.objects.filter(office__code="CPH"))
    assert [(r["event_date"], r["loan_number"]) for r in rows] == sorted(
        (r["event_date"], r["loan_number"]) for r in rows
    )
    log = ExportLog.objects.get(user=user)
    assert log.completed and log.row_count == len(rows) and log.filters.get("office")


def test_register_in_danish_after_switching_language(page: Page, live_server, book, make_user, sign_in):
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.goto(f"{live_server.url}/register/?q={book['target']}")
    # when he switches to Danish on the register page
    page.get_by_role("button", name="Dansk").click()
    # then he stays on the same filtered list, now in Danish with Danish amounts
    expect(page.locator("h1")).to_have_text("Forfaldsregister")
    assert f"q={book['target']}" in page.url
    expect(page.locator("#register-table tbody tr td.balance")).to_have_text("1.234.567,89 kr.")
    expect(page.get_by_role("columnheader", name="Restgæld")).to_be_visible()


def test_register_and_loan_pages_accessibility_smoke_and_screenshot(
    page: Page, live_server, book, make_user, sign_in
):
    from tests.browser.test_language_and_accessibility import _assert_accessible_basics

    make_user("rita", "retention_team", first_name="Rita", last_name="Møller")
    sign_in(page, "rita")
    page.goto(f"{live_server.url}/register/")
    _assert_accessible_basics(page, "en")
    # numbers are right-aligned in their column (docs/requirements.md §1: "numbers right-aligned with their
    # currency")
    cell = page.locator("#register-table tbody tr td.balance").first
    assert cell.evaluate("el => getComputedStyle(el).textAlign") == "right"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "register.png"), full_page=False)
    page.locator("#register-table tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Loan ")
    _assert_accessible_basics(page, "en")
    page.screenshot(path=str(SCREENSHOTS / "loan.png"), full_page=True)
