"""Leads for loan officers on the pages (REG-2, issue 10 items 2 and 4c): "My leads" (new first, by event date,
counts per status) from the home and loan pages; a lead's page where its officer logs contacts (the contact log,
purpose marketing) and moves its status along the allowed transitions; reassignment by a sales manager, one lead
or a filter's worth; the operator page of tonight's radar; and every change audited."""

import datetime
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.models import JobRun
from loanregister.leads.radar import maturity_radar_apply
from loanregister.models import ContactLog, Lead, StaffProfile, UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _client(user) -> Client:
    UserPreference.objects.get_or_create(user=user, defaults={"language": "en"})
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def team(make_user):
    olga = make_user("olga", "loan_officer", first_name="Olga")
    per = make_user("per", "loan_officer")
    sam = make_user("sam", "sales_manager")
    office = make.office("AAR")
    StaffProfile.objects.create(user=olga, office=office)
    make.loan("OLGA-LATE", officer=olga, office=office, maturity_date=TODAY + 50 * DAY)
    make.loan("OLGA-SOON", officer=olga, office=office, maturity_date=TODAY + 10 * DAY)
    make.loan("OLGA-WORKED", officer=olga, office=office, maturity_date=TODAY + 5 * DAY)
    make.loan("PER-1", officer=per, maturity_date=TODAY + 20 * DAY)
    make.loan("QUEUE-1", maturity_date=TODAY + 30 * DAY)
    make.loan("QUEUE-2", maturity_date=TODAY + 31 * DAY)
    maturity_radar_apply(business_date=TODAY)
    worked = Lead.objects.get(loan__loan_number="OLGA-WORKED")
    _client(olga).post(reverse("loanregister:lead-status", args=[worked.pk]), {"status": "contacted"})
    return {"olga": olga, "per": per, "sam": sam}


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-lead="\d+" data-loan="([^"]+)" data-status="([^"]+)"', html)


def _counts(html: str) -> dict[str, int]:
    return {
        status: int(count)
        for status, count in re.findall(r'<li data-status="(\w+)">.*?<strong class="num">(\d+)</strong>', html)
    }


def _lead(number: str) -> Lead:
    return Lead.objects.get(loan__loan_number=number)


# -- "My leads" ------------------------------------------------------------------------------------------


def test_reg2_my_leads_lists_the_officers_own_leads_new_first_by_event_date_with_counts(team):
    html = _client(team["olga"]).get(reverse("loanregister:leads")).content.decode()
    # new first, by event date; then the ones being worked; nobody else's
    assert _rows(html) == [("OLGA-SOON", "new"), ("OLGA-LATE", "new"), ("OLGA-WORKED", "contacted")]
    assert _counts(html) == {
        "new": 2,
        "contacted": 1,
        "offer_made": 0,
        "won": 0,
        "lost": 0,
        "not_interested": 0,
        "obsolete": 0,
    }
    assert "<h1" in html and "My leads" in html


def test_reg2_my_leads_filters_by_status_and_an_officer_cannot_look_at_others(team):
    client = _client(team["olga"])
    html = client.get(reverse("loanregister:leads"), {"status": "contacted"}).content.decode()
    assert _rows(html) == [("OLGA-WORKED", "contacted")]
    # the officer filter is a sales manager's: an officer asking for another's leads still sees only her own
    html = client.get(reverse("loanregister:leads"), {"officer": "per"}).content.decode()
    assert {number for number, _s in _rows(html)} == {"OLGA-SOON", "OLGA-LATE", "OLGA-WORKED"}
    assert client.get(reverse("loanregister:lead", args=[_lead("PER-1").pk])).status_code == 403


def test_reg2_my_leads_is_reachable_from_the_home_page_and_the_loan_page(team):
    client = _client(team["olga"])
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("loanregister:leads")}"' in home[home.index('id="home-work"') :]
    assert "New leads waiting for you: 2" in unescape(home)
    loan_page = client.get(reverse("loanregister:loan", args=["OLGA-SOON"])).content.decode()
    section = loan_page[loan_page.index('id="loan-leads"') :]
    assert f'href="{reverse("loanregister:lead", args=[_lead("OLGA-SOON").pk])}"' in section
    assert 'id="loan-my-leads"' in section


def test_reg2_roles_without_leads_do_not_see_them(make_user):
    client = _client(make_user("rita", "reporting"))
    assert reverse("loanregister:leads") not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("loanregister:leads")).status_code == 403


# -- a lead's page: contacts and status ---------------------------------------------------------------------


def test_reg2_the_officer_logs_a_contact_on_the_lead_in_the_contact_log(team):
    lead = _lead("OLGA-SOON")
    client = _client(team["olga"])
    response = client.post(
        reverse("loanregister:lead-contact", args=[lead.pk]),
        {
            "channel": "phone",
            "direction": "out",
            "contacted_on": TODAY.isoformat(),
            "outcome": "reached",
            "note": "Wants an offer for a 10-year fixed loan",
        },
    )
    assert response.status_code == 302
    contact = ContactLog.objects.get(lead=lead)
    assert (contact.borrower, contact.loan, contact.purpose, contact.user) == (
        lead.loan.borrower,
        lead.loan,
        "marketing",
        team["olga"],
    )
    page = client.get(reverse("loanregister:lead", args=[lead.pk])).content.decode()
    assert "Wants an offer for a 10-year fixed loan" in page


def test_reg2_a_contact_for_a_day_to_come_is_refused(team):
    lead = _lead("OLGA-SOON")
    response = _client(team["olga"]).post(
        reverse("loanregister:lead-contact", args=[lead.pk]),
        {"channel": "phone", "direction": "out", "contacted_on": (TODAY + DAY).isoformat(), "outcome": "reached"},
    )
    assert response.status_code == 400
    assert not ContactLog.objects.exists()


def test_reg2_the_officer_moves_the_lead_from_new_to_won_and_each_step_is_audited(team):
    lead = _lead("OLGA-SOON")
    client = _client(team["olga"])
    for status in ("contacted", "offer_made", "won"):
        client.post(reverse("loanregister:lead-status", args=[lead.pk]), {"status": status})
    lead.refresh_from_db()
    assert (lead.status, lead.closed_on) == ("won", TODAY)
    history = list(lead.history.order_by("history_id").values_list("status", "history_user__username"))
    assert history == [("new", "system"), ("contacted", "olga"), ("offer_made", "olga"), ("won", "olga")]
    page = client.get(reverse("loanregister:lead", args=[lead.pk])).content.decode()
    assert 'id="lead-closed"' in page and 'id="lead-status-change"' not in page


def test_reg2_a_status_the_lead_may_not_move_to_is_refused(team):
    lead = _lead("OLGA-WORKED")  # contacted
    client = _client(team["olga"])
    for status in ("new", "obsolete", "bogus"):
        response = client.post(reverse("loanregister:lead-status", args=[lead.pk]), {"status": status}, follow=True)
        assert response.status_code == 200
        assert _lead("OLGA-WORKED").status == "contacted", status
    client.post(reverse("loanregister:lead-status", args=[lead.pk]), {"status": "lost"})
    response = client.post(reverse("loanregister:lead-status", args=[lead.pk]), {"status": "won"}, follow=True)
    assert "A lead that is Lost cannot become Won." in unescape(response.content.decode())
    assert _lead("OLGA-WORKED").status == "lost"


def test_reg2_another_officer_cannot_work_a_lead(team):
    lead = _lead("OLGA-SOON")
    client = _client(team["per"])
    assert client.post(reverse("loanregister:lead-status", args=[lead.pk]), {"status": "won"}).status_code == 403
    contact = {"channel": "phone", "direction": "out", "contacted_on": TODAY.isoformat(), "outcome": "reached"}
    assert client.post(reverse("loanregister:lead-contact", args=[lead.pk]), contact).status_code == 403
    assert _lead("OLGA-SOON").status == "new" and not ContactLog.objects.exists()


# -- reassignment by a sales manager ----------------------------------------------------------------------


def test_reg2_a_sales_manager_sees_the_unassigned_queue_and_reassigns_one_lead(team):
    client = _client(team["sam"])
    html = client.get(reverse("loanregister:leads"), {"officer": "-"}).content.decode()
    assert [number for number, _s in _rows(html)] == ["QUEUE-1", "QUEUE-2"]
    lead = _lead("QUEUE-1")
    client.post(reverse("loanregister:lead-reassign", args=[lead.pk]), {"assignee": team["per"].pk})
    lead.refresh_from_db()
    assert lead.officer == team["per"]
    record = lead.history.order_by("-history_id").first()
    assert (record.history_user, record.officer_id, record.history_change_reason) == (
        team["sam"],
        team["per"].pk,
        "reassigned to per",
    )


def test_reg2_a_sales_manager_reassigns_every_open_lead_of_a_filter(team):
    client = _client(team["sam"])
    # given the list filtered to Olga's leads, whose reassignment form carries that filter
    page = client.get(reverse("loanregister:leads"), {"officer": "olga"}).content.decode()
    form = page[page.index('id="leads-reassign"') :]
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    assert ("officer", "olga") in hidden and ("query", "officer=olga") in hidden
    # when she gives them all to Per
    data: dict[str, list] = {}
    for name, value in hidden:
        data.setdefault(name, []).append(value)
    response = client.post(reverse("loanregister:leads-reassign"), {**data, "assignee": team["per"].pk})
    # then every open lead of Olga's is Per's, each with a history record naming the manager
    assert response.status_code == 302 and response["Location"] == reverse("loanregister:leads") + "?officer=olga"
    assert set(Lead.objects.filter(officer=team["per"]).values_list("loan__loan_number", flat=True)) == {
        "PER-1",
        "OLGA-SOON",
        "OLGA-LATE",
        "OLGA-WORKED",
    }
    for number in ("OLGA-SOON", "OLGA-LATE", "OLGA-WORKED"):
        record = _lead(number).history.order_by("-history_id").first()
        assert (record.history_user, record.history_change_reason) == (team["sam"], "reassigned to per")
    # and the queue was left alone
    assert Lead.objects.filter(officer__isnull=True).count() == 2


def test_reg2_only_a_sales_manager_reassigns(team):
    lead = _lead("OLGA-SOON")
    client = _client(team["olga"])
    assert (
        client.post(reverse("loanregister:lead-reassign", args=[lead.pk]), {"assignee": team["per"].pk}).status_code
        == 403
    )
    assert client.post(reverse("loanregister:leads-reassign"), {"assignee": team["per"].pk}).status_code == 403
    assert _lead("OLGA-SOON").officer == team["olga"]


def test_reg2_a_lead_is_only_given_to_someone_who_works_leads(team, make_user):
    rita = make_user("rita", "reporting")
    lead = _lead("QUEUE-1")
    response = _client(team["sam"]).post(reverse("loanregister:lead-reassign", args=[lead.pk]), {"assignee": rita.pk})
    assert response.status_code == 302
    assert _lead("QUEUE-1").officer is None


# -- the operator page (item 4c) ---------------------------------------------------------------------------


def test_reg2_the_operator_page_shows_what_tonights_run_would_do_and_writes_nothing(team):
    make.loan("NEW-TONIGHT", maturity_date=TODAY + 60 * DAY)
    before = (Lead.objects.count(), Lead.history.count(), JobRun.objects.count())
    html = _client(team["sam"]).get(reverse("loanregister:leads-radar")).content.decode()
    assert re.search(r'data-step="created">1<', html)
    assert re.search(r'data-step="updated">0<', html) and re.search(r'data-step="closed">0<', html)
    assert "NEW-TONIGHT" in html
    assert (Lead.objects.count(), Lead.history.count(), JobRun.objects.count()) == before


def test_reg2_the_operator_page_is_for_sales_managers_and_admins(team):
    assert _client(team["olga"]).get(reverse("loanregister:leads-radar")).status_code == 403


# -- staff and offices -------------------------------------------------------------------------------------


def test_an_offices_default_officer_works_at_that_office(make_user):
    aarhus, copenhagen = make.office("AAR"), make.office("CPH")
    olga = make_user("olga", "loan_officer")
    StaffProfile.objects.create(user=olga, office=aarhus)
    copenhagen.default_officer = olga
    with pytest.raises(ValidationError, match="works at AAR"):
        copenhagen.full_clean()
    aarhus.default_officer = olga
    aarhus.full_clean()


def test_admin_edits_staff_offices_and_horizons_and_reads_the_contact_log(admin_client, make_user):
    olga = make_user("olga", "loan_officer")
    page = admin_client.get(reverse("admin:auth_user_change", args=[olga.pk])).content.decode()
    assert "staff_profile-TOTAL_FORMS" in page
    assert admin_client.get(reverse("admin:loanregister_radarhorizon_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:loanregister_contactlog_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:loanregister_contactlog_add")).status_code == 403
    assert admin_client.get(reverse("admin:loanregister_lead_changelist")).status_code == 200
