"""Retention campaigns in a real browser (issue 10, acceptance): a retention team member builds a campaign from the
register's filter and previews it; the retention manager sees its suppression counts, freezes it and exports it."""

import csv
import datetime
import io

import pytest
from playwright.sync_api import Page, expect

from common.models import ExportLog
from loanregister.models import Borrower, Campaign, CampaignMember, UserPreference
from tests.loanregister import register_support as make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def retention(transactional_db, make_user):
    tove = make_user("tove", "retention_team")
    rita = make_user("rita", "retention_manager")
    for user in (tove, rita):
        UserPreference.objects.create(user=user, language="en")
    today = datetime.date.today()
    soon = today + datetime.timedelta(days=40)
    make.loan("CAMP-1", maturity_date=soon, borrower=make.borrower("Jensen Ejendomme ApS"))
    household = make.borrower("Holm Familie")
    make.loan("CAMP-2", maturity_date=soon, borrower=household)
    make.loan("CAMP-3", maturity_date=soon + datetime.timedelta(days=3), borrower=household)
    make.loan("CAMP-4", maturity_date=soon, borrower=make.borrower("Ikke Kontakt", do_not_contact=True))
    collections = make.borrower("Inkasso Hansen")
    make.loan("CAMP-5", maturity_date=soon, borrower=collections)
    make.loan("CAMP-6", borrower=collections, in_collections=True)  # matures in 2050: not in the window
    make.loan(
        "CAMP-LATER", maturity_date=today + datetime.timedelta(days=300)
    )  # outside the campaign's window
    return {"from": today, "to": today + datetime.timedelta(days=90)}


def test_reg2_a_retention_user_builds_previews_freezes_and_exports_a_campaign(
    page: Page, live_server, retention, sign_in
):
    # given the retention team member on the register, filtered to the next 90 days
    sign_in(page, "tove")
    page.goto(
        f"{live_server.url}/register/?date_from={retention['from'].isoformat()}&date_to={retention['to'].isoformat()}"
    )
    # when she saves the filter as a campaign
    page.locator("#save-as-campaign").click()
    expect(page.locator("h1")).to_have_text("New campaign")
    page.get_by_label("Campaign name").fill("Autumn renewals")
    page.get_by_label("Channel").select_option("mailing")
    page.locator("#campaign-save").click()
    # then its preview shows the file's rows and who is left out, and why; she may not freeze it
    expect(page.locator("#campaign-state")).to_have_text("Draft")
    expect(page.locator("#campaign-rows")).to_have_text("2")  # Jensen, and the Holm household's one row
    counts = page.locator("#campaign-suppressions")
    expect(counts.locator('tr[data-reason="do_not_contact"] td.num')).to_have_text("1")
    expect(counts.locator('tr[data-reason="in_collections"] td.num')).to_have_text("1")
    expect(counts.locator('tr[data-reason="household"] td.num')).to_have_text("1")
    expect(page.locator("#campaign-freeze")).to_have_count(0)
    campaign_url = page.url
    page.get_by_role("button", name="Sign out").click()

    # when the manager opens it, freezes it and exports it
    sign_in(page, "rita")
    page.goto(campaign_url)
    expect(page.locator('#campaign-suppressions tr[data-reason="do_not_contact"] td.num')).to_have_text("1")
    page.locator("#campaign-freeze").click()
    expect(page.locator(".messages")).to_contain_text("The campaign is frozen: 2 rows in its file.")
    expect(page.locator("#campaign-state")).to_have_text("Frozen")
    expect(page.locator('#campaign-results [data-figure="members"]')).to_have_text("2")
    with page.expect_download() as download_info:
        page.locator("#campaign-export-csv").click()
    text = open(download_info.value.path(), encoding="utf-8").read()
    # then the file is the snapshot: one row per household, the suppressed left out
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.startswith("campaign,loan_number,borrower_name,channel")
    assert [(row["loan_number"], row["household_loans"], row["other_loans"]) for row in rows] == [
        ("CAMP-1", "1", ""),
        ("CAMP-2", "2", "CAMP-3"),
    ]
    campaign = Campaign.objects.get()
    assert campaign.frozen_by.username == "rita" and campaign.created_by.username == "tove"
    assert sorted(CampaignMember.objects.filter(reason="").values_list("loan__loan_number", flat=True)) == [
        row["loan_number"] for row in rows
    ]
    log = ExportLog.objects.get(kind="campaign")
    assert (log.user.username, log.source, log.row_count) == ("rita", "web", 2)
    # and a borrower marked do-not-contact since is left out of the next export, and counted
    Borrower.objects.filter(name="Jensen Ejendomme ApS").update(do_not_contact=True)
    with page.expect_download() as download_info:
        page.locator("#campaign-export-xlsx").click()
    page.reload()
    expect(page.locator('#campaign-suppressions tr[data-reason="do_not_contact"] td.num')).to_have_text("2")
    expect(page.locator("#campaign-rows")).to_have_text("1")
