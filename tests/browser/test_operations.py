"""The operations page in a real browser (issue 10, item 5): an admin finds it in the navigation, sees tonight's
schedule, starts the maturity radar for today, and sees its run done with its counts."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_starts_the_radar_from_the_operations_page_and_sees_it_done(
    page: Page, live_server, book, make_user, sign_in
):
    # given an admin signed in, on a book with loans within the radar's horizons
    from loanregister.leads.radar import DEFAULT_HORIZONS
    from loanregister.models import RadarHorizon

    for event, days in DEFAULT_HORIZONS.items():
        RadarHorizon.objects.get_or_create(event=event, defaults={"days": days})
    make_user("ada", "admin")
    sign_in(page, "ada")
    # when she opens Operations from the navigation
    page.get_by_role("navigation").get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    radar = page.locator('#nightly-jobs tr[data-job="maturity_radar"]')
    expect(radar).to_contain_text("03:00")
    expect(radar).to_contain_text("Not run yet.")
    # and starts the maturity radar for today (the form's default date)
    page.locator("#run-job select[name=job]").select_option("maturity_radar")
    page.locator("#run-job button[type=submit]").click()
    # then the page says it is queued, and (tasks run in-process on the embedded default) the run is done
    expect(page.locator(".messages")).to_contain_text("maturity_radar for")
    expect(page.locator(".messages")).to_contain_text("is queued")
    radar = page.locator('#nightly-jobs tr[data-job="maturity_radar"]')
    expect(radar.locator("td.state")).to_have_text("Done")
    expect(radar).to_contain_text("created")
    # and nothing waits in the outbox
    expect(page.locator("#outbox-empty")).to_be_visible()
