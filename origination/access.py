"""Who works on which application: the office rules of LPO-2 to LPO-4, read from the staff profile (§5).

- Staff see and work on their own office's applications; staff of the home office see every office's.
- A decision or terms (LPO-3, LPO-4) also need an office that can make loans on the day
  (`Office.can_make_loans(on)`: a home office or branch; an LPO only with branch capacity, from its grant date).
- A superuser sees everything, but decides only as staff of an office, like everyone else.
"""

import datetime

from django.db.models import QuerySet

from loanregister.choices import OfficeKind
from loanregister.models import Office, StaffProfile

from .models import Application

VIEW = "origination.view_application"


def staff_office(user) -> Office | None:
    """The office the user works at (their staff profile), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = StaffProfile.objects.filter(user_id=user.pk).select_related("office").first()
    return profile.office if profile else None


def sees_every_office(user, office: Office | None = None) -> bool:
    office = office if office is not None else staff_office(user)
    return bool(user.is_superuser or (office is not None and office.kind == OfficeKind.HOME_OFFICE))


def applications_visible_to(user) -> QuerySet:
    """The applications `user` may see: none without the view permission; their office's, or all at the home office."""
    if user is None or not user.is_authenticated or not user.has_perm(VIEW):
        return Application.objects.none()
    office = staff_office(user)
    if sees_every_office(user, office):
        return Application.objects.all()
    if office is None:
        return Application.objects.none()
    return Application.objects.filter(office=office)


def office_refusal(user, application: Application) -> str | None:
    """Why `user` may not act on this application for its office (None: they may)."""
    from django.utils.translation import gettext as _

    office = staff_office(user)
    if sees_every_office(user, office):
        return None
    if office is None:
        return _("You belong to no office: an admin gives you one on your staff profile.")
    if office.pk != application.office_id:
        return _("This application belongs to another office.")
    return None


def decision_refusal(user, application: Application, *, on: datetime.date) -> str | None:
    """Why `user` may not decide this application or set its terms on the date `on` (LPO-3, LPO-4)."""
    from django.utils.translation import gettext as _

    office = staff_office(user)
    if office is None:
        return _(
            "Decisions and terms are made by staff of an office that makes loans; you belong to no office."
        )
    if not office.can_make_loans(on):
        return _(
            "%(office)s cannot make loans on %(date)s: a loan production office decides nothing and sets no "
            "terms unless granted branch capacity (LPO-2, LPO-4)."
        ) % {"office": office.code, "date": on.isoformat()}
    if office.kind != OfficeKind.HOME_OFFICE and office.pk != application.office_id:
        return _("Only the home office decides another office's applications.")
    return None
