"""Per-user preferences that follow the person from browser to browser (today: the language)."""

from django.conf import settings
from django.http import HttpResponse

from .models import UserPreference


def language_is_supported(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def user_language_set(*, user, language: str) -> UserPreference:
    """Remember `language` for `user`; `UserLanguageMiddleware` then applies it on whatever browser they use."""
    if not language_is_supported(language):
        raise ValueError(f"unsupported language {language!r}")
    preference, _created = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


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
