"""Refused requests: explained in the site's layout, and logged as one line each, never as a traceback.

A PermissionDenied or Http404 raised by a view is answered by the error handlers of the URLconf (`common/views.py`)
before Django's own handling would log it with its traceback; a 405 (`require_POST`, `require_http_methods`) is
drawn as the same kind of page. Every 4xx that passes is then logged once, here, with status, method, path and
user (`common.refusals`); `RefusalLogFilter` drops Django's own line for the same response, so there is one.
5xx are not refusals: Django logs them with their traceback, as it should.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_resolver, get_urlconf

logger = logging.getLogger("common.refusals")


def _escaped(text: str) -> str:
    # a path is decoded: %0A would start a forged log line
    return text.encode("unicode_escape").decode("ascii")


def refusal_log(request: HttpRequest, status: int) -> None:
    user = getattr(request, "user", None)
    name = user.get_username() if user is not None and user.is_authenticated else "-"
    reason = getattr(request, "refusal_reason", "")
    logger.log(
        logging.WARNING if status in (401, 403) else logging.INFO,
        "refused: status=%s method=%s path=%s user=%s%s",
        status,
        _escaped(request.method or "-"),
        _escaped(request.path),
        _escaped(name),
        f" reason={_escaped(reason)}" if reason else "",
    )


class RefusalMiddleware:
    """After the user is known and their language active (after `UserLanguageMiddleware`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status = response.status_code
        if status == 405 and not getattr(response, "refusal_page", False):
            from . import views  # here: the settings' LOGGING imports this module before the apps are ready

            response = views.method_not_allowed(request, response.get("Allow", ""))
        if 400 <= status < 500:
            refusal_log(request, status)
            response._has_been_logged = True  # Django's handler would log it again
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            status = 403
        elif isinstance(exception, Http404) and not settings.DEBUG:  # DEBUG: Django's technical 404 page
            status = 404
        else:
            return None
        handler = get_resolver(get_urlconf()).resolve_error_handler(status)
        return handler(request, exception=exception)


class RefusalLogFilter(logging.Filter):
    """On `django.request` and `django.security.csrf`: drop the 4xx lines `RefusalMiddleware` writes instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (isinstance(status, int) and 400 <= status < 500)
