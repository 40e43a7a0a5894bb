"""National ids (CPR, CVR): validation with python-stdnum and masking for roles that do not need them.

CPR numbers identify persons and may be shown only where needed (databeskyttelsesloven §11); CVR numbers
identify companies and are public, so they are never masked.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.dk import cpr, cvr
from stdnum.exceptions import ValidationError as StdnumError

VIEW_NATIONAL_ID_PERMISSION = "loanregister.view_national_id"
VIEW_CONTACT_DETAILS_PERMISSION = "loanregister.view_contact_details"


def normalize_national_id(value: str) -> str:
    """Return the canonical form (CPR `DDMMYY-NNNN`, CVR eight digits) or raise ValidationError."""
    raw = (value or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10:
        try:
            number = cpr.validate(digits)
        except StdnumError as exc:
            raise ValidationError(_("not a valid CPR number")) from exc
        return f"{number[:6]}-{number[6:]}"
    if len(digits) == 8:
        try:
            return cvr.validate(digits)
        except StdnumError as exc:
            raise ValidationError(_("not a valid CVR number")) from exc
    raise ValidationError(_("not a valid CPR (10 digits) or CVR (8 digits) number"))


def validate_national_id(value: str) -> None:
    normalize_national_id(value)


def is_cpr(value: str) -> bool:
    return len(value.replace("-", "")) == 10


def mask_national_id(value: str) -> str:
    """Keep the date of birth, hide the serial digits that make a CPR number identify a person."""
    if not value:
        return ""
    if is_cpr(value):
        return f"{value[:6]}-****"
    return value


def national_id_for(user, value: str) -> str:
    if user is not None and user.has_perm(VIEW_NATIONAL_ID_PERMISSION):
        return value
    return mask_national_id(value)


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return "***" if value else ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    digits = [ch for ch in value if ch.isdigit()]
    if not digits:
        return ""
    return "*** ** " + "".join(digits[-2:])


def contact_for(user, value: str, kind: str) -> str:
    if user is not None and user.has_perm(VIEW_CONTACT_DETAILS_PERMISSION):
        return value
    if kind == "email":
        return mask_email(value)
    if kind == "phone":
        return mask_phone(value)
    return "***" if value else ""
