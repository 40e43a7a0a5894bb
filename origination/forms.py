"""The origination forms: intake, documents, the workflow's steps, terms, messages. Amounts, rates and prices are
read by common.forms.MoneyField (the user's number format); every refusal says what is wrong."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.forms import MoneyField
from loanregister.choices import ContactChannel, ContactDirection, PropertyCategory
from loanregister.models import Office
from loanregister.privacy import normalize_national_id

from .models import ChecklistItem, Product, Recommendation


def _national_id(value: str) -> str:
    try:
        return normalize_national_id(value)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from exc


class ApplicationForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(), to_field_name="code")
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(active=True), to_field_name="code"
    )
    name_1 = forms.CharField(label=_("Applicant: name"), max_length=200)
    national_id_1 = forms.CharField(label=_("Applicant: CPR number"), max_length=11)
    income_1 = MoneyField(label=_("Applicant: yearly income"), min_value=Decimal("0"))
    debts_1 = MoneyField(label=_("Applicant: existing debts"), min_value=Decimal("0"), required=False)
    email_1 = forms.EmailField(label=_("Applicant: e-mail"), required=False)
    phone_1 = forms.CharField(label=_("Applicant: phone"), max_length=40, required=False)
    address_1 = forms.CharField(label=_("Applicant: address"), max_length=300, required=False)
    name_2 = forms.CharField(label=_("Co-applicant: name"), max_length=200, required=False)
    national_id_2 = forms.CharField(label=_("Co-applicant: CPR number"), max_length=11, required=False)
    income_2 = MoneyField(label=_("Co-applicant: yearly income"), min_value=Decimal("0"), required=False)
    debts_2 = MoneyField(label=_("Co-applicant: existing debts"), min_value=Decimal("0"), required=False)
    requested_amount = MoneyField(label=_("Requested amount"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)
    property_id = forms.CharField(label=_("Property id (BFE)"), max_length=40, required=False)
    property_address = forms.CharField(label=_("Property address"), max_length=300, required=False)
    property_category = forms.ChoiceField(
        label=_("Property category"), choices=[("", "—"), *PropertyCategory.choices], required=False
    )
    property_valuation = MoneyField(label=_("Property valuation"), required=False)
    credit_score = forms.IntegerField(label=_("Credit score"), min_value=0, max_value=999, required=False)

    def __init__(self, *args, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices if offices is not None else Office.objects.none()

    def clean_national_id_1(self) -> str:
        return _national_id(self.cleaned_data["national_id_1"])

    def clean_national_id_2(self) -> str:
        value = self.cleaned_data.get("national_id_2", "")
        return _national_id(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        second = [data.get(f) for f in ("name_2", "national_id_2", "income_2")]
        if any(second) and not all(v not in (None, "") for v in second):
            raise ValidationError(_("A co-applicant needs a name, a CPR number and a yearly income."))
        product = data.get("product")
        if product is not None and product.secured_by_property:
            for field in ("property_id", "property_category"):
                if not data.get(field):
                    self.add_error(field, _("This product is secured by a property: give it."))
        return data


class DocumentUploadForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Checklist item"), queryset=ChecklistItem.objects.none())
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most %(mb)s MB.")
        % {"mb": settings.ORIGINATION_DOCUMENT_MAX_BYTES // (1024 * 1024)},
    )

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        if product is not None:
            self.fields["item"].queryset = product.checklist.all()


class DocumentCheckForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Check"), choices=[("verified", _("Verified")), ("rejected", _("Rejected"))]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason or note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RecommendForm(forms.Form):
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Recommendation.choices)
    reasons = forms.CharField(label=_("Reasons"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class TermsForm(forms.Form):
    amount = MoneyField(label=_("Approved amount"))
    interest_rate = MoneyField(
        label=_("Annual interest rate (%)"),
        decimal_places=6,
        max_digits=9,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    bond_price = MoneyField(
        label=_("Bond price (kurs)"),
        decimal_places=4,
        max_digits=9,
        max_value=Decimal("200"),
        initial=Decimal("100"),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("decline", _("Decline"))]
    )
    reasons = forms.CharField(label=_("Reasons"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = MoneyField(label=_("Approved amount"), required=False)
    interest_rate = MoneyField(
        label=_("Annual interest rate (%)"),
        decimal_places=6,
        max_digits=9,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
    )
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600, required=False)
    bond_price = MoneyField(
        label=_("Bond price (kurs)"), decimal_places=4, max_digits=9, max_value=Decimal("200"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve":
            for field in ("amount", "interest_rate", "term_months", "bond_price"):
                if data.get(field) in (None, ""):
                    self.add_error(field, _("An approval needs this term."))
        return data


class MessageForm(forms.Form):
    applicant = forms.TypedChoiceField(label=_("With"), coerce=int, choices=[])
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=ContactDirection.choices)
    note = forms.CharField(
        label=_("What was said"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, applicants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant"].choices = [(a.pk, a.borrower.name) for a in applicants]
