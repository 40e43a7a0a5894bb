"""The servicing pages' forms: payments, payoff statements, reversals, documents, recovery, escrow, transfers.

They check what a browser sends; the rules of the loan book are the services' (the views pass their
ValidationErrors back onto these forms).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.forms import MoneyField
from loanregister.choices import ContactChannel, ContactDirection, ContactOutcome
from loanregister.models import Loan, Office, Servicer

from .models import EscrowDisbursement, EscrowPayee, LegalCase, LoanDocument
from .models.collections import CollectionCase, Escalation, HardshipAssessment, HardshipPlan
from .payoff import CONFIRM_LARGE_LABEL, payment_check
from .transfers import parse_loan_numbers

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


# ---------------------------------------------------------------- the ledger


class LoanNumberField(forms.CharField):
    """A loan number that must exist; cleans to the loan."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Loan number"))
        kwargs.setdefault("max_length", Loan._meta.get_field("loan_number").max_length)
        super().__init__(**kwargs)

    def clean(self, value):
        number = super().clean(value).strip()
        loan = Loan.objects.filter(loan_number=number).first()
        if loan is None:
            raise ValidationError(_("No loan has the number %(number)s.") % {"number": number})
        return loan


def confirm_large_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=CONFIRM_LARGE_LABEL,
        required=False,
        help_text=gettext_lazy("Needed only when the amount is more than the payoff amount plus the margin."),
    )


class PaymentForm(forms.Form):
    """A payment received, typed by a person: the amount in their language's number format (common.forms),
    dated from the loan's first ledger entry to today, and at most the payoff amount plus the margin unless
    confirmed (servicing.payoff.payment_check)."""

    loan = LoanNumberField()
    amount = MoneyField(label=gettext_lazy("Amount"))
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DATE_WIDGET)
    reference = forms.CharField(
        label=gettext_lazy("Bank reference"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "The payment's id in the bank file: the same reference is never posted twice."
        ),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    confirm_large = confirm_large_field()

    def clean(self):
        data = super().clean()
        if data.get("loan") and data.get("amount") is not None and data.get("received_on"):
            try:
                payment_check(
                    loan=data["loan"],
                    amount=data["amount"],
                    on=data["received_on"],
                    confirmed=data.get("confirm_large", False),
                )
            except ValidationError as error:
                add_service_errors(self, error, field_map={"amount": "amount", "received_on": "received_on"})
        return data


class PayoffForm(forms.Form):
    loan = LoanNumberField()
    as_of = forms.DateField(label=gettext_lazy("As of"), widget=DATE_WIDGET)
    good_through = forms.DateField(label=gettext_lazy("Good through"), widget=DATE_WIDGET)
    requested_by = forms.CharField(
        label=gettext_lazy("Requested by"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Who asked: the borrower, a bank, a lawyer…"),
    )

    def clean(self):
        data = super().clean()
        if data.get("as_of") and data.get("good_through") and data["good_through"] < data["as_of"]:
            self.add_error("good_through", _("The good-through date is before the as-of date."))
        return data


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def add_service_errors(form: forms.Form, error: ValidationError, *, field_map: dict[str, str]) -> None:
    """Put a service's ValidationError on the form's fields (by the map), the rest on the form."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(field_map.get(name), messages_)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------- documents, recovery, escrow


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=LoanDocument.Kind.choices)
    file = forms.FileField(label=gettext_lazy("File"))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."))
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        return upload


class RecoveryForm(forms.Form):
    recovered_on = forms.DateField(
        label=gettext_lazy("Recovered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    recovered_value = MoneyField(label=gettext_lazy("Recovered value"), min_value=Decimal("0"))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    assets_to_pursue = forms.MultipleChoiceField(
        label=gettext_lazy("Other assets to pursue (recourse)"),
        choices=LegalCase.ASSET_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The bounds themselves are recovery_record's (servicing.payoff.payment_check): it needs the loan.
    confirm_large = confirm_large_field()


class DisbursementForm(forms.Form):
    payee = forms.ModelChoiceField(
        label=gettext_lazy("Payee"), queryset=EscrowPayee.objects.filter(active=True)
    )
    amount = MoneyField(label=gettext_lazy("Amount"))
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    frequency = forms.ChoiceField(
        label=gettext_lazy("Frequency"),
        choices=EscrowDisbursement.Frequency.choices,
        initial=EscrowDisbursement.Frequency.ANNUAL,
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)


def form_errors_text(form: forms.Form) -> str:
    """A form's errors on one line (`label: error; …`), for a message on the page the form posted from."""
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


class EscrowPayeeForm(forms.Form):
    """A third party paid from escrow (the insurer, the municipality's property tax), added by servicing staff."""

    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=EscrowPayee._meta.get_field("name").max_length
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EscrowPayee.Kind.choices)
    account = forms.CharField(
        label=gettext_lazy("Payment account"),
        max_length=EscrowPayee._meta.get_field("account").max_length,
        required=False,
        help_text=gettext_lazy("IBAN, reg. and account no., or FI creditor"),
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=EscrowPayee._meta.get_field("reference").max_length,
        required=False,
        help_text=gettext_lazy("What the payee needs on each payment, e.g. the policy number."),
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_account(self) -> str:
        account = " ".join(self.cleaned_data["account"].upper().split())
        if not re.fullmatch(r"[A-Z0-9 +<>/-]*", account):
            raise ValidationError(
                _("Only letters, digits, spaces and + < > / - belong in a payment account."),
                code="characters",
            )
        compact = account.replace(" ", "")
        if re.match(r"[A-Z]{2}[0-9]{2}", compact) and not _iban_valid(compact):
            raise ValidationError(
                _("This IBAN is not valid: check it against the payee's letter."), code="iban"
            )
        return account

    def clean(self):
        data = super().clean()
        name, account = data.get("name"), data.get("account", "")
        if name and EscrowPayee.objects.filter(name__iexact=name, account=account, active=True).exists():
            raise ValidationError(
                _("%(name)s is a payee already, with the same payment account.") % {"name": name},
                code="duplicate",
            )
        return data


def _iban_valid(iban: str) -> bool:
    """ISO 13616: 15 to 34 characters, and the number (letters as 10..35, the first four moved last) mod 97 is 1."""
    if not 15 <= len(iban) <= 34 or not iban.isalnum():
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


# ---------------------------------------------------------------- servicing transfers


class TransferForm(forms.Form):
    to_servicer = forms.ModelChoiceField(
        label=gettext_lazy("New servicer"), queryset=Servicer.objects.filter(active=True)
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    loan_numbers = forms.CharField(
        label=gettext_lazy("Loan numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One a line, or separated by commas. Or leave empty and choose whose loans move."
        ),
    )
    from_servicer = forms.ModelChoiceField(
        label=gettext_lazy("All active loans of servicer"), queryset=Servicer.objects.all(), required=False
    )
    office = forms.ModelChoiceField(
        label=gettext_lazy("Only of office"), queryset=Office.objects.all(), required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)

    def describe_fields(self) -> None:
        """Tie each input to its help text and its errors for screen readers (WCAG 1.3.1, 3.3.1)."""
        for name, field in self.fields.items():
            ids = []
            if field.help_text:
                ids.append(f"id_{name}-help")
            if name in self.errors:
                ids.append(f"id_{name}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self):
        data = super().clean()
        numbers = parse_loan_numbers(data.get("loan_numbers") or "")
        data["loan_numbers"] = numbers
        if numbers and (data.get("from_servicer") or data.get("office")):
            raise ValidationError(_("Give loan numbers or a servicer/office to move from, not both."))
        if not numbers and not data.get("from_servicer") and not data.get("office"):
            self.add_error("loan_numbers", _("Give loan numbers, or a servicer or office to move from."))
        return data


# ---------------------------------------------------------------- collections (issue 11; COL-3, COL-4, COL-5)


class CollectionsContactForm(forms.Form):
    """A collector's contact with the borrower (COL-3), and a promise to pay when one was made."""

    channel = forms.ChoiceField(label=gettext_lazy("How"), choices=ContactChannel.choices)
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"), choices=ContactDirection.choices, initial=ContactDirection.OUT
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=ContactOutcome.choices)
    contacted_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    promise_amount = MoneyField(
        label=gettext_lazy("Promised amount"), required=False, min_value=Decimal("0.01")
    )
    promise_due_on = forms.DateField(label=gettext_lazy("Promised by"), required=False, widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        amount, due_on = data.get("promise_amount"), data.get("promise_due_on")
        if (amount is None) != (due_on is None) and not self.errors:
            field = "promise_due_on" if due_on is None else "promise_amount"
            self.add_error(field, _("A promise to pay needs both the amount and the date."))
        contacted_on = data.get("contacted_on")
        if contacted_on and contacted_on > timezone.localdate():
            self.add_error("contacted_on", _("A contact cannot be in the future."))
        return data


class NextActionForm(forms.Form):
    next_action = forms.ChoiceField(
        label=gettext_lazy("Next action"), choices=CollectionCase.NextAction.choices, required=False
    )
    next_action_on = forms.DateField(label=gettext_lazy("On"), required=False, widget=DATE_WIDGET)


class CaseAssignForm(forms.Form):
    collector = forms.ChoiceField(label=gettext_lazy("Collector"), required=False)

    def __init__(self, *args, collectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].choices = [("", gettext_lazy("Nobody (unassigned)"))] + [
            (user.username, user.get_full_name() or user.username) for user in collectors
        ]


class HardshipForm(forms.Form):
    """The assessment (COL-4) and the plan the collector proposes, in one form."""

    monthly_income = MoneyField(label=gettext_lazy("Monthly income"), min_value=Decimal("0"))
    monthly_expenses = MoneyField(label=gettext_lazy("Monthly expenses"), min_value=Decimal("0"))
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=HardshipAssessment.Cause.choices)
    expected_months = forms.IntegerField(
        label=gettext_lazy("Expected duration (months)"), min_value=1, max_value=120
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Plan"), choices=HardshipPlan.Kind.choices)
    starts_on = forms.DateField(label=gettext_lazy("First due date"), widget=DATE_WIDGET)
    months = forms.IntegerField(label=gettext_lazy("Months"), min_value=1, max_value=60)
    payment = MoneyField(
        label=gettext_lazy("Payment per month"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=gettext_lazy("For reduced payments."),
    )
    extra_months = forms.IntegerField(
        label=gettext_lazy("Term extended by (months)"),
        required=False,
        min_value=1,
        max_value=360,
        help_text=gettext_lazy("For an extended term."),
    )


class EscalationPathForm(forms.Form):
    path = forms.ChoiceField(label=gettext_lazy("Path"), choices=Escalation.Path.choices)
