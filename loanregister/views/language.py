"""The language switch in the top bar: remembered per user, not only per browser."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from common.decorators import post_only

from ..preferences import LANGUAGE_CHOSEN_SESSION_KEY, language_cookie_set, language_is_supported
from ..services import user_language_set


@login_not_required  # the login page offers the switch too; then only the cookie is set
@post_only("home")
def language_set(request: HttpRequest):
    language = request.POST.get("language", "")
    if not language_is_supported(language):
        return HttpResponseBadRequest("unsupported language")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    else:
        # chosen on the login page: saved for the person when they sign in (preferences.language_chosen_keep)
        request.session[LANGUAGE_CHOSEN_SESSION_KEY] = language
    translation.activate(language)
    response = HttpResponseRedirect(next_url)
    language_cookie_set(response=response, language=language)
    return response
