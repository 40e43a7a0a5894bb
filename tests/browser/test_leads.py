"""A loan officer works a lead in a real browser (issue 10, acceptance): from "My leads" to the lead's page, a
contact logged, and the lead moved from new through contacted and offer made to won."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from loanregister.leads.radar import DEFAULT_HORIZONS, maturity_radar_apply
from loanregister.models import ContactLog, Lead, RadarHorizon, UserPreference
from tests.loanregister import register_support as make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def a_lead(transactional_db, make_user):
    # the horizons of migration 0013 (a transactional test's flush removes them)
    for event, days in DEFAULT_HORIZONS.items():
        RadarHorizon.objects.get_or_create(event=event, defaults={"days": days})
    officer = make_user("lone", "loan_officer", first_name="Lone", last_name="Holm")
    UserPreference.objects.create(user=officer, language="en")
    today = datetime.date.today()
    make.loan(
        "RK-LEAD-1",
        officer=officer,
        maturity_date=today + datetime.timedelta(days=45),
        borrower=make.borrower("Jensen Ejendomme ApS"),
    )
    make.loan("RK-OTHER", maturity_date=today + datetime.timedelta(days=10))  # the unassigned queue's
    maturity_radar_apply(business_date=today)
    return Lead.objects.get(loan__loan_number="RK-LEAD-1")


def test_reg2_an_officer_works_a_lead_from_new_to_won(page: Page, live_server, a_lead, sign_in):
    # given the officer signed in, with one new lead
    sign_in(page, "lone")
    expect(page.locator("#home-new-leads")).to_contain_text("New leads waiting for you: 1")
    # when she opens My leads from the menu
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My leads").click()
    expect(page.locator("h1")).to_have_text("My leads")
    rows = page.locator("#leads-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "new")
    expect(rows.first).to_contain_text("Jensen Ejendomme ApS")
    # and the lead
    page.get_by_role("link", name="RK-LEAD-1").click()
    expect(page.locator("#lead-status")).to_have_text("New")
    # she logs the call she made
    form = page.locator("#lead-contact-form")
    form.get_by_label("Channel").select_option("phone")
    form.get_by_label("Direction").select_option("out")
    form.get_by_label("Outcome").select_option("reached")
    form.get_by_label("Note").fill("Interested in refinancing before maturity; send an offer")
    form.get_by_role("button", name="Log the contact").click()
    expect(page.locator(".messages")).to_contain_text("The contact is logged.")
    expect(page.locator("#lead-contacts-table")).to_contain_text("Interested in refinancing before maturity")
    # and moves the lead on: contacted, an offer made, won
    for button, shown in (("Contacted", "Contacted"), ("Offer made", "Offer made"), ("Won", "Won")):
        page.locator("#lead-status-change").get_by_role("button", name=button, exact=True).click()
        expect(page.locator("#lead-status")).to_have_text(shown)
    expect(page.locator("#lead-closed")).to_be_visible()
    expect(page.locator("#lead-status-change")).to_have_count(0)
    # then the lead is won, the contact is in the contact log for marketing, and every step is in its history
    a_lead.refresh_from_db()
    assert a_lead.status == "won" and a_lead.closed_on == datetime.date.today()
    contact = ContactLog.objects.get(lead=a_lead)
    assert (contact.purpose, contact.channel, contact.user.username) == ("marketing", "phone", "lone")
    assert list(a_lead.history.order_by("history_id").values_list("status", "history_user__username")) == [
        ("new", "system"),
        ("contacted", "lone"),
        ("offer_made", "lone"),
        ("won", "lone"),
    ]
    expect(page.locator("#lead-history tbody tr")).to_have_count(4)
    # and My leads now lists it under Won, no longer among the open ones
    page.locator("#lead-back").click()
    expect(page.locator("#leads-none")).to_be_visible()
    expect(page.locator('#leads-counts li[data-status="won"]')).to_contain_text("1")
