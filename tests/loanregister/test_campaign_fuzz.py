"""Random text in the campaign form (its name, channel and register filter), a campaign's export options and the
leads download and the campaign contact form never give a 500 (issue 10; the register's fuzz strategies): a page that says what is wrong."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import given

from loanregister.campaigns.services import campaign_create, campaign_freeze

from . import register_support as make
from .test_register_fuzz import FILTERS, FUZZ, OPTIONS, queries

pytestmark = pytest.mark.django_db

FORM = ["name", "channel"]


@pytest.fixture
def manager_client(client):
    make.loan("C-1", maturity_date=datetime.date.today() + datetime.timedelta(days=30))
    user = make.user("rita", "retention_manager", is_staff=False)
    user.groups.add(*make.user("sam", "sales_manager").groups.all())  # and the leads' download
    campaign = campaign_create(name="Fuzz", channel="phone", filters={}, user=user)
    campaign_freeze(campaign=campaign, user=user)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.campaign = campaign
    return client


@FUZZ
@given(query=queries(FORM + FILTERS + OPTIONS))
def test_reg2_random_values_never_break_the_campaign_form(manager_client, query):
    url = reverse("loanregister:campaign-new")
    assert manager_client.get(url, query).status_code == 200, query
    response = manager_client.post(url, query)
    assert response.status_code in (302, 400), query
    if response.status_code == 400:
        assert 'class="error"' in response.content.decode()


@FUZZ
@given(query=queries(["format", "dialect"]))
def test_reg2_random_export_options_never_break_the_campaign_download(manager_client, query):
    response = manager_client.get(
        reverse("loanregister:campaign-export", args=[manager_client.campaign.pk]), query
    )
    assert response.status_code in (200, 302), query


@FUZZ
@given(query=queries(["format", "status", "event", "office", "officer", "page"]))
def test_reg2_random_filter_values_never_break_the_leads_download(manager_client, query):
    response = manager_client.get(reverse("loanregister:leads-download"), query)
    assert response.status_code in (200, 302), query


CONTACT = ["loan_number", "channel", "direction", "contacted_on", "outcome", "note", "loan"]


@FUZZ
@given(query=queries(CONTACT))
def test_reg2_random_values_never_break_the_campaign_contact_form(manager_client, query):
    url = reverse("loanregister:campaign-contact", args=[manager_client.campaign.pk])
    assert manager_client.get(url, query).status_code == 200, query
    response = manager_client.post(url, query)
    assert response.status_code in (302, 400), query
    if response.status_code == 400:
        assert 'class="error"' in response.content.decode()
