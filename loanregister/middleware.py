from django.utils import translation


class UserLanguageMiddleware:
    """Activate the language a signed-in user chose, whatever browser they use (after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preference = getattr(user, "preference", None) if hasattr(user, "preference") else None
            if preference is not None:
                translation.activate(preference.language)
                request.LANGUAGE_CODE = preference.language
        return self.get_response(request)
