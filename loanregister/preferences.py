"""The language preference on the web side: which languages there are, and the cookie that carries the choice
(`services.user_language_set` stores it for the user, so it follows them from browser to browser)."""

from django.conf import settings
from django.http import HttpResponse


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
