"""Test helpers for origination: offices, a product with its checklist, staff in roles at offices, and an
application walked to a given state through the real services."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from loanregister.models import Office, StaffProfile
from origination import services
from origination.funding import application_fund
from origination.models import Application, ChecklistItem, Product
from origination.services import ApplicantData, Terms

PDF = b"%PDF-1.4\n%test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
CPR_1 = "0101701234"  # python-stdnum accepts it (modulus 11 does not apply after 2007; any is valid here)
CPR_2 = "0202801235"


def offices() -> dict[str, Office]:
    return {
        "HO": Office.objects.get_or_create(
            code="HO", defaults={"name": "Hovedkontor", "kind": "home_office"}
        )[0],
        "BR": Office.objects.get_or_create(code="BR", defaults={"name": "Filial", "kind": "branch"})[0],
        "LPO": Office.objects.get_or_create(code="LPO", defaults={"name": "Låneformidling", "kind": "lpo"})[
            0
        ],
        "LPOB": Office.objects.get_or_create(
            code="LPOB",
            defaults={
                "name": "Låneformidling med filialstatus",
                "kind": "lpo",
                "branch_capacity": True,
                "branch_capacity_granted_on": datetime.date(2026, 3, 1),
            },
        )[0],
    }


def product(**fields) -> Product:
    defaults = dict(
        name="Realkreditlån",
        max_loan_to_value=Decimal("80"),
        max_debt_to_income=Decimal("4"),
        min_credit_score=600,
        min_term_months=60,
        max_term_months=360,
        min_amount=Decimal("100000"),
        max_amount=Decimal("5000000"),
    )
    defaults.update(fields)
    made, created = Product.objects.get_or_create(code=fields.pop("code", "MORTGAGE"), defaults=defaults)
    if created:
        ChecklistItem.objects.create(product=made, code="id", name="ID", required=True, position=1)
        ChecklistItem.objects.create(
            product=made, code="income", name="Proof of income", required=True, position=2
        )
        ChecklistItem.objects.create(product=made, code="budget", name="Budget", required=False, position=3)
    return made


def staff(make_user, username: str, role: str, office: Office, **fields):
    user = make_user(username, role, **fields)
    StaffProfile.objects.create(user=user, office=office)
    return user


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def new_application(user, office: Office, **fields) -> Application:
    data = dict(
        user=user,
        office=office,
        product=product(),
        applicants=[ApplicantData(name="Anna Jensen", national_id=CPR_1, yearly_income=Decimal("600000"))],
        requested_amount=Decimal("1600000"),
        term_months=360,
        purpose="Køb af bolig",
        property_id="BFE-1",
        property_address="Vej 1",
        property_category="owner_occupied",
        property_valuation=Decimal("2000000"),
        credit_score=700,
    )
    data.update(fields)
    return services.application_create(**data)


TERMS = Terms(
    amount=Decimal("1600000"), interest_rate=Decimal("4"), term_months=360, bond_price=Decimal("98.5")
)


def walk(application: Application, to: str, *, processor, manager, decider, on=None) -> Application:
    """Move the application along the main path up to `to` (one of received ... funded)."""
    order = [
        "received",
        "documents_pending",
        "complete",
        "underwriting_checked",
        "recommended",
        "approved",
        "funded",
    ]
    for state in order[order.index(application.state) + 1 : order.index(to) + 1]:
        if state == "documents_pending":
            services.application_documents_request(application=application, user=processor)
        elif state == "complete":
            for item in application.product.checklist.filter(required=True):
                document = services.application_document_add(
                    application=application, item=item, upload=pdf(), user=processor
                )
                services.application_document_check(document=document, user=processor, verified=True)
            services.application_complete(application=application, user=processor)
        elif state == "underwriting_checked":
            services.application_underwriting_check(application=application, user=processor)
        elif state == "recommended":
            services.application_recommend(
                application=application, user=manager, recommendation="approve", reasons="Good figures."
            )
        elif state == "approved":
            services.application_decide(
                application=application,
                user=decider,
                approve=True,
                reasons="As recommended.",
                terms=TERMS,
                on=on,
            )
        elif state == "funded":
            application_fund(application=application, user=processor, on=on)
        application.refresh_from_db()
    return application
