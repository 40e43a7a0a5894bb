"""The language preference on the web side: which languages there are, and the cookie that carries the choice
(`services.user_language_set` stores it for the user, so it follows them from browser to browser)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse

# A language chosen with the switch before signing in (on the login page), kept in the session until sign-in.
LANGUAGE_CHOSEN_SESSION_KEY = "language_chosen"


def language_is_supported(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def language_cookie_set(*, response: HttpResponse, language: str) -> None:
    """The same cookie Django's `set_language` writes, so that the login page (before anyone is known) follows too."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@receiver(user_logged_in, dispatch_uid="loanregister.preferences.language_chosen_keep")
def language_chosen_keep(sender, request, user, **kwargs) -> None:
    """A language chosen on the login page is the person's choice: saved for them as they sign in, so that it is
    not replaced by an older saved preference (UserLanguageMiddleware applies the saved one)."""
    if request is None or not hasattr(request, "session"):
        return
    language = request.session.pop(LANGUAGE_CHOSEN_SESSION_KEY, None)
    if language and language_is_supported(language):
        from .services import user_language_set  # services imports this module

        user_language_set(user=user, language=language)
