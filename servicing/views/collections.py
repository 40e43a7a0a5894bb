"""The collector's queue and a collections case (issue 11 items 4 to 6): thin views over
`servicing.collections.queue`, `hardship` and `escalation`."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.decorators import post_only
from loanregister.models import ContactLog
from loanregister.privacy import mask_email, mask_phone

from ..collections import escalation as escalation_service
from ..collections import hardship, queue
from ..collections.delinquency import loan_delinquency
from ..collections.reminders import reminder_message
from ..forms import (
    CaseAssignForm,
    CollectionsContactForm,
    EscalationPathForm,
    HardshipForm,
    NextActionForm,
    add_service_errors,
)
from ..models import CollectionCase, DelinquencyBucket, Escalation, HardshipPlan, PromiseToPay, Reminder

PER_PAGE = 50


def _staff(request: HttpRequest) -> None:
    if not (request.user.has_perm(queue.WORK) or request.user.has_perm(queue.ASSIGN)):
        raise PermissionDenied(_("Only collections staff work the queue."))


def _collectors():
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(
                groups__permissions__codename="work_collectioncase",
                groups__permissions__content_type__app_label="servicing",
            )
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


@login_required
def queue_view(request: HttpRequest) -> HttpResponse:
    _staff(request)
    today = timezone.localdate()
    scope = request.GET.get("scope", "mine" if not request.user.has_perm(queue.ASSIGN) else "all")
    bucket = request.GET.get("bucket", "")
    collector = request.GET.get("collector", "")
    errors = []
    buckets = list(DelinquencyBucket.objects.values_list("code", flat=True))
    if scope not in ("mine", "all"):
        errors.append(_("Show mine or all cases."))
        scope = "mine"
    if bucket and bucket not in buckets:
        errors.append(_("There is no bucket %(bucket)s.") % {"bucket": bucket[:20]})
        bucket = ""
    if (
        collector
        and collector != "-"
        and (
            "\x00" in collector
            or len(collector) > 150
            or not _collectors().filter(username=collector).exists()
        )
    ):
        errors.append(_("There is no collector %(name)s.") % {"name": collector[:40].replace("\x00", "")})
        collector = ""
    cases = queue.queue_for(user=request.user, mine=scope == "mine", collector=collector, bucket=bucket)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    promises = {
        p.case_id: p
        for p in PromiseToPay.objects.filter(case__in=[c.pk for c in page.object_list]).order_by(
            "case_id", "due_on"
        )
    }
    rows = [
        {
            "case": case,
            "promise": promises.get(case.pk),
            "broken": promises.get(case.pk) is not None
            and queue.promise_is_broken(promises[case.pk], today=today),
        }
        for case in page.object_list
    ]
    return render(
        request,
        "servicing/collections/queue.html",
        {
            "rows": rows,
            "page": page,
            "scope": scope,
            "bucket": bucket,
            "collector": collector,
            "buckets": buckets,
            "collectors": _collectors() if request.user.has_perm(queue.ASSIGN) else [],
            "errors": errors,
            "today": today,
            "promises_due_today": PromiseToPay.objects.filter(
                state=PromiseToPay.State.OPEN, due_on=today, case__assigned_to=request.user
            ).count(),
        },
        status=400 if errors else 200,
    )


def _case_page(request: HttpRequest, case: CollectionCase, *, status: int = 200, **forms) -> HttpResponse:
    today = timezone.localdate()
    loan = case.loan
    user = request.user
    borrower = loan.borrower
    contact_details = user.has_perm("loanregister.view_contact_details")
    plans = list(
        HardshipPlan.objects.filter(loan=loan).prefetch_related("installments").select_related("assessment")
    )
    escalations = [escalation_service.escalation_summary(e) for e in Escalation.objects.filter(loan=loan)]
    promises = list(PromiseToPay.objects.filter(loan=loan).order_by("-due_on"))
    context = {
        "case": case,
        "loan": loan,
        "borrower": borrower,
        "email": borrower.email if contact_details else mask_email(borrower.email),
        "phone": borrower.phone if contact_details else mask_phone(borrower.phone),
        "delinquency": loan_delinquency(loan=loan, as_of=today),
        "contacts": ContactLog.objects.filter(loan=loan, purpose="collections").select_related("user")[:50],
        "promises": [(p, queue.promise_is_broken(p, today=today)) for p in promises],
        "reminders": Reminder.objects.filter(loan=loan)
        .select_related("step")
        .order_by("-business_date", "-step_days")[:30],
        "plans": plans,
        "escalations": escalations,
        "can_assign": user.has_perm(queue.ASSIGN),
        "can_approve": user.has_perm(hardship.APPROVE),
        "can_choose_path": user.has_perm("servicing.change_escalation"),
        "contact_form": forms.get("contact_form") or CollectionsContactForm(initial={"contacted_on": today}),
        "next_form": forms.get("next_form")
        or NextActionForm(
            auto_id="next-%s",
            initial={"next_action": case.next_action, "next_action_on": case.next_action_on},
        ),
        "assign_form": forms.get("assign_form")
        or CaseAssignForm(
            auto_id="assign-%s",
            collectors=_collectors(),
            initial={"collector": case.assigned_to.username if case.assigned_to else ""},
        ),
        "hardship_form": forms.get("hardship_form")
        or HardshipForm(auto_id="hardship-%s", initial={"starts_on": today, "months": 3}),
        "live_plan": next((p for p in plans if p.state in ("proposed", "active")), None),
        "today": today,
    }
    return render(request, "servicing/collections/case.html", context, status=status)


def _get_case(request: HttpRequest, pk: int) -> CollectionCase:
    _staff(request)
    return get_object_or_404(
        CollectionCase.objects.select_related("loan", "loan__borrower", "assigned_to"), pk=pk
    )


@login_required
def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _get_case(request, pk))


def _to_queue(request: HttpRequest, **kwargs) -> str:
    return reverse("servicing:collections-queue")


@post_only("servicing:collections-case", fragment="#case-contact")
@login_required
def case_contact_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    form = CollectionsContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _contact, promise = queue.case_contact_log(
                case=case,
                user=request.user,
                channel=data["channel"],
                direction=data["direction"],
                outcome=data["outcome"],
                contacted_on=data["contacted_on"],
                note=data["note"],
                promise_amount=data["promise_amount"],
                promise_due_on=data["promise_due_on"],
            )
        except ValidationError as exc:
            add_service_errors(
                form, exc, field_map={"promise_amount": "promise_amount", "promise_due_on": "promise_due_on"}
            )
        else:
            messages.success(
                request, _("Contact logged, with a promise to pay.") if promise else _("Contact logged.")
            )
            return redirect("servicing:collections-case", pk=case.pk)
    return _case_page(request, case, contact_form=form, status=400)


@post_only("servicing:collections-case", fragment="#case-next")
@login_required
def case_next_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    form = NextActionForm(request.POST, auto_id="next-%s")
    if form.is_valid():
        try:
            queue.case_next_action_set(
                case=case,
                user=request.user,
                action=form.cleaned_data["next_action"],
                on=form.cleaned_data["next_action_on"],
            )
        except ValidationError as exc:
            add_service_errors(
                form, exc, field_map={"next_action": "next_action", "next_action_on": "next_action_on"}
            )
        else:
            messages.success(request, _("Next action saved."))
            return redirect("servicing:collections-case", pk=case.pk)
    return _case_page(request, case, next_form=form, status=400)


@post_only("servicing:collections-case", fragment="#case-assign")
@login_required
def case_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    form = CaseAssignForm(request.POST, auto_id="assign-%s", collectors=_collectors())
    if form.is_valid():
        try:
            queue.case_assign(case=case, collector_username=form.cleaned_data["collector"], user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"collector": "collector"})
        else:
            messages.success(request, _("Case assigned."))
            return redirect("servicing:collections-case", pk=case.pk)
    return _case_page(request, case, assign_form=form, status=400)


@post_only("servicing:collections-case", fragment="#case-hardship")
@login_required
def case_hardship_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    form = HardshipForm(request.POST, auto_id="hardship-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            assessment = hardship.hardship_assessment_record(
                loan=case.loan,
                user=request.user,
                assessed_on=timezone.localdate(),
                monthly_income=data["monthly_income"],
                monthly_expenses=data["monthly_expenses"],
                cause=data["cause"],
                expected_months=data["expected_months"],
                note=data["note"],
            )
            hardship.hardship_plan_propose(
                assessment=assessment,
                user=request.user,
                kind=data["kind"],
                starts_on=data["starts_on"],
                months=data["months"],
                payment=data["payment"],
                extra_months=data["extra_months"] or 0,
            )
        except ValidationError as exc:
            add_service_errors(
                form,
                exc,
                field_map={
                    k: k for k in ("kind", "months", "payment", "extra_months", "monthly_income", "cause")
                },
            )
        else:
            messages.success(request, _("Hardship plan proposed: a collections manager approves it."))
            return redirect("servicing:collections-case", pk=case.pk)
    return _case_page(request, case, hardship_form=form, status=400)


def _plan_case(plan: HardshipPlan) -> CollectionCase | None:
    return CollectionCase.objects.filter(loan=plan.loan_id).order_by("-opened_on", "-id").first()


@post_only(_to_queue)
@login_required
def plan_decide_view(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    _staff(request)
    if decision not in ("approve", "reject"):
        raise Http404(_("No such decision."))
    plan = get_object_or_404(HardshipPlan, pk=pk)
    try:
        if decision == "approve":
            hardship.hardship_plan_approve(plan=plan, user=request.user)
            messages.success(request, _("Hardship plan approved: it runs, and the reminders pause."))
        else:
            hardship.hardship_plan_reject(plan=plan, user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Hardship plan rejected."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    case = _plan_case(plan)
    return (
        redirect("servicing:collections-case", pk=case.pk)
        if case
        else redirect("servicing:collections-queue")
    )


@post_only(_to_queue)
@login_required
def escalation_path_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    escalation = get_object_or_404(Escalation, pk=pk)
    form = EscalationPathForm(request.POST)
    if form.is_valid():
        try:
            escalation_service.escalation_path_set(
                escalation=escalation, path=form.cleaned_data["path"], user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Legal path saved."))
    else:
        messages.error(request, _("Choose one of the paths offered."))
    if escalation.case_id:
        return redirect("servicing:collections-case", pk=escalation.case_id)
    return redirect("servicing:collections-queue")


@login_required
def letters_view(request: HttpRequest) -> HttpResponse:
    """The mail room's collection letters of a business date: one printed letter a page, in the borrower's
    language (the reminders the night handed to the mail room)."""
    _staff(request)
    if not request.user.has_perm("loanregister.view_contact_details"):
        raise PermissionDenied(_("The letters carry names and addresses: you may not see them."))
    raw = request.GET.get("date", "")
    errors = []
    try:
        business_date = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        errors.append(_("Give the date as YYYY-MM-DD."))
        business_date = timezone.localdate()
    reminders = (
        Reminder.objects.filter(business_date=business_date, state=Reminder.State.SENT, channel="letter")
        .select_related("loan", "loan__borrower", "step")
        .order_by("loan__borrower__address", "loan__loan_number", "due_date")
    )
    page = Paginator(reminders, 200).get_page(request.GET.get("page"))
    letters = [(reminder, reminder_message(reminder)) for reminder in page.object_list]
    return render(
        request,
        "servicing/collections/letters.html",
        {"letters": letters, "page": page, "business_date": business_date, "errors": errors},
        status=400 if errors else 200,
    )
