"""View decorators shared by the apps."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _


def post_only(redirect_to: str | Callable[..., str], *, fragment: str = ""):
    """An action that only a form's POST performs. A GET (a bookmark, a pasted address, a reload after the
    session ran out) goes to the action's page with a word on what happened, instead of a bare 405; any other
    method gets the 405 page.

    `redirect_to` is a URL name, reversed with the view's keyword arguments when it takes them
    (`"loanregister:loan"` for a view with `loan_number`), or a function `(request, **kwargs) -> url`.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                from . import views  # here: common.views uses this decorator too

                return views.method_not_allowed(request, ["GET", "HEAD", "POST"])
            url = (
                redirect_to(request, **kwargs)
                if callable(redirect_to)
                else reverse(redirect_to, kwargs=kwargs)
            )
            messages.info(request, _("That address is an action: use the button on this page to do it."))
            return HttpResponseRedirect(url + fragment)

        wrapper.post_only = True
        return wrapper

    return decorator
