"""Navigation in a real browser (issue 8, item 11): from a loan back to the register as it was left."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_loan_pages_way_back_returns_to_the_filtered_register_on_the_same_page(
    page: Page, live_server, book, make_user, sign_in
):
    # given a loan officer on the second page of a filtered register
    make_user("lars", "loan_officer")
    sign_in(page, "lars")
    page.goto(f"{live_server.url}/register/?kind=maturity")
    page.locator("a[rel=next]").first.click()
    page.wait_for_url(lambda url: "after=" in url)
    left_at = page.url
    # when he opens a loan from that page and follows its way back
    page.locator("#register-table tbody tr a").first.click()
    page.wait_for_url(lambda url: "/register/loans/" in url)
    page.locator("#loan-back").click()
    # then he is where he left the register: the same filter, the same page
    expect(page).to_have_url(left_at)
