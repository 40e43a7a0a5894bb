from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from common import hooks

# (url name, label, permission needed or None, what the home page says of it)
_NAV = [
    ("home", _("Home"), None, ""),
    (
        "loanregister:register",
        _("Maturity register"),
        "loanregister.view_loan",
        _("Loans by maturity and rate reset date: filters, the ladder by month, the loan pages and exports."),
    ),
    (
        "loanregister:leads",
        _("My leads"),
        "loanregister.view_lead",
        _(
            "The loans the maturity radar found for you to follow up: log your contacts and move each lead to won or lost."
        ),
    ),
    (
        "loanregister:campaigns",
        _("Campaigns"),
        "loanregister.view_campaign",
        _(
            "Retention campaigns from the register: build, preview, freeze and export them, and follow their results."
        ),
    ),
    (
        "admin:index",
        _("Administration"),
        "__staff__",
        _("Users and their roles, reference data, loan imports and the records of the nightly jobs."),
    ),
]


def _allowed(user, permission) -> bool:
    if permission is None:
        return True
    if permission == "__staff__":
        return user.is_staff
    if isinstance(permission, tuple):
        return user.has_perms(permission)
    return user.has_perm(permission)


def navigation(request) -> dict:
    """The entries of the navigation bar the user may open; the home page lists them with what each is for."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    entries = [
        *_NAV[:-1],
        *((i.url_name, i.label, i.permission, i.description) for i in hooks.navigation_items()),
        _NAV[-1],
    ]
    for url_name, label, permission, description in entries:
        if not _allowed(user, permission):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": label,
                "active": request.path == url,
                "description": description,
                "is_home": url_name == "home",
            }
        )
    return {"nav_items": items}
