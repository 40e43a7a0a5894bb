"""The nightly lead digest (REG-2, issue 10 item 2): each officer gets one e-mail a night of their new leads, in
their language; a second run that night sends nothing twice."""

import datetime

import pytest
from django.conf import settings
from django.core import mail

from loanregister.leads.digest import lead_digests_run
from loanregister.leads.radar import maturity_radar_apply
from loanregister.leads.work import lead_reassign, lead_status_set
from loanregister.models import LeadDigest, UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def officers(make_user):
    anne = make_user("anne", "loan_officer", email="anne@bank.example", first_name="Anne", last_name="Berg")
    UserPreference.objects.create(user=anne, language="en")
    bo = make_user("bo", "loan_officer", email="bo@bank.example", first_name="Bo")
    UserPreference.objects.create(user=bo, language="da")
    return {"anne": anne, "bo": bo}


def _mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_reg2_each_officer_gets_one_digest_of_their_new_leads_in_their_language(officers):
    # given two officers with new leads (Anne reads English, Bo Danish) and one lead in the unassigned queue
    make.loan(
        "ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY, borrower=make.borrower("Holm ApS")
    )
    make.loan(
        "ANNE-2",
        officer=officers["anne"],
        loan_type="adjustable",
        rate_reset_date=D + 5 * DAY,
        borrower=make.borrower("Jensen"),
    )
    make.loan("BO-1", officer=officers["bo"], maturity_date=D + 20 * DAY)
    make.loan("NOBODY-1", maturity_date=D + 20 * DAY)
    maturity_radar_apply(business_date=D)
    # when the digests go out
    run = lead_digests_run(business_date=D)
    # then each officer got one e-mail listing their leads, by event date, and nobody else got one
    assert run.result == {"made": 2, "sent": 2, "failed": 0, "empty": 0}
    assert sorted(message.to[0] for message in mail.outbox) == ["anne@bank.example", "bo@bank.example"]
    (anne,) = _mails_to("anne@bank.example")
    assert "Dear Anne Berg," in anne.body
    lines = [line for line in anne.body.splitlines() if line.startswith("- ")]
    assert lines == [
        "- ANNE-2: Rate reset 6 March 2027, Jensen",
        "- ANNE-1: Maturity 11 March 2027, Holm ApS",
    ]
    assert "BO-1" not in anne.body and "NOBODY-1" not in anne.body
    assert "1 March 2027" in anne.subject and anne.subject.endswith(": 2")
    assert "Leads waiting for you in status New, these included: 2." in anne.body
    # Bo's is in Danish: Danish event names and dates (the texts follow once the catalogue has them)
    (bo,) = _mails_to("bo@bank.example")
    assert "- BO-1: Udløb 21. marts 2027," in bo.body
    assert "1. marts 2027" in bo.subject


def test_reg2_the_digest_is_sent_once_a_night_and_a_later_lead_waits_for_the_next(officers):
    make.loan("ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    lead_digests_run(business_date=D)
    assert len(mail.outbox) == 1
    # a second run the same night, even forced, sends nothing again
    assert lead_digests_run(business_date=D) is None
    lead_digests_run(business_date=D, force=True)
    assert len(mail.outbox) == 1
    # a lead found later that night (a forced radar) is told the next night, alone
    make.loan("ANNE-2", officer=officers["anne"], maturity_date=D + 11 * DAY)
    maturity_radar_apply(business_date=D)
    lead_digests_run(business_date=D, force=True)
    assert len(mail.outbox) == 1
    lead_digests_run(business_date=D + DAY)
    assert len(mail.outbox) == 2
    assert "ANNE-2" in mail.outbox[1].body and "ANNE-1" not in mail.outbox[1].body
    assert LeadDigest.objects.filter(officer=officers["anne"]).count() == 2


def test_reg2_a_lead_no_longer_new_is_not_in_the_digest(officers):
    make.loan("ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY)
    make.loan("ANNE-2", officer=officers["anne"], maturity_date=D + 12 * DAY)
    maturity_radar_apply(business_date=D)
    lead = officers["anne"].leads.get(loan__loan_number="ANNE-1")
    lead_status_set(lead=lead, status="contacted", user=officers["anne"])
    lead_digests_run(business_date=D)
    assert "ANNE-2" in mail.outbox[0].body and "ANNE-1" not in mail.outbox[0].body


def test_reg2_a_reassigned_lead_is_told_to_its_new_officer(officers, make_user):
    manager = make_user("sam", "sales_manager")
    make.loan("ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    lead_digests_run(business_date=D)
    lead_reassign(lead=officers["anne"].leads.get(), officer=officers["bo"], user=manager)
    lead_digests_run(business_date=D + DAY)
    assert [message.to for message in mail.outbox] == [["anne@bank.example"], ["bo@bank.example"]]
    assert "ANNE-1" in mail.outbox[1].body


def test_reg2_officers_without_an_address_or_who_left_get_no_digest(make_user):
    no_address = make_user("noaddr", "loan_officer")
    left = make_user("left", "loan_officer", email="left@bank.example", is_active=False)
    make.loan("X-1", officer=no_address, maturity_date=D + 10 * DAY)
    default = make_user("def", "loan_officer", email="def@bank.example")
    make.loan(
        "X-2", officer=left, maturity_date=D + 10 * DAY, office=make.office("AAR", default_officer=default)
    )
    maturity_radar_apply(business_date=D)
    run = lead_digests_run(business_date=D)
    # the departed officer's loan went to the office's default officer, who is told; the one without address is not
    assert [message.to for message in mail.outbox] == [["def@bank.example"]]
    assert run.result["made"] == 1


def test_reg2_a_failed_digest_is_tried_again_on_the_next_run(officers, monkeypatch):
    make.loan("ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    monkeypatch.setattr(
        EmailMessage, "send", lambda self, *a, **k: (_ for _ in ()).throw(OSError("mail down"))
    )
    assert lead_digests_run(business_date=D).result["failed"] == 1
    assert LeadDigest.objects.get().state == LeadDigest.State.FAILED
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert lead_digests_run(business_date=D, force=True).result["sent"] == 1
    assert len(mail.outbox) == 1


def test_reg2_the_digest_links_to_my_leads_when_the_site_address_is_set(officers, settings):
    settings.SITE_URL = "https://laan.example.dk/"
    make.loan("ANNE-1", officer=officers["anne"], maturity_date=D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    lead_digests_run(business_date=D)
    assert "Open them under My leads: https://laan.example.dk/register/leads/" in mail.outbox[0].body


def test_reg2_the_digests_run_after_the_radar_in_the_nightly_schedule():
    assert list(settings.NIGHTLY_JOBS).index("lead_digests") > list(settings.NIGHTLY_JOBS).index(
        "maturity_radar"
    )
