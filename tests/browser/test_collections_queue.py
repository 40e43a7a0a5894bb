"""A collector works the queue in a real browser (issue 11, acceptance): from the queue to a delinquent loan's case,
a call logged with a promise to pay, a hardship plan assessed and proposed, and a collections manager approving it."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from loanregister.models import ContactLog, UserPreference
from servicing.collections.reminders import collection_reminders_run
from servicing.models import CollectorRule, HardshipPlan, PromiseToPay
from tests.servicing.collections_support import billed_loan, reference_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def arrears(transactional_db, make_user):
    reference_data()  # the ladder and buckets of migration 0015 (a transactional test's flush removes them)
    collector = make_user("carla", "collections", first_name="Carla", last_name="Dahl")
    manager = make_user("mads", "collections_manager", first_name="Mads", last_name="Berg")
    for user in (collector, manager):
        UserPreference.objects.create(user=user, language="en")
    CollectorRule.objects.create(order=1, collector=collector)
    today = datetime.date.today()
    billed_loan("RK-COL-1", today - datetime.timedelta(days=40), email="jens@example.dk", language="en")
    billed_loan("RK-COL-2", today - datetime.timedelta(days=10))
    collection_reminders_run(business_date=today)
    return today


def test_col3_col4_a_collector_works_the_queue_logs_a_promise_and_agrees_a_hardship_plan(
    page: Page, live_server, arrears, sign_in
):
    today = arrears
    # given the collector signed in, with her queue in the menu
    sign_in(page, "carla")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Collections").click()
    expect(page.locator("h1")).to_have_text("Collections queue")
    # then the queue lists her two delinquent loans by risk: the most days past due first
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-loan", "RK-COL-1")
    expect(rows.first).to_contain_text("30-59")
    # when she opens the first one and logs the call, in which the borrower promised to pay in a week
    page.get_by_role("link", name="RK-COL-1").click()
    expect(page.locator("#case-days")).to_have_text("40")
    form = page.locator("#case-contact-form")
    form.get_by_label("How").select_option("phone")
    form.get_by_label("Outcome").select_option("reached")
    form.get_by_label("Note").fill("Lost his job; can pay 2,500 next week")
    form.get_by_label("Promised amount").fill("2,500.00")
    form.get_by_label("Promised by").fill((today + datetime.timedelta(days=7)).isoformat())
    form.get_by_role("button", name="Log contact").click()
    # then the call and the promise are on the case
    expect(page.locator(".messages")).to_contain_text("Contact logged, with a promise to pay.")
    expect(page.locator("#case-contacts-table")).to_contain_text("Lost his job")
    expect(page.locator("#case-promises-table")).to_contain_text("2,500.00")
    expect(page.locator("#case-next-action")).to_contain_text("Check the promise to pay")
    # when she assesses his hardship and proposes a payment holiday of two months
    plan_form = page.locator("#case-hardship-form")
    plan_form.get_by_label("Monthly income").fill("12,000.00")
    plan_form.get_by_label("Monthly expenses").fill("11,500.00")
    plan_form.get_by_label("Cause").select_option("unemployment")
    plan_form.get_by_label("Expected duration (months)").fill("3")
    plan_form.locator("#hardship-kind").select_option("holiday")
    plan_form.get_by_label("First due date").fill((today + datetime.timedelta(days=20)).isoformat())
    plan_form.locator("#hardship-months").fill("2")
    plan_form.get_by_role("button", name="Propose plan").click()
    expect(page.locator(".messages")).to_contain_text("a collections manager approves it")
    expect(page.locator("#case-hardship .plan")).to_have_attribute("data-state", "proposed")
    expect(page.locator("#plan-approve")).to_have_count(0)  # not hers to approve
    # when the collections manager signs in and approves it
    page.context.clear_cookies()
    sign_in(page, "mads")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Collections").click()
    page.get_by_role("link", name="RK-COL-1").click()
    page.locator("#plan-approve").click()
    # then the plan runs
    expect(page.locator(".messages")).to_contain_text("Hardship plan approved")
    expect(page.locator("#case-hardship .plan")).to_have_attribute("data-state", "active")
    plan = HardshipPlan.objects.get(loan__loan_number="RK-COL-1")
    assert (plan.state, plan.approved_by.username, plan.proposed_by.username) == ("active", "mads", "carla")
    promise = PromiseToPay.objects.get(loan__loan_number="RK-COL-1")
    assert (promise.amount, promise.due_on) == (Decimal("2500.00"), today + datetime.timedelta(days=7))
    contact = ContactLog.objects.get(loan__loan_number="RK-COL-1", user__username="carla")
    assert (contact.purpose, contact.channel, contact.outcome) == ("collections", "phone", "reached")
