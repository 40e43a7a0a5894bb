"""Closing documents archived with their loan (SRV-3), kept as long as the property's jurisdiction requires."""

import datetime
import hashlib
import mimetypes

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from loanregister.choices import LoanStatus
from loanregister.models import Loan

from .models import LoanDocument, RetentionRule

DEFAULT_JURISDICTION = "DK"
_CLOSED = {LoanStatus.PAID_OFF, LoanStatus.CHARGED_OFF, LoanStatus.TRANSFERRED}


def loan_jurisdiction(*, loan: Loan) -> str:
    prop = loan.property
    return (prop.jurisdiction if prop and prop.jurisdiction else DEFAULT_JURISDICTION).strip().upper()


def retention_rule_for(*, jurisdiction: str) -> RetentionRule | None:
    """The state's own rule, else its country's (US-CA, then US)."""
    candidates = [jurisdiction]
    if "-" in jurisdiction:
        candidates.append(jurisdiction.split("-", 1)[0])
    rules = {rule.jurisdiction: rule for rule in RetentionRule.objects.filter(jurisdiction__in=candidates)}
    for code in candidates:
        if code in rules:
            return rules[code]
    return None


def loan_end_date(*, loan: Loan) -> datetime.date:
    """When the loan ends for retention: its maturity, or a later last ledger entry of a loan paid late.

    A loan paid off early still counts from its maturity: a longer keep is the safe error, a document
    destroyed too early cannot be undone.
    """
    end = loan.maturity_date
    if loan.status in _CLOSED:
        last = _last_ledger_date(loan)
        if last and last > end:
            end = last
    return end


def _last_ledger_date(loan: Loan) -> datetime.date | None:
    from .models import Posting

    return Posting.objects.filter(loan=loan).aggregate(last=Max("effective_date"))["last"]


def document_retain_until(*, loan: Loan) -> tuple[datetime.date | None, str]:
    """(the date until which the loan's documents are kept, the jurisdiction); None when no rule covers it."""
    jurisdiction = loan_jurisdiction(loan=loan)
    rule = retention_rule_for(jurisdiction=jurisdiction)
    if rule is None:
        return None, jurisdiction
    return rule.retain_until(loan_end_date(loan=loan)), jurisdiction


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def document_upload(
    *, loan: Loan, upload: UploadedFile, kind: str, user: AbstractBaseUser | None, description: str = ""
) -> LoanDocument:
    """Store a closing document with its loan, its checksum and the date until which it must be kept."""
    retain_until, jurisdiction = document_retain_until(loan=loan)
    document = LoanDocument(
        loan=loan,
        kind=kind,
        original_name=upload.name[:255],
        size=upload.size or 0,
        content_type=getattr(upload, "content_type", "") or mimetypes.guess_type(upload.name)[0] or "",
        sha256=_sha256(upload),
        description=description,
        uploaded_by=user if user and user.is_authenticated else None,
        jurisdiction=jurisdiction,
        retain_until=retain_until,
    )
    document.file.save(upload.name, upload, save=False)
    # If the row cannot be written, do not leave an orphan file behind.
    try:
        document.full_clean()
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


def document_can_be_deleted(document: LoanDocument, *, today: datetime.date | None = None) -> bool:
    """SRV-3: a document may be deleted once its retention period is over: it has a keep date, and that date is
    past. Judged on the stored keep date; `LoanDocument.check_deletable` brings that date up to date first and
    then asks this, so the loan page, the admin and the refusal all apply the same rule."""
    return document.retain_until is not None and document.retain_until < (today or timezone.localdate())


def document_delete(*, document: LoanDocument) -> None:
    """Delete a document whose retention period is over; raises RetentionNotOver otherwise."""
    document.delete()
