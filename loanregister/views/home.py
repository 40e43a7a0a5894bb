"""The home page each role lands on, and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import selectors
from ..campaigns.selectors import campaigns_in_progress
from ..roles import LPO_MANAGER, LPO_PROCESSOR, ROLE_LABELS, UNDERWRITER, user_roles

# The loan production roles' work, which origination will bring; until it exists their home page says so.
APPLICATIONS_COMING = {
    LPO_PROCESSOR: _(
        "Take in loan applications and process them: those assigned to you, and what each waits for."
    ),
    LPO_MANAGER: _(
        "Follow your office's applications: how many are at each stage, and which have waited too long."
    ),
    UNDERWRITER: _(
        "Decide on the applications that wait for underwriting, with their documents and figures."
    ),
}


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: the app answers and its database does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "database unavailable"}, status=503)


def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    context = {
        "roles": [ROLE_LABELS.get(role, role) for role in roles],
        "summary": selectors.home_summary(user=request.user),
        "applications_coming": [APPLICATIONS_COMING[role] for role in roles if role in APPLICATIONS_COMING],
        "campaigns": campaigns_in_progress(user=request.user),
    }
    return render(request, "loanregister/home.html", context)
