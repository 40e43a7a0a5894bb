"""Issue 12, acceptance: one application walked in headless Chromium from intake at a loan production office to a
booked loan in the register, signing in as each role involved (LPO-1 to LPO-5): the LPO processor takes it in and
prepares it, the LPO's senior processor recommends, the home office decides and sets the terms (the LPO roles are
offered no decision), the LPO processor funds it, and the loan is in the register."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from loanregister.models import Loan, Office, StaffProfile, UserPreference
from origination.models import Application, ChecklistItem, Product
from servicing.models import Posting

pytestmark = pytest.mark.django_db(transaction=True)


def _label(text: str) -> re.Pattern:
    """A field by its label's start: "Applicant: name" and not "Co-applicant: name" (a required one ends in *)."""
    return re.compile("^" + re.escape(text))


PDF = b"%PDF-1.4\n%walk\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def lpo_staff(transactional_db, make_user, settings, tmp_path):
    settings.ORIGINATION_DOCUMENT_ROOT = tmp_path / "private-applications"
    lpo = Office.objects.create(code="LPO-HER", name="Låneformidling Herning", kind="lpo")
    home = Office.objects.create(code="HO", name="Hovedkontor", kind="home_office")
    product = Product.objects.create(
        code="MORTGAGE",
        name="Mortgage",
        max_loan_to_value=Decimal("80"),
        max_debt_to_income=Decimal("4"),
        min_credit_score=600,
        min_term_months=60,
        max_term_months=360,
        min_amount=Decimal("100000"),
        max_amount=Decimal("5000000"),
    )
    ChecklistItem.objects.create(product=product, code="id", name="ID", required=True, position=1)
    ChecklistItem.objects.create(
        product=product, code="income", name="Proof of income", required=True, position=2
    )
    users = {}
    for username, role, office in [
        ("pia", "lpo_processor", lpo),
        ("per", "lpo_manager", lpo),
        ("uma", "home_office_underwriter", home),
    ]:
        users[username] = make_user(username, role, first_name=username.title())
        StaffProfile.objects.create(user=users[username], office=office)
        UserPreference.objects.create(user=users[username], language="en")
    return users


def _sign_out(page: Page) -> None:
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url("**/accounts/login/**")


def _state(page: Page, text: str) -> None:
    expect(page.locator("#application-state")).to_have_text(text)


def test_lpo_an_application_from_intake_at_an_lpo_to_a_booked_loan(
    page: Page, live_server, lpo_staff, sign_in, tmp_path
):
    document = tmp_path / "payslip.pdf"
    document.write_bytes(PDF)
    # the LPO processor takes in the application
    sign_in(page, "pia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="Take in an application").click()
    form = page.locator("form[action$='/applications/new/']")
    form.get_by_label(_label("Product")).select_option("MORTGAGE")
    form.get_by_label(_label("Applicant: name")).fill("Anna Jensen")
    form.get_by_label(_label("Applicant: CPR number")).fill("010170-1234")
    form.get_by_label(_label("Applicant: yearly income")).fill("600,000")
    form.get_by_label(_label("Applicant: e-mail")).fill("anna@example.dk")
    form.get_by_label(_label("Requested amount")).fill("1,600,000")
    form.get_by_label(_label("Term (months)")).fill("360")
    form.get_by_label(_label("Property id (BFE)")).fill("BFE-4242")
    form.get_by_label(_label("Property address")).fill("Bredgade 1, 7400 Herning")
    form.get_by_label(_label("Property category")).select_option("owner_occupied")
    form.get_by_label(_label("Property valuation")).fill("2,000,000")
    form.get_by_label(_label("Credit score")).fill("720")
    form.get_by_role("button", name="Receive the application").click()
    _state(page, "Received")
    number = Application.objects.get().number
    # prepares it: asks for the documents, uploads and verifies them, completes it, checks it (LPO-2)
    page.get_by_role("button", name="Ask for the documents").click()
    _state(page, "Documents pending")
    upload = page.locator("form[action$='/documents/']")
    for item in ("ID", "Proof of income"):
        upload.get_by_label(_label("Checklist item")).select_option(label=item)
        upload.get_by_label(_label("File")).set_input_files(str(document))
        upload.get_by_role("button", name="Upload").click()
        expect(page.locator(".messages")).to_contain_text("Document stored.")
    for _document in range(2):
        page.locator("#documents").get_by_role("button", name="Save the check").first.click()
        expect(page.locator(".messages")).to_contain_text("Document checked.")
    page.get_by_role("button", name="Mark complete").click()
    _state(page, "Complete")
    page.get_by_role("button", name="Check against the underwriting standards").click()
    _state(page, "Underwriting checked")
    expect(page.locator("#underwriting")).to_contain_text("Loan-to-value")
    expect(page.locator("#underwriting")).to_contain_text("80.00")
    # and is offered no recommendation and no decision
    expect(page.get_by_role("button", name="Recommend")).to_have_count(0)
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    _sign_out(page)

    # the LPO's senior processor recommends approval
    sign_in(page, "per")
    page.goto(f"{live_server.url}/applications/{number}/")
    form = page.locator("form[action$='/recommend/']")
    form.get_by_label(_label("Recommendation")).select_option("approve")
    form.get_by_label(_label("Reasons")).fill("Stable income, LTV at the limit.")
    form.get_by_role("button", name="Recommend").click()
    _state(page, "Recommended")
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    _sign_out(page)

    # the home office finds it among the decisions waiting, approves it and sets the terms (LPO-3)
    sign_in(page, "uma")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    page.locator("#inbox").get_by_role("link", name=number).click()
    form = page.locator("form[action$='/decide/']")
    form.get_by_label(_label("Decision")).select_option("approve")
    form.get_by_label(_label("Reasons")).fill("As recommended.")
    form.get_by_label(_label("Approved amount")).fill("1,600,000")
    form.get_by_label(_label("Annual interest rate (%)")).fill("4.25")
    form.get_by_label(_label("Term (months)")).fill("360")
    form.get_by_label(_label("Bond price (kurs)")).fill("98.5")
    form.get_by_role("button", name="Record the decision").click()
    _state(page, "Approved")
    _sign_out(page)

    # the LPO delivers the funds (LPO-5): the loan is booked
    sign_in(page, "pia")
    page.goto(f"{live_server.url}/applications/{number}/")
    expect(page.locator("#decision")).to_contain_text("98.5")
    page.get_by_role("button", name="Fund and book the loan").click()
    _state(page, "Funded")
    loan = Loan.objects.get()
    expect(page.locator("#funded-loan")).to_contain_text(loan.loan_number)
    assert Posting.objects.get(loan=loan).price == Decimal("98.5")
    _sign_out(page)

    # and the loan is in the register, serviced by us, for the home office to open
    sign_in(page, "uma")
    page.goto(f"{live_server.url}/applications/{number}/")
    page.locator("#funded-loan").get_by_role("link", name=loan.loan_number).click()
    expect(page.locator("h1")).to_contain_text(loan.loan_number)
    assert loan.maturity_date.year == datetime.date.today().year + 30
