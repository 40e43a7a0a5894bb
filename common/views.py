"""The error pages (403, 404, 405, 500 and a refused form's CSRF 403) in the site's layout and the user's language,
each saying why and where to go; and the favicon at the address browsers ask for by themselves.

`config/urls.py` names the handlers; `common.middleware.RefusalMiddleware` renders a view's PermissionDenied and
Http404 and any 405 through them, and logs each refusal as one line.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from . import operations
from .decorators import post_only
from .forms import NightlyJobRunForm, OperationsForm

TEMPLATE = "error.html"


def _back_url(request: HttpRequest) -> str:
    """The page the person came from, when it is one of ours and not this one; else nothing."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    if referer == request.build_absolute_uri():
        return ""
    return referer


def error_response(
    request: HttpRequest, *, status: int, title: str, reason: str, advice: str
) -> HttpResponse:
    context = {
        "status": status,
        "title": title,
        "reason": reason,
        "advice": advice,
        "back_url": _back_url(request),
    }
    response = HttpResponse(render_to_string(TEMPLATE, context, request=request), status=status)
    response.refusal_page = True  # rendered here: the middleware leaves it as it is
    return response


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return error_response(
        request,
        status=403,
        title=_("Access denied"),
        reason=_("Your role does not give access to this page or action."),
        advice=_("If your work needs it, ask an administrator to give you the role."),
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return error_response(
        request,
        status=404,
        title=_("Page not found"),
        reason=_(
            "There is no page at this address. The link may be old, or what it showed (a loan, a statement) "
            "no longer exists or has another number."
        ),
        advice=_("Check the address, or find what you were looking for from the home page."),
    )


def method_not_allowed(request: HttpRequest, allowed: list[str] | str) -> HttpResponse:
    response = error_response(
        request,
        status=405,
        title=_("This address does not take that request"),
        reason=_(
            "This address carries out an action, such as posting or deleting, and only takes the form on its "
            "page. Nothing was changed."
        ),
        advice=_("Go back to the page and use its button."),
    )
    response["Allow"] = allowed if isinstance(allowed, str) else ", ".join(allowed)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form posted from a page open too long, or from elsewhere."""
    request.refusal_reason = reason  # for the middleware's log line; never shown
    return error_response(
        request,
        status=403,
        title=_("The form has expired"),
        reason=_(
            "For your security, a form is only accepted for a while and only from this site. Nothing was saved."
        ),
        advice=_("Go back, reload the page and try again."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page in the layout when the layout can still be drawn; Django's plain page when it cannot (the
    database that the navigation reads may be what failed)."""
    try:
        return error_response(
            request,
            status=500,
            title=_("Something went wrong on our side"),
            reason=_("The error has been logged, and what you were doing may not have been saved."),
            advice=_("Try again in a moment. If it happens again, tell support what you did and when."),
        )
    except Exception:  # noqa: BLE001 - an error page must not fail
        return defaults.server_error(request)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that do not name an icon (the admin, a PDF): the app's own icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    response["Cache-Control"] = "max-age=86400"
    return response


# ---------------------------------------------------------------------------------------------- the operations page


@require_GET
@permission_required(operations.VIEW, raise_exception=True)
def operations_page(request: HttpRequest) -> HttpResponse:
    """Each nightly job's schedule and last runs, and the outbox's backlog (docs/operations.md)."""
    names = operations.nightly_job_names()
    form = OperationsForm(request.GET or None, jobs=names)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = operations.operations_page(job=chosen.get("job") or None, runs=chosen.get("runs"))
    context = {
        "form": form,
        "page": page,
        "run_form": NightlyJobRunForm(jobs=names, initial={"date": timezone.localdate()}),
        "can_run": request.user.has_perm(operations.RUN),
    }
    return render(request, "common/operations.html", context)


@post_only("common:operations")
@permission_required(operations.RUN, raise_exception=True)
def operations_job_run(request: HttpRequest) -> HttpResponse:
    """Start a nightly job for a business date, through the outbox: the page answers at once, broker or not."""
    form = NightlyJobRunForm(request.POST, jobs=operations.nightly_job_names())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("common:operations")
    job, day = form.cleaned_data["job"], form.cleaned_data["date"] or timezone.localdate()
    names = {"job": job, "date": date_format(day, "SHORT_DATE_FORMAT")}
    if operations.nightly_job_request(user=request.user, job=job, business_date=day):
        messages.success(
            request,
            _(
                "%(job)s for %(date)s is queued: it runs as soon as a worker takes it (a date already done is not run again)."
            )
            % names,
        )
    else:
        messages.info(request, _("%(job)s for %(date)s is already waiting to run.") % names)
    return redirect("common:operations")
