"""Every write of origination (LPO-1 to LPO-5), each checking the workflow, the permission and the office rules.

The pages, the admin and the commands call these functions, so a refusal holds on every path. A refusal raises
`Refused` with a message for the person; nothing is written then. Funding and booking are in `funding.py`.
"""

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.users import system_user
from loanregister.choices import ContactOutcome, ContactPurpose
from loanregister.contacts import contact_log_add
from loanregister.models import Borrower, Office
from loanregister.privacy import normalize_national_id

from . import workflow
from .access import decision_refusal, office_refusal
from .models import (
    Applicant,
    Application,
    ApplicationDocument,
    ApplicationMessage,
    ApplicationState,
    ApplicationTransition,
    ChecklistItem,
    Product,
)
from .underwriting import underwriting_checks

S = ApplicationState
APPLICATION_NUMBER_SEQUENCE = "origination_application_number"
# A message with the applicant is a contact of the one contact log. Its purpose is `servicing`: the log's purposes
# are marketing (counted by the contact governor), servicing and collections, and talking with an applicant about
# their application is customer service, never marketing (docs/origination.md, "Messages").
MESSAGE_PURPOSE = ContactPurpose.SERVICING

# What an uploaded document may be: its first bytes, not its name, say so.
DOCUMENT_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


class Refused(Exception):
    """An action refused, with the reason for the person (the workflow, a permission, an office rule, the input)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ApplicantData:
    name: str
    national_id: str
    yearly_income: Decimal
    debts: Decimal = Decimal("0")
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass
class Terms:
    amount: Decimal
    interest_rate: Decimal
    term_months: int
    bond_price: Decimal = Decimal("100")


# ---------------------------------------------------------------- helpers


def _now() -> datetime.datetime:
    return timezone.now()


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("office", "product")
        .get(pk=application.pk)
    )


def _touch(application: Application, *, now: datetime.datetime | None = None) -> None:
    Application.objects.filter(pk=application.pk).update(last_activity_at=now or _now())


def _move(
    application: Application,
    *,
    to: str,
    user,
    reason: str = "",
    system: bool = False,
    fields: dict | None = None,
) -> Application:
    """Move a locked application to `to`, with its record (who, when, why); refused unless the workflow, the
    permission and the office allow it."""
    refusal = workflow.transition_refusal(application.state, to, user=user, system=system)
    if refusal is None and not system:
        refusal = office_refusal(user, application)
    if refusal is not None:
        raise Refused(refusal)
    if (application.state, to) in workflow.REASON_REQUIRED and not reason.strip():
        raise Refused(_("Give the reason."))
    now = _now()
    from_state = application.state
    application.state = to
    application.state_entered_at = now
    application.last_activity_at = now
    for name, value in (fields or {}).items():
        setattr(application, name, value)
    actor = system_user() if system else user
    application._history_user = actor
    application.save()
    ApplicationTransition.objects.create(
        application=application, from_state=from_state, to_state=to, at=now, by=actor, reason=reason.strip()
    )
    return application


def _next_in_sequence(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [name])
        return cursor.fetchone()[0]


# ---------------------------------------------------------------- intake (LPO-1)


def borrower_for_applicant(data: ApplicantData) -> Borrower:
    """The borrower an applicant is: the one with the same CPR number when there is one (so households, campaigns
    and the contact log see one person), else a new borrower. An existing borrower's blank contact details are
    filled in; nothing they have is overwritten."""
    try:
        national_id = normalize_national_id(data.national_id)
    except ValidationError as exc:
        raise Refused(
            _("%(name)s: %(error)s") % {"name": data.name, "error": " ".join(exc.messages)}
        ) from exc
    borrower = Borrower.objects.filter(national_id=national_id).order_by("id").first()
    if borrower is None:
        borrower = Borrower(
            name=data.name.strip(),
            national_id=national_id,
            email=data.email,
            phone=data.phone,
            address=data.address,
        )
        borrower.full_clean()
        borrower.save()
        return borrower
    changed = []
    for field in ("email", "phone", "address"):
        if getattr(data, field) and not getattr(borrower, field):
            setattr(borrower, field, getattr(data, field))
            changed.append(field)
    if changed:
        borrower.save(update_fields=[*changed, "updated_at"])
    return borrower


@transaction.atomic
def application_create(
    *,
    user,
    office: Office,
    product: Product,
    applicants: list[ApplicantData],
    requested_amount: Decimal,
    term_months: int,
    purpose: str = "",
    property_id: str = "",
    property_address: str = "",
    property_category: str = "",
    property_valuation: Decimal | None = None,
    credit_score: int | None = None,
) -> Application:
    """Take in an application at `office` (LPO-1): state `received`, its applicants matched to borrowers by CPR."""
    if user is None or not user.has_perm(workflow.TAKE):
        raise Refused(_("Your role may not take in applications."))
    from .access import sees_every_office, staff_office

    own = staff_office(user)
    if not sees_every_office(user, own) and (own is None or own.pk != office.pk):
        raise Refused(_("You take in applications at your own office only."))
    if not office.active:
        raise Refused(_("%(office)s is closed.") % {"office": office.code})
    if not product.active:
        raise Refused(_("The product %(product)s is no longer offered.") % {"product": product.code})
    if not 1 <= len(applicants) <= 2:
        raise Refused(_("An application has one or two applicants."))
    if requested_amount is None or requested_amount <= 0:
        raise Refused(_("The requested amount must be more than zero."))
    if not term_months or term_months <= 0:
        raise Refused(_("The term must be at least one month."))
    if product.secured_by_property and not (property_id.strip() and property_category):
        raise Refused(
            _("A %(product)s needs the property: its BFE number and category.") % {"product": product.name}
        )
    borrowers = [borrower_for_applicant(data) for data in applicants]
    if len({b.pk for b in borrowers}) != len(borrowers):
        raise Refused(_("The two applicants are the same person (the same CPR number)."))
    now = _now()
    application = Application(
        number=f"A{_next_in_sequence(APPLICATION_NUMBER_SEQUENCE):06d}",
        office=office,
        product=product,
        state=S.RECEIVED,
        state_entered_at=now,
        last_activity_at=now,
        requested_amount=requested_amount,
        currency=product.currency,
        term_months=term_months,
        purpose=purpose.strip(),
        property_id=property_id.strip(),
        property_address=property_address.strip(),
        property_category=property_category,
        property_valuation=property_valuation,
        credit_score=credit_score,
        created_by=user,
    )
    application._history_user = user
    application.full_clean()
    application.save()
    for position, (borrower, data) in enumerate(zip(borrowers, applicants, strict=True), start=1):
        Applicant.objects.create(
            application=application,
            borrower=borrower,
            position=position,
            yearly_income=data.yearly_income,
            debts=data.debts,
        )
    ApplicationTransition.objects.create(
        application=application, from_state="", to_state=S.RECEIVED, at=now, by=user, reason=""
    )
    return application


# ---------------------------------------------------------------- documents (LPO-2)


def _sniff(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in DOCUMENT_TYPES.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def document_refusal(upload: UploadedFile) -> str | None:
    """Why an uploaded file is not taken (size, type), or None."""
    limit = settings.ORIGINATION_DOCUMENT_MAX_BYTES
    if not upload.size:
        return _("The file is empty.")
    if upload.size > limit:
        return _("The file is %(size)s bytes; at most %(limit)s bytes are taken.") % {
            "size": upload.size,
            "limit": limit,
        }
    if _sniff(upload) is None:
        return _("Only PDF, JPEG and PNG files are taken (the file's content is none of them).")
    return None


def _editable_documents(application: Application, user) -> None:
    if not user.has_perm(workflow.TAKE):
        raise Refused(_("Your role may not work on applications' documents."))
    refusal = office_refusal(user, application)
    if refusal:
        raise Refused(refusal)
    if application.state not in (S.RECEIVED, S.DOCUMENTS_PENDING):
        raise Refused(
            _(
                "Documents are handled while the application is received or waits for documents; it is %(state)s."
            )
            % {"state": workflow.state_label(application.state)}
        )


@transaction.atomic
def application_document_add(
    *, application: Application, item: ChecklistItem, upload: UploadedFile, user
) -> ApplicationDocument:
    """Store a document against a checklist item (size and type checked), outside the web root."""
    application = _lock(application)
    _editable_documents(application, user)
    if item.product_id != application.product_id:
        raise Refused(_("That checklist item belongs to another product."))
    refusal = document_refusal(upload)
    if refusal:
        raise Refused(refusal)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = ApplicationDocument(
        application=application,
        item=item,
        original_name=(upload.name or "document")[:255],
        size=upload.size,
        content_type=_sniff(upload) or "",
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    document.file.save(f"{application.number}-{item.code}", upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    _touch(application)
    return document


@transaction.atomic
def application_document_check(
    *, document: ApplicationDocument, user, verified: bool, note: str = ""
) -> ApplicationDocument:
    """Verify or reject one document (LPO-2: completeness is checked one document at a time)."""
    application = _lock(document.application)
    _editable_documents(application, user)
    if not verified and not note.strip():
        raise Refused(_("Say why the document is rejected."))
    document = ApplicationDocument.objects.select_for_update().get(pk=document.pk)
    document.check_state = (
        ApplicationDocument.Check.VERIFIED if verified else ApplicationDocument.Check.REJECTED
    )
    document.checked_at = _now()
    document.checked_by = user
    document.check_note = note.strip()[:300]
    document.save(update_fields=["check_state", "checked_at", "checked_by", "check_note"])
    _touch(application)
    return document


def missing_documents(application: Application) -> list[ChecklistItem]:
    """The required checklist items without a verified document: completion waits for them."""
    verified = set(
        application.documents.filter(check_state=ApplicationDocument.Check.VERIFIED).values_list(
            "item_id", flat=True
        )
    )
    return [item for item in application.product.checklist.filter(required=True) if item.pk not in verified]


# ---------------------------------------------------------------- the workflow's steps


@transaction.atomic
def application_documents_request(*, application: Application, user, note: str = "") -> Application:
    """received → documents_pending: the applicant is asked for the checklist's documents."""
    return _move(_lock(application), to=S.DOCUMENTS_PENDING, user=user, reason=note)


@transaction.atomic
def application_complete(*, application: Application, user, note: str = "") -> Application:
    """documents_pending → complete, once every required document is verified (LPO-2)."""
    application = _lock(application)
    refusal = workflow.transition_refusal(application.state, S.COMPLETE, user=user)
    if refusal is None:
        missing = missing_documents(application)
        if missing:
            raise Refused(
                _("Not complete: no verified document for %(items)s.")
                % {"items": ", ".join(i.name for i in missing)}
            )
    return _move(application, to=S.COMPLETE, user=user, reason=note)


def application_checks(application: Application) -> list[dict]:
    """The underwriting checks of the application as it is now (LPO-2), as stored on it."""
    applicants = list(application.applicants.all())
    checks = underwriting_checks(
        product=application.product,
        requested_amount=application.requested_amount,
        term_months=application.term_months,
        property_valuation=application.property_valuation,
        credit_score=application.credit_score,
        yearly_income=sum((a.yearly_income for a in applicants), Decimal("0")),
        debts=sum((a.debts for a in applicants), Decimal("0")),
    )
    return [check.as_dict() for check in checks]


@transaction.atomic
def application_underwriting_check(*, application: Application, user, note: str = "") -> Application:
    """complete → underwriting_checked: the checks against the product's standards are computed and kept."""
    application = _lock(application)
    return _move(
        application,
        to=S.UNDERWRITING_CHECKED,
        user=user,
        reason=note,
        fields={"underwriting": application_checks(application)},
    )


@transaction.atomic
def application_recommend(
    *, application: Application, user, recommendation: str, reasons: str
) -> Application:
    """underwriting_checked → recommended: the LPO's senior processor recommends approval or decline (LPO-2)."""
    from .models import Recommendation

    if recommendation not in Recommendation.values:
        raise Refused(_("Recommend approval or decline."))
    return _move(
        _lock(application),
        to=S.RECOMMENDED,
        user=user,
        reason=reasons,
        fields={"recommendation": recommendation, "recommendation_reasons": reasons.strip()},
    )


def _terms_refusal(terms: Terms, application: Application) -> str | None:
    if terms.amount is None or terms.amount <= 0:
        return _("The approved amount must be more than zero.")
    if terms.interest_rate is None or terms.interest_rate < 0:
        return _("The interest rate cannot be negative.")
    if not terms.term_months or terms.term_months <= 0:
        return _("The term must be at least one month.")
    if terms.bond_price is None or terms.bond_price <= 0:
        return _("The bond price must be more than zero.")
    product = application.product
    if not product.min_term_months <= terms.term_months <= product.max_term_months:
        return _("The term must be between %(min)s and %(max)s months for this product.") % {
            "min": product.min_term_months,
            "max": product.max_term_months,
        }
    return None


def _terms_fields(terms: Terms, user) -> dict:
    return {
        "approved_amount": Decimal(terms.amount),
        "interest_rate": Decimal(terms.interest_rate),
        "approved_term_months": int(terms.term_months),
        "bond_price": Decimal(terms.bond_price),
        "terms_set_by": user,
    }


@transaction.atomic
def application_decide(
    *,
    application: Application,
    user,
    approve: bool,
    reasons: str,
    terms: Terms | None = None,
    on: datetime.date | None = None,
) -> Application:
    """recommended → approved (with the rate and terms) or declined: the home office or a branch decides (LPO-3);
    an LPO only with branch capacity from its grant date (LPO-4). Refused for anyone else, on every path."""
    on = on or timezone.localdate()
    application = _lock(application)
    to = S.APPROVED if approve else S.DECLINED
    refusal = workflow.transition_refusal(application.state, to, user=user) or decision_refusal(
        user, application, on=on
    )
    if refusal:
        raise Refused(refusal)
    fields = {"decision_reasons": reasons.strip()}
    if approve:
        if terms is None:
            raise Refused(_("An approval comes with its rate and terms."))
        refusal = _terms_refusal(terms, application)
        if refusal:
            raise Refused(refusal)
        fields.update(_terms_fields(terms, user))
    return _move(application, to=to, user=user, reason=reasons, fields=fields)


@transaction.atomic
def application_terms_set(
    *, application: Application, user, terms: Terms, reason: str = "", on: datetime.date | None = None
) -> Application:
    """Change the rate and terms of an approved application before it is funded (LPO-3: never by LPO staff)."""
    on = on or timezone.localdate()
    application = _lock(application)
    if not user.has_perm(workflow.SET_TERMS):
        raise Refused(
            _(
                "Only the home office or a branch decides applications and sets rates and terms (LPO-3): your role may not."
            )
        )
    refusal = decision_refusal(user, application, on=on)
    if refusal:
        raise Refused(refusal)
    if application.state != S.APPROVED:
        raise Refused(_("Terms are set on an approved application that is not yet funded."))
    refusal = _terms_refusal(terms, application)
    if refusal:
        raise Refused(refusal)
    for name, value in _terms_fields(terms, user).items():
        setattr(application, name, value)
    application.last_activity_at = _now()
    application._history_user = user
    application._change_reason = (reason or "terms changed")[:100]
    application.save()
    return application


@transaction.atomic
def application_withdraw(*, application: Application, user, reason: str) -> Application:
    """Any open state → withdrawn (the applicant no longer wants the loan), with the reason."""
    return _move(_lock(application), to=S.WITHDRAWN, user=user, reason=reason)


# ---------------------------------------------------------------- messages with the applicant


@transaction.atomic
def application_message_add(
    *,
    application: Application,
    applicant: Applicant,
    user,
    channel: str,
    direction: str,
    note: str,
    outcome: str = ContactOutcome.REACHED,
    on: datetime.date | None = None,
) -> ApplicationMessage:
    """Log a message with an applicant in the one contact log (loanregister.contacts), linked to the application."""
    if not user.has_perm(workflow.TAKE):
        raise Refused(_("Your role may not log messages on applications."))
    refusal = office_refusal(user, application)
    if refusal:
        raise Refused(refusal)
    if applicant.application_id != application.pk:
        raise Refused(_("That person is not an applicant on this application."))
    if not note.strip():
        raise Refused(_("Write what was said."))
    try:
        contact = contact_log_add(
            borrower=applicant.borrower,
            channel=channel,
            direction=direction,
            purpose=MESSAGE_PURPOSE,
            contacted_on=on or timezone.localdate(),
            outcome=outcome,
            note=note,
            user=user,
        )
    except ValueError as exc:
        raise Refused(str(exc)) from exc
    _touch(application)
    return ApplicationMessage.objects.create(application=application, contact=contact)


# ---------------------------------------------------------------- the nightly expiry


def applications_expire(*, business_date: datetime.date) -> dict:
    """Open applications without activity for their product's `expire_after_days` (90 unless an admin set
    otherwise) become `expired`, each with its record by the system: one whose last activity was on day D expires
    on the business date D + 90. Idempotent: an expired one is not open any more."""
    candidates: list[int] = []
    for product in Product.objects.order_by("pk"):
        # the last activity on or before the day `expire_after_days` before the business date
        last_day = business_date - datetime.timedelta(days=product.expire_after_days)
        cutoff = timezone.make_aware(
            datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
        )
        candidates += Application.objects.filter(
            product=product, state__in=workflow.OPEN_STATES, last_activity_at__lt=cutoff
        ).values_list("pk", flat=True)
    expired = 0
    for pk in sorted(candidates):
        with transaction.atomic():
            application = (
                Application.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, state__in=workflow.OPEN_STATES)
                .select_related("product")
                .first()
            )
            if application is None:
                continue
            days = application.product.expire_after_days
            _move(
                application,
                to=S.EXPIRED,
                user=None,
                system=True,
                reason=f"no activity for {days} days (nightly expiry of {business_date.isoformat()})",
            )
            expired += 1
    return {"expired": expired}
