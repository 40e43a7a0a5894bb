"""The demo book's applications (issue 12 item 7): products with their checklists, and applications in every
state across the demo offices, each walked through the real services, so `make run` shows a living pipeline.

Registered as a demo seeder (common.hooks.add_demo_seeder) in origination's AppConfig.ready(); runs inside
seed_demo's transaction; a second run adds nothing when applications exist. The applicants are people of the demo
book (matched by CPR, so no borrower is written) and a funded demo application is linked to its office's newest
mortgage of the book (the seed booked it: the book's loans, figures and history stay exactly the seed's).
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from loanregister.choices import OfficeKind
from loanregister.models import Loan, Office, StaffProfile
from loanregister.roles import BRANCH_LENDER, LPO_MANAGER, LPO_PROCESSOR, UNDERWRITER

from .funding import application_fund
from .models import Application, ApplicationState, ApplicationTransition, ChecklistItem, Product
from .services import (
    ApplicantData,
    Terms,
    _lock,
    _move,
    application_complete,
    application_create,
    application_decide,
    application_document_add,
    application_document_check,
    application_documents_request,
    application_recommend,
    application_underwriting_check,
    application_withdraw,
)

S = ApplicationState
PDF = b"%PDF-1.4\n% demo document\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# (code, name, loan type, amortization, secured, max LTV, max DTI, min score, min/max term, min/max amount,
#  rate reset years, checklist [(code, name, required)])
PRODUCTS = [
    (
        "MORTGAGE",
        "Realkreditlån",
        "fixed",
        "annuity",
        True,
        Decimal("80"),
        Decimal("4.00"),
        600,
        (60, 360),
        (Decimal("100000"), Decimal("20000000")),
        None,
        [
            ("id", "Legitimation", True),
            ("income", "Lønsedler og årsopgørelse", True),
            ("valuation", "Vurdering af ejendommen", True),
            ("budget", "Budget", False),
        ],
    ),
    (
        "F5",
        "Rentetilpasningslån F5",
        "adjustable",
        "annuity",
        True,
        Decimal("80"),
        Decimal("4.00"),
        620,
        (60, 360),
        (Decimal("100000"), Decimal("20000000")),
        5,
        [
            ("id", "Legitimation", True),
            ("income", "Lønsedler og årsopgørelse", True),
            ("valuation", "Vurdering af ejendommen", True),
        ],
    ),
    (
        "AUTO",
        "Billån",
        "fixed",
        "annuity",
        False,
        None,
        Decimal("3.00"),
        550,
        (12, 84),
        (Decimal("20000"), Decimal("800000")),
        None,
        [("id", "Legitimation", True), ("income", "Lønsedler", True), ("purchase", "Slutseddel", True)],
    ),
    (
        "PERSONAL",
        "Privatlån",
        "fixed",
        "annuity",
        False,
        None,
        Decimal("2.00"),
        650,
        (12, 120),
        (Decimal("10000"), Decimal("300000")),
        None,
        [("id", "Legitimation", True), ("income", "Lønsedler", True)],
    ),
]

FIRST_NAMES = [
    "Anders",
    "Birgitte",
    "Christian",
    "Dorthe",
    "Emil",
    "Freja",
    "Gustav",
    "Hanne",
    "Ida",
    "Jonas",
]
SURNAMES = ["Mikkelsen", "Frederiksen", "Poulsen", "Johansen", "Knudsen", "Thomsen", "Møller", "Lauridsen"]
STREETS = ["Algade", "Nørregade", "Skolevej", "Kirkevej", "Havnegade", "Engvej", "Bakkevej"]
PURPOSES = ["Køb af bolig", "Omlægning af lån", "Køb af bil", "Renovering af køkken", "Køb af sommerhus"]


def _products() -> list[Product]:
    products = []
    for (
        code,
        name,
        loan_type,
        amortization,
        secured,
        ltv,
        dti,
        score,
        terms,
        amounts,
        reset,
        checklist,
    ) in PRODUCTS:
        product, created = Product.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "loan_type": loan_type,
                "amortization": amortization,
                "secured_by_property": secured,
                "max_loan_to_value": ltv,
                "max_debt_to_income": dti,
                "min_credit_score": score,
                "min_term_months": terms[0],
                "max_term_months": terms[1],
                "min_amount": amounts[0],
                "max_amount": amounts[1],
                "rate_reset_years": reset,
            },
        )
        if created:
            for position, (item_code, item_name, required) in enumerate(checklist):
                ChecklistItem.objects.create(
                    product=product, code=item_code, name=item_name, required=required, position=position
                )
        products.append(product)
    return products


def _staff(office: Office, role: str) -> User:
    """The office's demo staff member in `role` (cannot sign in; the demo logins come from create_demo_users)."""
    username = f"{role.replace('_', '-')}.{office.code.lower()}"
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": office.name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, office=office)
    return user


def _cpr(rng: random.Random) -> str:
    """A CPR number valid for python-stdnum (a date of birth and a serial whose modulus-11 check holds)."""
    from stdnum.dk import cpr

    while True:
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 50))
        serial = rng.randint(1000, 3999)
        number = born.strftime("%d%m%y") + str(serial)
        if cpr.is_valid(number):
            return number


def _applicants(
    rng: random.Random, household: bool, known: list[tuple[str, str]] = ()
) -> list[ApplicantData]:
    """One or two applicants: people of the demo book when there are any (matched by CPR, nothing written about
    them), else new people."""
    if len(known) >= 2:
        chosen = rng.sample(known, 2 if household else 1)
        return [
            ApplicantData(
                name=name,
                national_id=cpr,
                yearly_income=Decimal(rng.randrange(380_000, 900_000, 1000)),
                debts=Decimal(rng.randrange(0, 400_000, 1000)),
            )
            for name, cpr in chosen
        ]
    surname = rng.choice(SURNAMES)
    people = []
    for _n in range(2 if household else 1):
        first = rng.choice(FIRST_NAMES)
        people.append(
            ApplicantData(
                name=f"{first} {surname}",
                national_id=_cpr(rng),
                yearly_income=Decimal(rng.randrange(380_000, 900_000, 1000)),
                debts=Decimal(rng.randrange(0, 400_000, 1000)),
                email=f"{first.lower()}.{surname.lower()}@example.dk".replace("ø", "oe"),
                phone=f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                address=f"{rng.choice(STREETS)} {rng.randint(1, 120)}, 7400 Herning",
            )
        )
    return people


def _walk(
    application: Application, target: str, *, staff: dict, rng: random.Random, today: datetime.date
) -> None:
    """Walk an application through the services to `target`."""
    processor, manager, decider = staff["processor"], staff["manager"], staff["decider"]
    order = [S.DOCUMENTS_PENDING, S.COMPLETE, S.UNDERWRITING_CHECKED, S.RECOMMENDED, S.APPROVED, S.FUNDED]
    if target == S.WITHDRAWN:
        application_withdraw(
            application=application, user=processor, reason="Ansøgeren har fundet et andet tilbud."
        )
        return
    if target == S.EXPIRED:
        _move(
            _lock(application), to=S.EXPIRED, user=None, system=True, reason="no activity for 90 days (demo)"
        )
        return
    final = S.RECOMMENDED if target == S.DECLINED else target
    if final == S.RECEIVED:
        return
    application_documents_request(application=application, user=processor)
    items = list(application.product.checklist.all())
    for index, item in enumerate(items):
        if final == S.DOCUMENTS_PENDING and index == len(items) - 1:
            break  # still waiting for the last one
        document = application_document_add(
            application=application,
            item=item,
            upload=SimpleUploadedFile(f"{item.code}.pdf", PDF, content_type="application/pdf"),
            user=processor,
        )
        if final != S.DOCUMENTS_PENDING or index % 2 == 0:
            application_document_check(document=document, user=processor, verified=True)
    for state in order[1:]:
        if order.index(state) > order.index(final):
            break
        if state == S.COMPLETE:
            application_complete(application=application, user=processor)
        elif state == S.UNDERWRITING_CHECKED:
            application_underwriting_check(application=application, user=processor)
        elif state == S.RECOMMENDED:
            approve = target != S.DECLINED
            application_recommend(
                application=application,
                user=manager,
                recommendation="approve" if approve else "decline",
                reasons="Økonomien hænger sammen." if approve else "For høj gældsfaktor.",
            )
        elif state == S.APPROVED:
            application.refresh_from_db()
            application_decide(
                application=application,
                user=decider,
                approve=True,
                reasons="Godkendt efter indstilling.",
                terms=Terms(
                    amount=application.requested_amount,
                    interest_rate=Decimal(rng.choice(["3.5", "4", "4.25", "4.5"])),
                    term_months=application.term_months,
                    bond_price=Decimal(rng.choice(["97.5", "98.25", "99.1", "100"])),
                ),
                on=today,
            )
        elif state == S.FUNDED:
            loan = staff.get("loan")
            if loan is None:
                application_fund(application=application, user=processor, on=today)
            else:
                # The demo book's own loan of this borrower: its figures stay those the seed gave it.
                _move(_lock(application), to=S.FUNDED, user=processor, fields={"loan": loan})
    if target == S.DECLINED:
        application_decide(
            application=application,
            user=decider,
            approve=False,
            reasons="Gældsfaktoren er for høj.",
            on=today,
        )


# How many of the book's newest loans are read to find each office's newest one in a single scan (issue 9,
# target 7: one query per office sorted the whole book seven times, 23 s at a million loans).
NEWEST_PREFIX = 2000


def _newest_mortgage_per_office(seeded, offices: list[Office]) -> dict[int, Loan]:
    """Each office's newest active loan on a property of a person (a CPR number), by (-origination_date, id).

    The book's newest loans in that order, whatever their office, are a prefix of every office's own order: the
    first of an office among them is that office's newest. An office with none among them (a small book, or
    an office with few loans) is looked up on its own, so the answer is the same as one query per office.
    """
    person = r"^[0-9]{6}-[0-9]{4}$"
    candidates = seeded.filter(status="active", property__isnull=False).order_by("-origination_date", "id")
    prefix = list(candidates.values_list("id", flat=True)[:NEWEST_PREFIX])
    loans = Loan.objects.filter(id__in=prefix, borrower__national_id__regex=person).select_related(
        "borrower", "property"
    )
    by_id = {loan.id: loan for loan in loans}
    book: dict[int, Loan] = {}
    for loan_id in prefix:
        loan = by_id.get(loan_id)
        if loan is not None:
            book.setdefault(loan.office_id, loan)
    if (
        len(prefix) == NEWEST_PREFIX
    ):  # the prefix is not the whole book: an office missing from it may have one
        for office in offices:
            if office.pk not in book:
                newest = (
                    candidates.filter(office=office, borrower__national_id__regex=person)
                    .select_related("borrower", "property")
                    .first()
                )
                if newest is not None:
                    book[office.pk] = newest
    return {office.pk: book[office.pk] for office in offices if office.pk in book}


def demo_applications_seed(*, loan_ids, today: datetime.date, seed: int, ledger: bool) -> str:
    """Applications in every state across the demo offices (see the module docstring)."""
    from loanregister.management.commands.create_demo_users import demo_staff_profiles_assign

    demo_staff_profiles_assign()
    if Application.objects.exists():
        return "applications exist already"
    rng = random.Random(seed)
    products = _products()
    offices = list(Office.objects.filter(active=True).order_by("code"))
    home = next((o for o in offices if o.kind == OfficeKind.HOME_OFFICE), None)
    if home is None:
        return "no home office"
    underwriter = _staff(home, UNDERWRITER)
    # The seeded book's people are the applicants (a CPR match links them, and no borrower is written), and
    # its newest mortgage of each office is what a funded demo application booked.
    seeded = (
        Loan.objects.filter(id__gte=loan_ids.start, id__lt=loan_ids.stop)
        if len(loan_ids)
        else Loan.objects.none()
    )
    persons = list(
        seeded.filter(borrower__national_id__regex=r"^[0-9]{6}-[0-9]{4}$")
        .order_by("id")
        .values_list("borrower__name", "borrower__national_id")[:400]
    )
    book = _newest_mortgage_per_office(seeded, offices)
    made = 0
    for office_index, office in enumerate(offices):
        processor = _staff(office, LPO_PROCESSOR if office.kind == OfficeKind.LPO else BRANCH_LENDER)
        manager = _staff(office, LPO_MANAGER) if office.kind == OfficeKind.LPO else processor
        decider = (
            _staff(office, BRANCH_LENDER)
            if office.kind == OfficeKind.BRANCH or office.can_make_loans(today)
            else underwriter
        )
        if office.kind == OfficeKind.HOME_OFFICE:
            processor = manager = decider = underwriter
        staff = {"processor": processor, "manager": manager, "decider": decider}
        for state_index, target in enumerate(S):
            if office.kind != OfficeKind.LPO and (office_index + state_index) % 3:
                continue  # the LPOs have every state; the other offices a few
            loan = book.pop(office.pk, None) if target == S.FUNDED else None
            product = products[0 if loan is not None else (office_index + state_index) % len(products)]
            secured = product.secured_by_property
            if loan is not None:
                amount = min(max(loan.principal, product.min_amount), product.max_amount)
                people = [
                    ApplicantData(
                        name=loan.borrower.name,
                        national_id=loan.borrower.national_id,
                        yearly_income=(amount / 4).quantize(Decimal("1")),
                    )
                ]
            else:
                amount = Decimal(
                    rng.randrange(int(product.min_amount), int(min(product.max_amount, 4_000_000)), 1000)
                )
                people = _applicants(rng, household=secured and rng.random() < 0.5, known=persons)
            valuation = (
                (amount * Decimal(rng.choice(["1.3", "1.5", "2"]))).quantize(Decimal("1"))
                if secured
                else None
            )
            application = application_create(
                user=processor,
                office=office,
                product=product,
                applicants=people,
                requested_amount=amount,
                term_months=product.max_term_months if secured else product.min_term_months * 2,
                purpose=rng.choice(PURPOSES),
                property_id=(
                    loan.property.property_id
                    if loan is not None and loan.property_id
                    else f"BFE9{office_index:02d}{state_index:02d}{rng.randint(100, 999)}"
                )
                if secured
                else "",
                property_address=f"{rng.choice(STREETS)} {rng.randint(1, 99)}" if secured else "",
                property_category="owner_occupied" if secured else "",
                property_valuation=valuation,
                credit_score=rng.randint(560, 820),
            )
            staff["loan"] = loan
            _walk(application, target, staff=staff, rng=rng, today=today)
            # an age in its state, so the pipeline's "longest waiting first" means something
            days = datetime.timedelta(days=rng.randint(0, 40) if target != S.EXPIRED else 95)
            Application.objects.filter(pk=application.pk).update(
                state_entered_at=F("state_entered_at") - days, last_activity_at=F("last_activity_at") - days
            )
            ApplicationTransition.objects.filter(application=application).update(at=F("at") - days)
            made += 1
    return f"{made} applications in every state, {len(products)} products"
