"""CPR and CVR numbers: validated with python-stdnum; a CPR is masked for roles without
`loanregister.view_national_id` (databeskyttelsesloven §11); a CVR identifies a company and is public.
Every change to a loan or a borrower through the admin is kept in its history with the acting user.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from loanregister.models import Borrower, Loan
from loanregister.privacy import mask_national_id, national_id_for, normalize_national_id

from .register_support import borrower, loan

VALID_CPR = "211062-5629"  # python-stdnum's own example
MASKED_CPR = "211062-****"
VALID_CVR = "13585628"


# -- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("211062-5629", "211062-5629"), ("2110625629", "211062-5629"), (" 211062 5629 ", "211062-5629")]
    + [("13585628", "13585628"), ("DK 13585628", "13585628"), ("13 58 56 28", "13585628")],
)
def test_valid_cpr_and_cvr_numbers_are_accepted_in_canonical_form(raw, canonical):
    assert normalize_national_id(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("511062-5629", "CPR"),  # day 51: no such date
        ("211362-5629", "CPR"),  # month 13
        ("211052-5629", "CPR"),  # born in 2052: not yet born
        ("13585627", "CVR"),  # check digit wrong
        ("1358562", "10 digits"),  # neither length
        ("21106256290", "10 digits"),
        ("", "10 digits"),
    ],
)
def test_invalid_cpr_and_cvr_numbers_are_refused(raw, reason):
    with translation.override("en"), pytest.raises(ValidationError, match=reason):
        normalize_national_id(raw)


@pytest.mark.django_db
def test_a_borrower_with_an_invalid_cpr_does_not_validate():
    with pytest.raises(ValidationError) as error:
        Borrower(name="Hansen", national_id="511062-5629").full_clean()
    assert "national_id" in error.value.message_dict


# -- masking ---------------------------------------------------------------------------------------------------


def test_masking_keeps_the_birth_date_and_hides_the_serial():
    assert mask_national_id(VALID_CPR) == MASKED_CPR
    assert mask_national_id(VALID_CVR) == VALID_CVR, "a CVR number is public"
    assert mask_national_id("") == ""


@pytest.mark.django_db
def test_national_id_for_masks_cpr_for_a_role_without_the_permission(make_user):
    # given a loan officer (no view_national_id) and a servicing user (has it)
    officer = make_user("officer", "loan_officer")
    servicer = make_user("servicer", "servicing")
    # then
    assert national_id_for(officer, VALID_CPR) == MASKED_CPR
    assert national_id_for(servicer, VALID_CPR) == VALID_CPR
    assert national_id_for(None, VALID_CPR) == MASKED_CPR
    assert national_id_for(officer, VALID_CVR) == VALID_CVR


@pytest.fixture
def borrowers(db):
    return {
        "person": borrower("Karen Hansen", national_id=VALID_CPR),
        "company": borrower("Hansen Byg ApS", national_id=VALID_CVR),
    }


def _admin_pages(client, person: Borrower) -> dict[str, str]:
    pages = {
        "changelist": "/admin/loanregister/borrower/",
        "change": f"/admin/loanregister/borrower/{person.pk}/change/",
        "history": f"/admin/loanregister/borrower/{person.pk}/history/",
    }
    rendered = {}
    for page, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (page, response.status_code)
        rendered[page] = response.content.decode()
    return rendered


def test_cpr_is_masked_in_admin_for_a_loan_officer(client, make_user, borrowers):
    # given a staff user in the loan officer role
    client.force_login(make_user("officer", "loan_officer", is_staff=True))
    # when they open the borrower changelist, a borrower's page and its history
    pages = _admin_pages(client, borrowers["person"])
    # then the CPR serial digits appear nowhere, the masked form does
    for page, html in pages.items():
        assert "5629" not in html.replace(VALID_CVR, ""), f"full CPR on the {page} page"
    assert MASKED_CPR in pages["changelist"]
    assert pages["change"].count(MASKED_CPR) == 1
    # and the company's CVR number is shown in full
    assert VALID_CVR in pages["changelist"]


def test_a_loan_officer_cannot_find_a_borrower_by_cpr_in_admin(client, make_user, borrowers):
    # given a staff loan officer, who sees CPR numbers masked
    client.force_login(make_user("officer", "loan_officer", is_staff=True))
    # when they search the borrowers for a full CPR number
    html = client.get("/admin/loanregister/borrower/", {"q": VALID_CPR}).content.decode()
    # then the search does not confirm that the person is in the book
    assert "Karen Hansen" not in html
    # while servicing, who may see CPR numbers, finds them
    client.force_login(make_user("servicer", "servicing", is_staff=True))
    assert "Karen Hansen" in client.get("/admin/loanregister/borrower/", {"q": VALID_CPR}).content.decode()


def test_cpr_is_masked_in_a_history_record_for_a_loan_officer(client, make_user, borrowers):
    # given a change recorded in the history of a borrower with a CPR number
    person = borrowers["person"]
    person.email = "karen@example.dk"
    person.save()
    record = person.history.latest()
    client.force_login(make_user("officer", "loan_officer", is_staff=True))
    # when the loan officer opens that history record
    response = client.get(f"/admin/loanregister/borrower/{person.pk}/history/{record.history_id}/")
    # then they are not shown the full CPR either (refused, or masked)
    assert response.status_code in {200, 302, 403}
    assert "5629" not in response.content.decode()


def test_cpr_is_shown_in_full_for_servicing(client, make_user, borrowers):
    # given a staff user in the servicing role
    client.force_login(make_user("servicer", "servicing", is_staff=True))
    # when they open the same pages
    pages = _admin_pages(client, borrowers["person"])
    # then the full number is there
    assert VALID_CPR in pages["changelist"]
    assert VALID_CPR in pages["change"]
    assert MASKED_CPR not in pages["change"]


# -- history of changes made in the admin ----------------------------------------------------------------------


def _change_form_data(response) -> dict:
    """The data a browser would post back from an admin change page, unchanged."""

    def plain(value):
        if value is None:
            return ""
        if isinstance(value, datetime.date | Decimal):
            return str(value)
        return value

    data = {}
    form = response.context["adminform"].form
    for bound in form:
        value = bound.value()
        if value is False:
            continue
        data[bound.html_name] = [plain(v) for v in value] if isinstance(value, list) else plain(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in formset.management_form:
            data[bound.html_name] = plain(bound.value())
        for subform in formset.forms:
            for bound in subform:
                if bound.value() is not False:
                    data[bound.html_name] = plain(bound.value())
    return data


def test_a_loan_changed_in_the_admin_keeps_its_history_with_the_user(client, make_user):
    # given a loan and an admin
    the_loan = loan("L-HIST-1", interest_rate=Decimal("4.000000"))
    admin_user = make_user("admin-user", "admin", is_staff=True)
    client.force_login(admin_user)
    url = f"/admin/loanregister/loan/{the_loan.pk}/change/"
    data = _change_form_data(client.get(url))
    # when they change the rate through the admin
    data["interest_rate"] = "4.250000"
    response = client.post(url, data)
    # then the change is saved, and its history says who changed what
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    the_loan.refresh_from_db()
    assert the_loan.interest_rate == Decimal("4.25")
    latest = the_loan.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    changes = latest.diff_against(latest.prev_record).changes
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("interest_rate", Decimal("4.000000"), Decimal("4.250000"))
    ]
    # and the history is visible in the admin
    history_page = client.get(f"/admin/loanregister/loan/{the_loan.pk}/history/")
    assert history_page.status_code == 200
    assert "admin-user" in history_page.content.decode()


def test_a_borrower_changed_in_the_admin_keeps_its_history_with_the_user(client, make_user):
    # given a borrower and a servicing user (who may change borrowers)
    person = borrower("Karen Hansen", national_id=VALID_CPR, email="old@example.dk")
    servicer = make_user("servicer", "servicing", is_staff=True)
    client.force_login(servicer)
    url = f"/admin/loanregister/borrower/{person.pk}/change/"
    data = _change_form_data(client.get(url))
    # when they change the e-mail and set do-not-contact
    data["email"] = "new@example.dk"
    data["do_not_contact"] = "on"
    response = client.post(url, data)
    # then the history has the change and the user
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = person.history.latest()
    assert latest.history_user == servicer
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(latest.prev_record).changes}
    assert changes == {"email": ("old@example.dk", "new@example.dk"), "do_not_contact": (False, True)}
    assert Loan.history.filter(history_user=servicer).count() == 0
