"""An application's page, intake, and the workflow's actions: each a POST that calls one service, whose refusal
is shown as a message on the application's page (the service decides, never the template)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.decorators import post_only
from loanregister.models import Office

from .. import services
from ..access import applications_visible_to, sees_every_office, staff_office
from ..forms import (
    ApplicationForm,
    DecideForm,
    DocumentCheckForm,
    DocumentUploadForm,
    MessageForm,
    ReasonForm,
    RecommendForm,
    RequiredReasonForm,
    TermsForm,
)
from ..funding import application_fund
from ..models import Application, ApplicationDocument
from ..selectors import application_context
from ..services import ApplicantData, Refused, Terms

VIEW = "origination.view_application"


def _application(request: HttpRequest, number: str) -> Application:
    """The application if the user may see it (their office's, or any at the home office); 404 otherwise."""
    application = (
        applications_visible_to(request.user)
        .select_related("office", "product", "loan")
        .filter(number=number)
        .first()
    )
    if application is None:
        raise Http404(_("No application %(number)s that you may see.") % {"number": number[:20]})
    return application


def _page(request: HttpRequest, application: Application, **forms) -> HttpResponse:
    context = application_context(user=request.user, application=application)
    applicants = [row["applicant"] for row in context["applicants"]]
    context["forms"] = {
        "upload": DocumentUploadForm(product=application.product),
        "check": DocumentCheckForm(),
        "note": ReasonForm(),
        "withdraw": RequiredReasonForm(),
        "recommend": RecommendForm(),
        "decide": DecideForm(
            initial={
                "amount": application.requested_amount,
                "term_months": application.term_months,
            }
        ),
        "terms": TermsForm(
            initial={
                "amount": application.approved_amount,
                "interest_rate": application.interest_rate,
                "term_months": application.approved_term_months,
                "bond_price": application.bond_price,
            }
        ),
        "message": MessageForm(applicants=applicants),
        **forms,
    }
    status = 400 if forms else 200
    return render(request, "origination/application.html", context, status=status)


@require_GET
@permission_required(VIEW, raise_exception=True)
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, _application(request, number))


def _offices_for(user):
    office = staff_office(user)
    if sees_every_office(user, office):
        return Office.objects.filter(active=True).order_by("code")
    return Office.objects.filter(pk=office.pk, active=True) if office else Office.objects.none()


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("origination.take_application", raise_exception=True)
def application_new(request: HttpRequest) -> HttpResponse:
    offices = _offices_for(request.user)
    own = staff_office(request.user)
    if request.method == "POST":
        form = ApplicationForm(request.POST, offices=offices)
        if form.is_valid():
            data = form.cleaned_data
            applicants = [
                ApplicantData(
                    name=data["name_1"],
                    national_id=data["national_id_1"],
                    yearly_income=data["income_1"],
                    debts=data["debts_1"] or 0,
                    email=data["email_1"],
                    phone=data["phone_1"],
                    address=data["address_1"],
                )
            ]
            if data["name_2"]:
                applicants.append(
                    ApplicantData(
                        name=data["name_2"],
                        national_id=data["national_id_2"],
                        yearly_income=data["income_2"],
                        debts=data["debts_2"] or 0,
                    )
                )
            try:
                application = services.application_create(
                    user=request.user,
                    office=data["office"],
                    product=data["product"],
                    applicants=applicants,
                    requested_amount=data["requested_amount"],
                    term_months=data["term_months"],
                    purpose=data["purpose"],
                    property_id=data["property_id"],
                    property_address=data["property_address"],
                    property_category=data["property_category"],
                    property_valuation=data["property_valuation"],
                    credit_score=data["credit_score"],
                )
            except Refused as refusal:
                form.add_error(None, refusal.message)
            except ValidationError as invalid:
                form.add_error(None, " ".join(invalid.messages))
            else:
                messages.success(
                    request, _("Application %(number)s received.") % {"number": application.number}
                )
                return redirect("origination:application", number=application.number)
        status = 400
    else:
        form = ApplicationForm(offices=offices, initial={"office": own.code if own else None})
        status = 200
    return render(
        request, "origination/application_new.html", {"form": form, "offices": offices}, status=status
    )


def _act(
    request: HttpRequest, number: str, form_class, action: Callable, done: str, form_kwargs=None
) -> HttpResponse:
    """Run one action on the application: the form's errors or the service's refusal are shown on its page."""
    application = _application(request, number)
    form = form_class(request.POST, request.FILES, **(form_kwargs(application) if form_kwargs else {}))
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
            for f, e in form.errors.items()
        )
        messages.error(request, _("Not done: %(errors)s") % {"errors": errors})
        return redirect("origination:application", number=number)
    try:
        action(application, form.cleaned_data)
    except Refused as refusal:
        messages.error(request, refusal.message)
    except ValidationError as invalid:
        messages.error(request, _("Not done: %(errors)s") % {"errors": " ".join(invalid.messages)})
    else:
        messages.success(request, done)
    return redirect("origination:application", number=number)


@post_only("origination:application")
def documents_request(request, number):
    return _act(
        request,
        number,
        ReasonForm,
        lambda a, d: services.application_documents_request(
            application=a, user=request.user, note=d["reason"]
        ),
        _("The applicant is asked for the documents."),
    )


@post_only("origination:application")
def document_upload(request, number):
    return _act(
        request,
        number,
        DocumentUploadForm,
        lambda a, d: services.application_document_add(
            application=a, item=d["item"], upload=d["file"], user=request.user
        ),
        _("Document stored."),
        form_kwargs=lambda a: {"product": a.product},
    )


@post_only(lambda request, number, pk: reverse("origination:application", args=[number]))
def document_check(request, number, pk):
    def check(application, data):
        document = get_object_or_404(ApplicationDocument, pk=pk, application=application)
        services.application_document_check(
            document=document, user=request.user, verified=data["verdict"] == "verified", note=data["note"]
        )

    return _act(request, number, DocumentCheckForm, check, _("Document checked."))


@post_only("origination:application")
def complete(request, number):
    return _act(
        request,
        number,
        ReasonForm,
        lambda a, d: services.application_complete(application=a, user=request.user, note=d["reason"]),
        _("The application is complete."),
    )


@post_only("origination:application")
def underwriting(request, number):
    return _act(
        request,
        number,
        ReasonForm,
        lambda a, d: services.application_underwriting_check(
            application=a, user=request.user, note=d["reason"]
        ),
        _("Checked against the product's underwriting standards."),
    )


@post_only("origination:application")
def recommend(request, number):
    return _act(
        request,
        number,
        RecommendForm,
        lambda a, d: services.application_recommend(
            application=a, user=request.user, recommendation=d["recommendation"], reasons=d["reasons"]
        ),
        _("Recommendation recorded."),
    )


def _terms(data) -> Terms:
    return Terms(
        amount=data["amount"],
        interest_rate=data["interest_rate"],
        term_months=data["term_months"],
        bond_price=data["bond_price"],
    )


@post_only("origination:application")
def decide(request, number):
    return _act(
        request,
        number,
        DecideForm,
        lambda a, d: services.application_decide(
            application=a,
            user=request.user,
            approve=d["decision"] == "approve",
            reasons=d["reasons"],
            terms=_terms(d) if d["decision"] == "approve" else None,
        ),
        _("Decision recorded."),
    )


@post_only("origination:application")
def terms(request, number):
    return _act(
        request,
        number,
        TermsForm,
        lambda a, d: services.application_terms_set(
            application=a, user=request.user, terms=_terms(d), reason=d["reason"]
        ),
        _("Terms saved."),
    )


@post_only("origination:application")
def fund(request, number):
    def do(application, data):
        loan = application_fund(application=application, user=request.user)
        messages.success(request, _("Loan %(loan)s booked and disbursed.") % {"loan": loan.loan_number})

    return _act(request, number, ReasonForm, do, _("Funded."))


@post_only("origination:application")
def withdraw(request, number):
    return _act(
        request,
        number,
        RequiredReasonForm,
        lambda a, d: services.application_withdraw(application=a, user=request.user, reason=d["reason"]),
        _("The application is withdrawn."),
    )


@post_only("origination:application")
def message(request, number):
    def add(application, data):
        applicant = get_object_or_404(application.applicants.select_related("borrower"), pk=data["applicant"])
        services.application_message_add(
            application=application,
            applicant=applicant,
            user=request.user,
            channel=data["channel"],
            direction=data["direction"],
            note=data["note"],
        )

    return _act(
        request,
        number,
        MessageForm,
        add,
        _("Message logged."),
        form_kwargs=lambda a: {"applicants": list(a.applicants.select_related("borrower"))},
    )
