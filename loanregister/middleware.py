from django.conf import settings
from django.utils import translation

from .preferences import language_cookie_set


class UserLanguageMiddleware:
    """Activate the language a signed-in user chose, whatever browser they use (after LocaleMiddleware).

    The browser's language cookie is brought in step too, so that the login page after signing out keeps speaking
    the person's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preference = getattr(user, "preference", None) if hasattr(user, "preference") else None
            if preference is not None:
                language = preference.language
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        # The language switch view sets the cookie itself (to the new choice): leave that one alone.
        if language and request.COOKIES.get(cookie) != language and cookie not in response.cookies:
            language_cookie_set(response=response, language=language)
        return response
