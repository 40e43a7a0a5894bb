"""The application workflow (LPO-2 to LPO-4): every allowed transition with its actor, every other refused, the
limits of the LPO roles in the service, a view and the admin, branch capacity from its grant date, documents."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loanregister.models import Borrower, ContactLog
from origination import services, workflow
from origination.models import Application, ApplicationMessage, ApplicationState, ApplicationTransition
from origination.services import Refused

from . import support

pytestmark = pytest.mark.django_db
S = ApplicationState


def _app(lpo, to="received", office="LPO"):
    application = support.new_application(
        lpo["processor"] if office == "LPO" else lpo["underwriter"], lpo["offices"][office]
    )
    return support.walk(
        application, to, processor=lpo["processor"], manager=lpo["manager"], decider=lpo["underwriter"]
    )


def test_lpo2_every_allowed_transition_along_the_path_is_made_by_its_actor_and_recorded(lpo):
    # given an application taken in at the LPO by its processor
    application = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    assert application.state == S.RECEIVED and application.number.startswith("A")
    # when each role makes its step
    support.walk(
        application, "funded", processor=lpo["processor"], manager=lpo["manager"], decider=lpo["underwriter"]
    )
    # then each move is recorded with who made it
    records = list(ApplicationTransition.objects.filter(application=application).order_by("at", "id"))
    assert [(r.from_state, r.to_state, r.by.username) for r in records] == [
        ("", "received", "processor"),
        ("received", "documents_pending", "processor"),
        ("documents_pending", "complete", "processor"),
        ("complete", "underwriting_checked", "processor"),
        ("underwriting_checked", "recommended", "manager"),
        ("recommended", "approved", "underwriter"),
        ("approved", "funded", "processor"),
    ]
    assert records[4].reason == "Good figures." and records[5].reason == "As recommended."


def test_lpo2_declined_and_withdrawn_and_expired_each_by_its_actor(lpo):
    declined = _app(lpo, "recommended")
    services.application_decide(
        application=declined, user=lpo["underwriter"], approve=False, reasons="Too much debt."
    )
    assert Application.objects.get(pk=declined.pk).state == S.DECLINED
    for state in [
        "received",
        "documents_pending",
        "complete",
        "underwriting_checked",
        "recommended",
        "approved",
    ]:
        application = _app(lpo, state)
        with pytest.raises(Refused):
            services.application_withdraw(application=application, user=lpo["processor"], reason="  ")
        services.application_withdraw(
            application=application, user=lpo["processor"], reason="Found another bank."
        )
        assert Application.objects.get(pk=application.pk).state == S.WITHDRAWN
    # expiry is the nightly job's: nobody can expire by hand
    assert "nightly" in workflow.transition_refusal("received", "expired", user=lpo["underwriter"])
    assert workflow.transition_refusal("received", "expired", system=True) is None


@pytest.mark.parametrize(
    "from_state,to_state",
    [
        (a.value, b.value)
        for a in ApplicationState
        for b in ApplicationState
        if (a.value, b.value) not in workflow.TRANSITIONS
    ],
)
def test_lpo2_every_other_transition_is_refused_with_a_message(from_state, to_state, make_user):
    # given a user with every origination permission
    user = make_user("all", is_superuser=True)
    # then a move the workflow does not have is refused, for a person and for the system
    assert workflow.transition_refusal(from_state, to_state, user=user)
    assert workflow.transition_refusal(from_state, to_state, system=True)


def test_lpo2_a_step_out_of_order_is_refused_by_the_service(lpo):
    application = _app(lpo, "received")
    with pytest.raises(Refused, match="cannot go from"):
        services.application_complete(application=application, user=lpo["processor"])
    with pytest.raises(Refused):
        services.application_underwriting_check(application=application, user=lpo["processor"])
    funded = _app(lpo, "funded")
    with pytest.raises(Refused, match="cannot move any more"):
        services.application_withdraw(application=funded, user=lpo["processor"], reason="late")
    assert Application.objects.get(pk=application.pk).state == S.RECEIVED


def test_lpo2_only_the_senior_processor_recommends(lpo):
    application = _app(lpo, "underwriting_checked")
    with pytest.raises(Refused, match="senior processor"):
        services.application_recommend(
            application=application, user=lpo["processor"], recommendation="approve", reasons="ok"
        )
    services.application_recommend(
        application=application, user=lpo["manager"], recommendation="decline", reasons="DTI"
    )
    application.refresh_from_db()
    assert application.state == S.RECOMMENDED and application.recommendation == "decline"


@pytest.mark.parametrize("role", ["processor", "manager"])
def test_lpo3_lpo_roles_cannot_decide_or_set_terms_in_the_service(lpo, role):
    application = _app(lpo, "recommended")
    for approve in (True, False):
        with pytest.raises(Refused, match="LPO-3"):
            services.application_decide(
                application=application, user=lpo[role], approve=approve, reasons="x", terms=support.TERMS
            )
    approved = _app(lpo, "approved")
    with pytest.raises(Refused, match="LPO-3"):
        services.application_terms_set(application=approved, user=lpo[role], terms=support.TERMS)
    assert Application.objects.get(pk=application.pk).state == S.RECOMMENDED
    assert Application.objects.get(pk=approved.pk).interest_rate == Decimal("4")


@pytest.mark.parametrize("role", ["processor", "manager"])
def test_lpo3_lpo_roles_cannot_decide_or_set_terms_in_a_view(lpo, role, client):
    application = _app(lpo, "recommended")
    client.force_login(lpo[role])
    response = client.post(
        reverse("origination:decide", args=[application.number]),
        {
            "decision": "approve",
            "reasons": "x",
            "amount": "1600000",
            "interest_rate": "1",
            "term_months": "360",
            "bond_price": "100",
        },
        follow=True,
    )
    assert "LPO-3" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == S.RECOMMENDED
    # the page offers them no decision either
    page = client.get(reverse("origination:application", args=[application.number])).content.decode()
    assert reverse("origination:decide", args=[application.number]) not in page
    approved = _app(lpo, "approved")
    client.post(
        reverse("origination:terms", args=[approved.number]),
        {"amount": "1600000", "interest_rate": "0.5", "term_months": "360", "bond_price": "100"},
    )
    assert Application.objects.get(pk=approved.pk).interest_rate == Decimal("4")


@pytest.mark.parametrize("role", ["processor", "manager"])
def test_lpo3_lpo_roles_cannot_decide_or_set_terms_in_the_admin(lpo, role, client):
    application = _app(lpo, "recommended")
    user = lpo[role]
    user.is_staff = True
    user.save()
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(user)
    changelist = reverse("admin:origination_application_changelist")
    response = client.post(
        changelist, {"action": "decline_selected", "_selected_action": [application.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "LPO-3" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == S.RECOMMENDED
    # and the change form edits nothing: the state and the terms are read-only there
    change = reverse("admin:origination_application_change", args=[application.pk])
    response = client.post(change, {"state": "approved", "interest_rate": "0.1"})
    assert response.status_code == 403
    assert Application.objects.get(pk=application.pk).state == S.RECOMMENDED


def test_lpo3_the_admins_decline_works_for_a_decider(lpo, client):
    application = _app(lpo, "recommended")
    user = lpo["underwriter"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    client.post(
        reverse("admin:origination_application_changelist"),
        {"action": "decline_selected", "_selected_action": [application.pk]},
    )
    assert Application.objects.get(pk=application.pk).state == S.DECLINED


def test_lpo4_an_lpo_with_branch_capacity_decides_from_its_grant_date_and_not_the_day_before(lpo, make_user):
    # given a branch lender at an LPO granted branch capacity on 1 March 2026, and an application of that LPO
    office = lpo["offices"]["LPOB"]
    lender = support.staff(make_user, "lpob-lender", "branch_lender", office)
    application = support.new_application(lender, office)
    support.walk(application, "recommended", processor=lender, manager=lender, decider=None)
    # then on the day before the grant it is refused, on the grant date it decides
    with pytest.raises(Refused, match="LPO-4"):
        services.application_decide(
            application=application,
            user=lender,
            approve=True,
            reasons="ok",
            terms=support.TERMS,
            on=datetime.date(2026, 2, 28),
        )
    services.application_decide(
        application=application,
        user=lender,
        approve=True,
        reasons="ok",
        terms=support.TERMS,
        on=datetime.date(2026, 3, 1),
    )
    assert Application.objects.get(pk=application.pk).state == S.APPROVED


def test_lpo4_office_can_make_loans_reads_the_date(lpo):
    offices = lpo["offices"]
    assert offices["HO"].can_make_loans(datetime.date(2000, 1, 1))
    assert offices["BR"].can_make_loans(datetime.date(2000, 1, 1))
    assert not offices["LPO"].can_make_loans(datetime.date(2030, 1, 1))
    assert not offices["LPOB"].can_make_loans(datetime.date(2026, 2, 28))
    assert offices["LPOB"].can_make_loans(datetime.date(2026, 3, 1))


def test_lpo3_a_branch_decides_its_own_applications_not_another_offices(lpo):
    application = _app(lpo, "recommended")  # the LPO's
    with pytest.raises(Refused, match="home office"):
        services.application_decide(application=application, user=lpo["lender"], approve=False, reasons="no")


def test_lpo2_incomplete_documents_block_completion(lpo):
    # given an application waiting for documents with only the ID verified and the income proof rejected
    application = _app(lpo, "documents_pending")
    product = application.product
    id_doc = services.application_document_add(
        application=application,
        item=product.checklist.get(code="id"),
        upload=support.pdf(),
        user=lpo["processor"],
    )
    services.application_document_check(document=id_doc, user=lpo["processor"], verified=True)
    income = services.application_document_add(
        application=application,
        item=product.checklist.get(code="income"),
        upload=support.pdf(),
        user=lpo["processor"],
    )
    services.application_document_check(
        document=income, user=lpo["processor"], verified=False, note="unreadable"
    )
    # then completion is refused naming what is missing (the optional budget is not needed)
    with pytest.raises(Refused, match="Proof of income") as refusal:
        services.application_complete(application=application, user=lpo["processor"])
    assert "Budget" not in refusal.value.message
    # when the income proof is verified, it completes
    again = services.application_document_add(
        application=application,
        item=product.checklist.get(code="income"),
        upload=support.pdf(),
        user=lpo["processor"],
    )
    services.application_document_check(document=again, user=lpo["processor"], verified=True)
    services.application_complete(application=application, user=lpo["processor"])
    assert Application.objects.get(pk=application.pk).state == S.COMPLETE


@pytest.mark.parametrize(
    "name,content,size_limit,message",
    [
        ("a.pdf", b"", None, "empty"),
        ("a.pdf", b"MZ\x90\x00 an executable", None, "PDF, JPEG and PNG"),
        ("a.exe", support.PDF, 10, "at most 10 bytes"),
    ],
)
def test_lpo2_documents_are_checked_for_size_and_type(lpo, settings, name, content, size_limit, message):
    if size_limit:
        settings.ORIGINATION_DOCUMENT_MAX_BYTES = size_limit
    application = _app(lpo, "documents_pending")
    with pytest.raises(Refused, match=message):
        services.application_document_add(
            application=application,
            item=application.product.checklist.first(),
            upload=SimpleUploadedFile(name, content),
            user=lpo["processor"],
        )
    assert not application.documents.exists()


def test_lpo2_documents_are_stored_outside_the_web_root_and_served_only_to_those_allowed(
    lpo, client, settings, make_user
):
    application = _app(lpo, "documents_pending")
    document = services.application_document_add(
        application=application,
        item=application.product.checklist.first(),
        upload=support.pdf(),
        user=lpo["processor"],
    )
    path = document.file.path
    assert str(settings.ORIGINATION_DOCUMENT_ROOT) in path and str(settings.MEDIA_ROOT) not in path
    assert document.file.storage.base_url is None
    url = reverse("origination:document-download", args=[application.number, document.pk])
    client.force_login(lpo["processor"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == support.PDF
    # a branch lender at another office, and a loan officer, get nothing
    client.force_login(lpo["lender"])
    assert client.get(url).status_code == 404
    client.force_login(make_user("officer", "loan_officer"))
    assert client.get(url).status_code == 403


def test_lpo1_an_applicant_is_matched_to_the_borrower_with_the_same_cpr(lpo):
    existing = Borrower.objects.create(name="Anna Jensen", national_id="010170-1234", email="anna@example.dk")
    application = support.new_application(
        lpo["processor"],
        lpo["offices"]["LPO"],
        applicants=[
            services.ApplicantData(
                name="Anna J.", national_id="0101701234", yearly_income=Decimal("1"), phone="+4520202020"
            ),
            services.ApplicantData(name="Bo Jensen", national_id=support.CPR_2, yearly_income=Decimal("2")),
        ],
    )
    first, second = application.applicants.order_by("position")
    assert first.borrower_id == existing.pk
    existing.refresh_from_db()
    assert (
        existing.name == "Anna Jensen" and existing.phone == "+4520202020"
    )  # blanks filled, nothing overwritten
    assert second.borrower.national_id == "020280-1235"
    with pytest.raises(Refused, match="CPR"):
        support.new_application(
            lpo["processor"],
            lpo["offices"]["LPO"],
            applicants=[
                services.ApplicantData(name="X", national_id="3213701234", yearly_income=Decimal("1"))
            ],
        )


def test_lpo1_staff_take_in_applications_at_their_own_office_only(lpo):
    with pytest.raises(Refused, match="own office"):
        support.new_application(lpo["processor"], lpo["offices"]["BR"])
    # the home office takes in anywhere
    assert support.new_application(lpo["underwriter"], lpo["offices"]["BR"]).office.code == "BR"


def test_messages_with_the_applicant_go_to_the_one_contact_log(lpo):
    application = _app(lpo, "received")
    applicant = application.applicants.get()
    message = services.application_message_add(
        application=application,
        applicant=applicant,
        user=lpo["processor"],
        channel="phone",
        direction="out",
        note="Asked for the payslips.",
    )
    contact = ContactLog.objects.get()
    assert message.contact == contact and contact.borrower == applicant.borrower
    assert contact.purpose == "servicing" and contact.user == lpo["processor"]
    assert ApplicationMessage.objects.filter(application=application).count() == 1
    with pytest.raises(Refused):
        services.application_message_add(
            application=application,
            applicant=applicant,
            user=lpo["lender"],
            channel="phone",
            direction="out",
            note="x",
        )


def test_pipeline_shows_the_own_office_and_the_home_office_everything(lpo, client):
    lpo_app = _app(lpo, "recommended")
    branch_app = support.new_application(lpo["lender"], lpo["offices"]["BR"])
    client.force_login(lpo["manager"])
    page = client.get(reverse("origination:pipeline")).content.decode()
    assert lpo_app.number in page and branch_app.number not in page
    client.force_login(lpo["underwriter"])
    response = client.get(reverse("origination:pipeline"))
    page = response.content.decode()
    assert lpo_app.number in page and branch_app.number in page
    assert response.context["inbox"] == [lpo_app]
    # another office's application is not found for the manager
    client.force_login(lpo["manager"])
    assert client.get(reverse("origination:application", args=[branch_app.number])).status_code == 404


@pytest.mark.parametrize(
    "query", ["state=nonsense", "office=%00", "office=" + "x" * 300, "state=funded&office=LPO"]
)
def test_the_pipeline_answers_any_filter_value_with_a_page(lpo, client, query):
    client.force_login(lpo["underwriter"])
    assert client.get(reverse("origination:pipeline") + "?" + query).status_code == 200
