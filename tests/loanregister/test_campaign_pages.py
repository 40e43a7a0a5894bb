"""Retention campaigns on the pages (REG-2; issue 10 item 3): a retention user saves a register filter as a campaign
and sees its preview with the suppression counts; a retention manager freezes and downloads it (logged); any value
in the forms or the address gets a page that says what is wrong, never a 500."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from common.models import ExportLog
from loanregister.contacts import contact_log_add
from loanregister.models import Campaign, CampaignMember, ContactLog, Loan, UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

SOON = datetime.date.today() + datetime.timedelta(days=30)


def _client(user) -> Client:
    UserPreference.objects.get_or_create(user=user, defaults={"language": "en"})
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def book():
    make.loan(number="C-1", maturity_date=SOON)
    make.loan(number="C-2", maturity_date=SOON, borrower=make.borrower(do_not_contact=True))


def _new(client, **extra):
    data = {
        "name": "Winter",
        "channel": "phone",
        "date_from": datetime.date.today().isoformat(),
        "date_to": (SOON + datetime.timedelta(days=10)).isoformat(),
        **extra,
    }
    return client.post(reverse("loanregister:campaign-new"), data)


def test_reg2_a_retention_user_saves_a_filter_as_a_campaign_and_sees_its_preview(book):
    tom = _client(make.user("tom", "retention_team"))
    # the register page's filter comes along in the query
    page = tom.get(reverse("loanregister:campaign-new"), {"loan_type": "fixed"})
    assert page.status_code == 200
    response = _new(tom)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("loanregister:campaign", args=[campaign.pk])
    assert campaign.filters["date_to"] == [(SOON + datetime.timedelta(days=10)).isoformat()]
    detail = tom.get(response["Location"]).content.decode()
    assert 'id="campaign-rows">1<' in detail
    assert '<tr data-reason="do_not_contact"><td>Do not contact</td><td class="num">1</td>' in detail
    assert "campaign-freeze" not in detail  # a team member does not freeze
    assert tom.post(reverse("loanregister:campaign-freeze", args=[campaign.pk])).status_code == 403
    assert CampaignMember.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"channel": "pigeon"}, "Choose a channel: mailing, phone or e-mail."),
        ({"date_from": "31.02.2027"}, "The filter is not valid"),
        ({"balance_min": "1e9"}, "The filter is not valid"),
        ({"office": "999999"}, "The filter is not valid"),
    ],
)
def test_reg2_a_bad_campaign_form_says_what_is_wrong(book, extra, message):
    tom = _client(make.user("tom", "retention_team"))
    response = _new(tom, **extra)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_reg2_a_manager_freezes_and_downloads_the_campaign_logged(book):
    rita = _client(make.user("rita", "retention_manager"))
    _new(rita)
    campaign = Campaign.objects.get()
    assert rita.post(reverse("loanregister:campaign-freeze", args=[campaign.pk])).status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_frozen
    detail = rita.get(reverse("loanregister:campaign", args=[campaign.pk])).content.decode()
    assert "campaign-export-csv" in detail and 'data-figure="members">1<' in detail
    response = rita.get(reverse("loanregister:campaign-export", args=[campaign.pk]), {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("campaign,loan_number,borrower_name,channel")
    assert body.count("\n") == 2 and "C-1" in body and "C-2" not in body
    log = ExportLog.objects.get(kind="campaign")
    assert (log.source, log.row_count, log.user.username) == ("web", 1, "rita")
    danish = rita.get(
        reverse("loanregister:campaign-export", args=[campaign.pk]), {"format": "csv", "dialect": "excel_da"}
    )
    assert b"".join(danish.streaming_content).decode("utf-8-sig").startswith("campaign;loan_number;")


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": "csv", "dialect": "tab"}, {}])
def test_reg2_a_bad_export_request_goes_back_with_a_word(book, query):
    rita = _client(make.user("rita", "retention_manager"))
    _new(rita)
    campaign = Campaign.objects.get()
    rita.post(reverse("loanregister:campaign-freeze", args=[campaign.pk]))
    response = rita.get(reverse("loanregister:campaign-export", args=[campaign.pk]), query, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("loanregister:campaign", args=[campaign.pk])
    assert not ExportLog.objects.filter(kind="campaign").exists()


def test_reg2_campaign_pages_answer_any_address_without_a_500(book):
    rita = _client(make.user("rita", "retention_manager"))
    _new(rita)
    campaign = Campaign.objects.get()
    for path, status in (
        (reverse("loanregister:campaigns"), 200),
        (reverse("loanregister:campaign", args=[999999]), 404),
        (reverse("loanregister:campaign-export", args=[campaign.pk]) + "?format=csv", 302),  # a draft
        (reverse("loanregister:campaign-freeze", args=[campaign.pk]), 302),  # a GET goes to the page
        (reverse("loanregister:campaign-new") + "?date_from=garbage&kind=nonsense", 200),
        ("/campaigns/abc/", 404),
    ):
        assert rita.get(path).status_code == status, path
    officer = _client(make.user("olga", "loan_officer"))
    assert officer.get(reverse("loanregister:campaigns")).status_code == 403


def test_reg2_the_register_page_offers_its_filter_as_a_campaign(book):
    tom = _client(make.user("tom", "retention_team"))
    page = tom.get(reverse("loanregister:register"), {"loan_type": "fixed"}).content.decode()
    assert 'id="save-as-campaign"' in page
    assert "loan_type=fixed" in page.split('id="save-as-campaign"')[1].split(">")[0]
    officer = _client(make.user("olga", "loan_officer"))
    assert 'id="save-as-campaign"' not in officer.get(reverse("loanregister:register")).content.decode()


def test_reg2_the_retention_home_page_shows_campaigns_in_progress_and_their_results(book):
    rita = _client(make.user("rita", "retention_manager"))
    _new(rita)
    campaign = Campaign.objects.get()
    rita.post(reverse("loanregister:campaign-freeze", args=[campaign.pk]))
    home = rita.get("/").content.decode()
    assert 'id="home-campaigns"' in home and "Winter" in home
    officer = _client(make.user("olga", "loan_officer"))
    assert 'id="home-campaigns"' not in officer.get("/").content.decode()


def _frozen(client, channel: str = "phone") -> Campaign:
    _new(client, channel=channel)
    campaign = Campaign.objects.get()
    client.post(reverse("loanregister:campaign-freeze", args=[campaign.pk]))
    campaign.refresh_from_db()
    return campaign


def test_reg2_a_retention_user_logs_a_call_with_a_phone_campaigns_member_and_its_results_move(book):
    rita = _client(make.user("rita", "retention_manager"))
    campaign = _frozen(rita)
    tom = _client(make.user("tom", "retention_team"))
    detail = tom.get(reverse("loanregister:campaign", args=[campaign.pk])).content.decode()
    assert 'data-figure="contacted">0<' in detail
    assert 'data-contact-loan="C-1"' in detail  # each row links its form
    url = reverse("loanregister:campaign-contact", args=[campaign.pk])
    form = tom.get(url, {"loan": "C-1"}).content.decode()
    assert 'value="C-1"' in form
    today = datetime.date.today().isoformat()
    call = {
        "loan_number": "C-1",
        "channel": "phone",
        "direction": "out",
        "contacted_on": today,
        "outcome": "reached",
    }
    response = tom.post(url, {**call, "note": "Wants an offer"})
    assert response.status_code == 302
    contact = ContactLog.objects.get(campaign=campaign)
    assert (contact.loan.loan_number, contact.purpose, contact.user.username) == ("C-1", "marketing", "tom")
    detail = tom.get(reverse("loanregister:campaign", args=[campaign.pk])).content.decode()
    assert 'data-figure="contacted">1<' in detail
    # the contact governor: a second call the same day is the borrower's second of 2; a third is refused
    assert tom.post(url, call).status_code == 302
    refused = tom.post(url, call)
    assert refused.status_code == 400
    assert "The contact cap is reached" in refused.content.decode()
    assert ContactLog.objects.filter(campaign=campaign).count() == 2
    # a loan left out (do not contact) is not a member to contact
    left_out = tom.post(url, {**call, "loan_number": "C-2"})
    assert left_out.status_code == 400 and "is not in this campaign&#x27;s file" in left_out.content.decode()
    officer = _client(make.user("olga", "loan_officer"))
    assert officer.post(url, call).status_code == 403


def test_reg2_a_draft_campaign_has_no_contacts_yet(book):
    tom = _client(make.user("tom", "retention_team"))
    _new(tom)
    campaign = Campaign.objects.get()
    url = reverse("loanregister:campaign-contact", args=[campaign.pk])
    response = tom.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("loanregister:campaign", args=[campaign.pk])
    assert "Freeze the campaign before logging contacts" in response.content.decode()
    assert "campaign-contact-link" not in response.content.decode()


def test_reg2_record_as_sent_says_how_many_rows_the_contact_cap_held_back(book):
    rita = _client(make.user("rita", "retention_manager"))
    campaign = _frozen(rita, channel="mailing")
    borrower = Loan.objects.get(loan_number="C-1").borrower
    for _ in range(2):  # since the freeze, the borrower's own calls bring them to the cap
        contact_log_add(
            borrower=borrower,
            channel="phone",
            direction="in",
            purpose="marketing",
            contacted_on=datetime.date.today(),
            outcome="reached",
        )
    response = rita.post(reverse("loanregister:campaign-sent", args=[campaign.pk]), follow=True)
    page = response.content.decode()
    assert "Recorded as sent: 0 contacts logged." in page
    assert "Not logged: 1 row whose borrower has reached the contact cap since the freeze (loan C-1)" in page
    assert not ContactLog.objects.filter(campaign=campaign).exists()
