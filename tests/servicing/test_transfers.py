"""Servicing transfer (REG-4): loans move to another servicer in one step, keeping the history, with notices."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from loanregister.models import Loan, Office, ServicerAssignment
from servicing.models import ServicerContact, ServicingTransfer, TransferNotice
from servicing.transfers import parse_loan_numbers, servicing_transfer, transfer_notices_send

from .servrest_support import make_loan, servicer

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 6, 1)


@pytest.fixture
def book():
    own = servicer("OWN", "Own Servicing A/S")
    new = servicer("NEWCO", "Nyt Servicering ApS")
    ServicerContact.objects.create(
        servicer=new, payment_account="DK50 0040 0440 1162 43", phone="+45 70 10 20 30"
    )
    loans = [make_loan(f"T-{i}", language="en" if i % 2 else "da") for i in range(1, 5)]
    for loan in loans:
        ServicerAssignment.objects.create(loan=loan, servicer=own, since=loan.servicer_since)
    return own, new, loans


def test_reg4_transfer_keeps_the_history(book, make_user):
    # given four loans serviced by OWN since 2020
    own, new, loans = book
    user = make_user("servicer", "servicing")
    # when three of them move to NEWCO
    transfer = servicing_transfer(
        to_servicer=new, effective_date=EFFECTIVE, user=user, loan_numbers=["T-1", "T-2", "T-3"]
    )
    # then the old assignment is closed on the effective date and a new one is open
    for loan in loans[:3]:
        closed, current = ServicerAssignment.objects.filter(loan=loan).order_by("since")
        assert (closed.servicer, closed.since, closed.until) == (own, datetime.date(2020, 1, 1), EFFECTIVE)
        assert (current.servicer, current.since, current.until) == (new, EFFECTIVE, None)
        assert current.recorded_by == user
        loan.refresh_from_db()
        assert (loan.servicer, loan.servicer_since) == (new, EFFECTIVE)
        # and the loan's history has a row for the change, made by the user
        latest = loan.history.order_by("-history_date", "-history_id").first()
        assert latest.history_type == "~"
        assert latest.history_user == user
        assert latest.servicer_id == new.pk
        assert latest.prev_record.servicer_id == own.pk
    # and the fourth is untouched
    loans[3].refresh_from_db()
    assert loans[3].servicer == own
    assert ServicerAssignment.objects.get(loan=loans[3]).until is None
    # and the transfer is recorded with one notice per loan
    assert (transfer.from_servicer, transfer.to_servicer, transfer.loan_count) == (own, new, 3)
    assert transfer.created_by == user
    notices = TransferNotice.objects.filter(transfer=transfer)
    assert sorted(n.loan.loan_number for n in notices) == ["T-1", "T-2", "T-3"]


def test_reg4_notice_names_both_servicers_date_and_where_to_pay_in_the_borrowers_language(book):
    # given
    own, new, loans = book
    # when
    transfer = servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-1"])
    # then the English-speaking borrower's letter says who, when and where to pay
    notice = transfer.notices.get()
    assert notice.language == "en"
    assert notice.channel == TransferNotice.Channel.EMAIL
    assert "Own Servicing A/S" in notice.body and "Nyt Servicering ApS" in notice.body
    assert "DK50 0040 0440 1162 43" in notice.body
    assert "T-1" in notice.body
    assert "send your payments to Nyt Servicering ApS" in notice.body
    assert "Dear Borrower T-1," in notice.body
    assert "\x00" not in notice.body + notice.subject
    assert "T-1" in notice.subject
    assert (notice.old_servicer, notice.new_servicer, notice.effective_date) == (own, new, EFFECTIVE)


def test_reg4_borrower_without_email_gets_a_letter(book):
    # given
    own, new, loans = book
    loans[1].borrower.email = ""
    loans[1].borrower.save()
    # when
    transfer = servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-2"])
    # then
    assert transfer.notices.get().channel == TransferNotice.Channel.LETTER


def test_reg4_transfer_by_servicer_and_office_filter(book):
    # given one of OWN's loans in another office
    own, new, loans = book
    office = Office.objects.create(code="AAR", name="Aarhus", kind="branch")
    Loan.objects.filter(pk=loans[0].pk).update(office=office)
    # when every active OWN loan of that office moves
    transfer = servicing_transfer(
        to_servicer=new, effective_date=EFFECTIVE, user=None, from_servicer=own, office=office
    )
    # then only that one moved
    assert transfer.loan_count == 1
    assert list(Loan.objects.filter(servicer=new).values_list("loan_number", flat=True)) == ["T-1"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"loan_numbers": ["T-1", "NOPE-9"]}, "loan_numbers"),
        ({"loan_numbers": ["T-1"], "effective_date": datetime.date(2019, 12, 31)}, "effective_date"),
        ({}, "loan_numbers"),
    ],
)
def test_reg4_a_bad_selection_is_refused_whole_with_its_field(book, kwargs, field):
    # given
    own, new, loans = book
    arguments = {"to_servicer": new, "effective_date": EFFECTIVE, "user": None} | kwargs
    # when / then nothing moves
    with pytest.raises(ValidationError) as caught:
        servicing_transfer(**arguments)
    assert field in caught.value.message_dict
    assert not Loan.objects.filter(servicer=new).exists()
    assert not ServicingTransfer.objects.exists()
    assert ServicerAssignment.objects.filter(until__isnull=False).count() == 0


def test_reg4_loans_already_with_the_new_servicer_are_an_error_when_named(book):
    # given
    own, new, loans = book
    servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-1"])
    # when / then
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        servicing_transfer(
            to_servicer=new,
            effective_date=EFFECTIVE + datetime.timedelta(days=1),
            user=None,
            loan_numbers=["T-1"],
        )
    assert "Already serviced" in " ".join(caught.value.message_dict["loan_numbers"])


def test_reg4_a_loan_without_assignments_gets_its_old_period_recorded(book):
    # given a loan booked before assignments were kept
    own, new, loans = book
    bare = make_loan("T-BARE")
    # when
    servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-BARE"])
    # then its history has no gap
    periods = list(
        ServicerAssignment.objects.filter(loan=bare)
        .order_by("since")
        .values_list("servicer__code", "since", "until")
    )
    assert periods == [("OWN", datetime.date(2020, 1, 1), EFFECTIVE), ("NEWCO", EFFECTIVE, None)]


def test_reg4_emails_sent_once(book):
    # given
    own, new, loans = book
    transfer = servicing_transfer(
        to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-1", "T-2"]
    )
    # when sent twice
    first = transfer_notices_send(transfer=transfer)
    second = transfer_notices_send(transfer=transfer)
    # then each borrower got one e-mail
    assert (first, second) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["t-1@example.dk", "t-2@example.dk"]


def test_reg4_command_moves_a_servicers_loans(book):
    # given
    own, new, loans = book
    # when
    call_command(
        "transfer_servicing", "--to", "NEWCO", "--date", EFFECTIVE.isoformat(), "--from-servicer", "OWN"
    )
    # then
    assert Loan.objects.filter(servicer=new).count() == 4
    assert TransferNotice.objects.count() == 4


def test_reg4_command_reports_field_errors(book):
    with pytest.raises(CommandError, match="loan_numbers"):
        call_command(
            "transfer_servicing", "--to", "NEWCO", "--date", EFFECTIVE.isoformat(), "--loans", "NOPE"
        )


def test_reg4_transfer_page_for_servicing_staff(client, make_user, book):
    # given a servicing user
    own, new, loans = book
    client.force_login(make_user("servicer", "servicing"))
    url = reverse("servicing:transfer-create")
    assert client.get(url).status_code == 200
    # when a bad date is posted the form says which field
    response = client.post(
        url, {"to_servicer": new.pk, "effective_date": "2019-01-01", "loan_numbers": "T-1"}
    )
    assert response.status_code == 400
    assert "effective_date" in response.context["form"].errors
    # when a good one is posted
    response = client.post(
        url, {"to_servicer": new.pk, "effective_date": EFFECTIVE.isoformat(), "loan_numbers": "T-1\nT-2"}
    )
    # then the loans moved and the transfer page shows the notices
    transfer = ServicingTransfer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("servicing:transfer-detail", args=[transfer.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert b"T-2" in page.content
    assert client.get(reverse("servicing:transfer-list")).status_code == 200
    assert client.get(reverse("servicing:transfer-letters", args=[transfer.pk])).status_code == 200


def test_reg4_transfer_page_refused_without_permission(client, make_user, book):
    client.force_login(make_user("officer", "loan_officer"))
    assert client.get(reverse("servicing:transfer-create")).status_code == 403


def test_parse_loan_numbers_accepts_lines_commas_and_repeats():
    assert parse_loan_numbers("A-1\nA-2, A-3;A-1  A-4") == ["A-1", "A-2", "A-3", "A-4"]


def test_reg4_send_button_emails_the_notices(client, make_user, book, django_capture_on_commit_callbacks):
    # given
    own, new, loans = book
    transfer = servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-1"])
    client.force_login(make_user("servicer", "servicing"))
    # when (the task goes through the outbox and is sent after the commit: in-process on the embedded default)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("servicing:transfer-send", args=[transfer.pk]), {"what": "email"})
    # then
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["t-1@example.dk"]]
    assert transfer.notices.get().sent_at is not None


def test_reg4_a_future_transfer_is_scheduled_noticed_now_and_applied_on_its_date(book, make_user):
    # given a transfer effective in a month
    own, new, loans = book
    user = make_user("servicer", "servicing")
    effective = timezone.localdate() + datetime.timedelta(days=30)
    transfer = servicing_transfer(
        to_servicer=new, effective_date=effective, user=user, loan_numbers=["T-1", "T-2"]
    )
    # then the borrowers are told now, but the register still shows the old servicer
    assert transfer.state == ServicingTransfer.State.SCHEDULED
    assert transfer.notices.count() == 2
    assert Loan.objects.get(loan_number="T-1").servicer == own
    assert not ServicerAssignment.objects.filter(servicer=new).exists()
    # and a second transfer of the same loan meanwhile is refused
    with pytest.raises(ValidationError) as caught:
        servicing_transfer(
            to_servicer=servicer("THIRD"), effective_date=effective, user=None, loan_numbers=["T-2"]
        )
    assert "loan_numbers" in caught.value.message_dict
    # when the nightly job runs the day before, nothing happens; on the date (twice), it is applied once
    call_command("run_servicing_transfers", "--date", (effective - datetime.timedelta(days=1)).isoformat())
    assert Loan.objects.get(loan_number="T-1").servicer == own
    call_command("run_servicing_transfers", "--date", effective.isoformat())
    call_command("run_servicing_transfers", "--date", effective.isoformat(), "--force")
    # then
    transfer.refresh_from_db()
    assert transfer.state == ServicingTransfer.State.DONE
    for number in ("T-1", "T-2"):
        loan = Loan.objects.get(loan_number=number)
        assert (loan.servicer, loan.servicer_since) == (new, effective)
        assert loan.history.order_by("-history_id").first().history_user == user
        assert ServicerAssignment.objects.filter(loan=loan).count() == 2
    assert Loan.objects.get(loan_number="T-3").servicer == own


def test_reg4_a_scheduled_transfer_skips_a_loan_that_left_meanwhile(book):
    # given a scheduled transfer, and one of its loans paid off before the date
    own, new, loans = book
    effective = timezone.localdate() + datetime.timedelta(days=10)
    transfer = servicing_transfer(
        to_servicer=new, effective_date=effective, user=None, loan_numbers=["T-1", "T-2"]
    )
    Loan.objects.filter(loan_number="T-2").update(status="paid_off")
    # when
    from servicing.transfers import servicing_transfers_apply

    result = servicing_transfers_apply(business_date=effective)
    # then
    assert result == {"transfers": 1, "loans": 1, "skipped": 1}
    assert Loan.objects.get(loan_number="T-2").servicer == own
    transfer.refresh_from_db()
    assert transfer.selection["skipped"] == 1


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        ("servicing", "transfer_servicing"),
        ("servicing", "add_escrowdisbursement"),
        ("servicing", "add_loandocument"),
        ("collections", "add_collateralrecovery"),
        ("collections", "change_legalcase"),
        ("admin", "change_recourserule"),
        ("admin", "change_retentionrule"),
        ("admin", "delete_loandocument"),
    ],
)
def test_roles_carry_the_escrow_transfer_document_and_recovery_permissions(role, permission):
    from django.contrib.auth.models import Group

    assert (
        Group.objects.get(name=role)
        .permissions.filter(content_type__app_label="servicing", codename=permission)
        .exists()
    )


def test_a_loan_officer_cannot_transfer_or_record_recoveries():
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="loan_officer").permissions.values_list("codename", flat=True))
    assert not codenames & {"transfer_servicing", "add_collateralrecovery", "add_loandocument"}


def test_transfer_form_ties_errors_to_their_inputs(client, make_user, book):
    client.force_login(make_user("servicer", "servicing"))
    response = client.post(reverse("servicing:transfer-create"), {"to_servicer": "", "effective_date": ""})
    html = response.content.decode()
    assert 'aria-describedby="id_effective_date-error"' in html
    assert 'id="id_effective_date-error"' in html
    assert 'aria-invalid="true"' in html


def test_reg4_each_co_borrower_gets_a_notice_too(book):
    # given a loan with a co-borrower who reads English
    from loanregister.models import Borrower

    own, new, loans = book
    partner = Borrower.objects.create(name="Partner", email="", preferred_language="en")
    loans[0].co_borrowers.add(partner)
    # when
    transfer = servicing_transfer(to_servicer=new, effective_date=EFFECTIVE, user=None, loan_numbers=["T-1"])
    # then both are told, each in their own language and channel
    notices = {n.borrower.name: n for n in transfer.notices.select_related("borrower")}
    assert set(notices) == {"Borrower T-1", "Partner"}
    assert (notices["Partner"].language, notices["Partner"].channel) == ("en", "letter")
    assert "Dear Partner," in notices["Partner"].body
    assert transfer.loan_count == 1
