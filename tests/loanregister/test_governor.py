"""The contact governor (REG-2; issue 10 item 4b): at most N marketing contacts per borrower per period, counted
from the one contact log; a clear refusal when a marketing contact would pass the cap."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from loanregister.contacts import ContactRefused, contact_log_add
from loanregister.leads.radar import maturity_radar_apply
from loanregister.models import ContactGovernor, ContactLog, Lead, UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)
DAY = datetime.timedelta(days=1)


def _contact(borrower, on, *, direction="out", purpose="marketing"):
    return contact_log_add(
        borrower=borrower,
        channel="phone",
        direction=direction,
        purpose=purpose,
        contacted_on=on,
        outcome="reached",
    )


def test_reg2_a_fresh_database_allows_2_marketing_contacts_per_30_days():
    governor = ContactGovernor.objects.get()
    assert (governor.max_contacts, governor.period_days, governor.campaign_gap_days) == (2, 30, 90)


def test_reg2_the_third_marketing_contact_within_30_days_is_refused_with_the_day_it_may_be_made():
    borrower = make.borrower()
    _contact(borrower, D - 29 * DAY)  # the first day of the 30 days ending on D
    _contact(borrower, D - 3 * DAY)
    with translation.override("en"), pytest.raises(ContactRefused) as refused:
        _contact(borrower, D)
    assert "2 marketing contacts in the 30 days up to 2027-03-01" in str(refused.value)
    # the 30 days ending on D + 1 begin on D - 28: D - 29 has left them
    assert "from 2027-03-02" in str(refused.value)
    assert ContactLog.objects.filter(borrower=borrower).count() == 2
    # the next day the first contact is out of the period: allowed
    _contact(borrower, D + DAY)


def test_reg2_servicing_contacts_do_not_count_and_the_borrowers_own_calls_are_never_refused():
    borrower = make.borrower()
    _contact(borrower, D, purpose="servicing")
    _contact(borrower, D, purpose="collections")
    _contact(borrower, D)
    _contact(borrower, D, direction="in")  # counts, but is logged: the borrower called us
    _contact(borrower, D, direction="in")
    with pytest.raises(ContactRefused):
        _contact(borrower, D)
    _contact(borrower, D, purpose="servicing")  # servicing is never capped


def test_reg2_the_cap_is_admin_set():
    ContactGovernor.objects.update(max_contacts=1, period_days=7)
    borrower = make.borrower()
    _contact(borrower, D - 8 * DAY)
    _contact(borrower, D - 1 * DAY)  # the 7 days ending on D - 1 begin on D - 7
    with pytest.raises(ContactRefused):
        _contact(borrower, D)
    _contact(borrower, D + 6 * DAY)


def test_reg2_logging_a_contact_on_a_lead_over_the_cap_says_why(client):
    officer = make.user("anna", "loan_officer")
    loan = make.loan(officer=officer, maturity_date=D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    lead = Lead.objects.get(loan=loan)
    today = datetime.date.today()
    _contact(loan.borrower, today)
    _contact(loan.borrower, today)
    UserPreference.objects.create(user=officer, language="en")
    client.force_login(officer)
    with translation.override("en"):
        response = client.post(
            reverse("loanregister:lead-contact", args=[lead.pk]),
            {
                "channel": "phone",
                "direction": "out",
                "contacted_on": today.isoformat(),
                "outcome": "reached",
                "note": "",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert "The contact cap is reached" in response.content.decode()
    assert ContactLog.objects.filter(lead=lead).count() == 0


def test_reg2_a_retention_manager_sets_the_cap_on_its_page_and_others_may_not(client):
    manager = make.user("rita", "retention_manager")
    UserPreference.objects.create(user=manager, language="en")
    client.force_login(manager)
    url = reverse("loanregister:contact-governor")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"max_contacts": "-1", "period_days": "0", "campaign_gap_days": "x"})
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()
    assert (
        client.post(url, {"max_contacts": "3", "period_days": "14", "campaign_gap_days": "60"}).status_code
        == 302
    )
    governor = ContactGovernor.objects.get()
    assert (governor.max_contacts, governor.period_days, governor.campaign_gap_days) == (3, 14, 60)
    assert governor.history.first().history_user == manager
    client.force_login(make.user("tom", "retention_team"))
    assert client.get(url).status_code == 403
