"""Reads for the origination pages and the pipeline export (no writes)."""

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from loanregister.privacy import contact_for, national_id_for

from . import workflow
from .access import applications_visible_to, sees_every_office, staff_office
from .filters import PipelineFilter
from .models import Application, ApplicationDocument, ApplicationState
from .services import missing_documents
from .underwriting import CHECK_LABELS


def state_order() -> Case:
    """The workflow's order of states as a sortable number."""
    return Case(
        *[When(state=state, then=Value(index)) for index, state in enumerate(workflow.STATE_ORDER)],
        output_field=IntegerField(),
    )


def pipeline_context(*, user, params) -> dict:
    """The pipeline page: the user's applications (their office's, or all at the home office), filtered, the
    longest waiting in its state first; counts by state and office; the home office's inbox of recommendations."""
    visible = applications_visible_to(user)
    filterset = PipelineFilter(params, queryset=visible)
    rows = filterset.qs if filterset.is_valid() else visible.none()
    rows = rows.select_related("office", "product").order_by("state_entered_at", "number")
    now = timezone.now()
    open_rows = [
        {"application": a, "days": (now - a.state_entered_at).days}
        for a in rows.filter(state__in=workflow.OPEN_STATES)[:500]
    ]
    counts = visible.values("office__code", "state").annotate(n=Count("id")).order_by("office__code")
    by_office: dict[str, dict[str, int]] = {}
    for row in counts:
        by_office.setdefault(row["office__code"], {})[row["state"]] = row["n"]
    office = staff_office(user)
    every = sees_every_office(user, office)
    inbox = []
    if every and user.has_perm(workflow.DECIDE):
        inbox = list(
            visible.filter(state=ApplicationState.RECOMMENDED)
            .select_related("office", "product")
            .order_by("state_entered_at", "number")[:200]
        )
    return {
        "filter": filterset,
        "rows": open_rows,
        "closed": list(rows.exclude(state__in=workflow.OPEN_STATES).order_by("-state_entered_at")[:50]),
        "states": list(ApplicationState),
        "by_office": [
            (code, [by_office[code].get(state.value, 0) for state in ApplicationState])
            for code in sorted(by_office)
        ],
        "inbox": inbox,
        "sees_every_office": every,
        "office": office,
        "filter_refused": not filterset.is_valid(),
    }


def application_context(*, user, application: Application) -> dict:
    """The application's page: applicants (CPR and contact details masked for roles that do not need them), its
    documents against the checklist, the checks, the records, the messages, and what the user may do next."""
    from .access import decision_refusal, office_refusal

    applicants = [
        {
            "applicant": a,
            "name": a.borrower.name,
            "national_id": national_id_for(user, a.borrower.national_id),
            "email": contact_for(user, a.borrower.email, "email"),
            "phone": contact_for(user, a.borrower.phone, "phone"),
        }
        for a in application.applicants.select_related("borrower").order_by("position")
    ]
    documents = list(application.documents.select_related("item", "uploaded_by", "checked_by"))
    checklist = [
        {"item": item, "documents": [d for d in documents if d.item_id == item.pk]}
        for item in application.product.checklist.all()
    ]
    checks = [
        {**check, "label": CHECK_LABELS.get(check["code"], check["code"])}
        for check in application.underwriting
    ]
    today = timezone.localdate()
    state = application.state
    acts = office_refusal(user, application) is None
    can = {
        "documents": acts
        and user.has_perm(workflow.TAKE)
        and state in (ApplicationState.RECEIVED, ApplicationState.DOCUMENTS_PENDING),
        "request_documents": acts
        and workflow.transition_refusal(state, ApplicationState.DOCUMENTS_PENDING, user=user) is None,
        "complete": acts and workflow.transition_refusal(state, ApplicationState.COMPLETE, user=user) is None,
        "underwriting": acts
        and workflow.transition_refusal(state, ApplicationState.UNDERWRITING_CHECKED, user=user) is None,
        "recommend": acts
        and workflow.transition_refusal(state, ApplicationState.RECOMMENDED, user=user) is None,
        "decide": workflow.transition_refusal(state, ApplicationState.DECLINED, user=user) is None
        and decision_refusal(user, application, on=today) is None,
        "terms": state == ApplicationState.APPROVED
        and user.has_perm(workflow.SET_TERMS)
        and decision_refusal(user, application, on=today) is None,
        "fund": acts and workflow.transition_refusal(state, ApplicationState.FUNDED, user=user) is None,
        "withdraw": acts
        and workflow.transition_refusal(state, ApplicationState.WITHDRAWN, user=user) is None,
        "message": acts and user.has_perm(workflow.TAKE),
    }
    return {
        "application": application,
        "applicants": applicants,
        "checklist": checklist,
        "missing": missing_documents(application) if state == ApplicationState.DOCUMENTS_PENDING else [],
        "checks": checks,
        "transitions": application.transitions.select_related("by").order_by("at", "id"),
        "messages_log": application.messages.select_related("contact", "contact__borrower", "contact__user"),
        "can": can,
        "Check": ApplicationDocument.Check,
        "days_in_state": (timezone.now() - application.state_entered_at).days,
    }


def pipeline_for_export(applications: QuerySet | None = None) -> QuerySet:
    """The applications (all, or those given) in the export's order: office, the workflow's order of states,
    entered_state_on, number."""
    return (
        (Application.objects.all() if applications is None else applications)
        .select_related("office", "product", "loan")
        .annotate(state_rank=state_order(), entered_on=TruncDate("state_entered_at"))
        .order_by("office__code", "state_rank", "entered_on", "number")
    )
