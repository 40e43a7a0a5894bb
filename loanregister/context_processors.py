from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from common import hooks

# (url name, label, permission needed or None)
_NAV = [
    ("home", _("Home"), None),
    ("loanregister:register", _("Maturity register"), "loanregister.view_loan"),
    ("admin:index", _("Administration"), "__staff__"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    entries = [*_NAV[:-1], *((i.url_name, i.label, i.permission) for i in hooks.navigation_items()), _NAV[-1]]
    for url_name, label, perm in entries:
        if perm == "__staff__" and not user.is_staff:
            continue
        if perm and perm != "__staff__" and not user.has_perm(perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path == url})
    return {"nav_items": items}
