"""The loan book's forms (the register's filter is a FilterSet, in filters.py)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import LeadStatus
from .models import ContactLog, Servicer


class LoanImportForm(forms.Form):
    """The import_loans contract's file, uploaded on the admin's import page."""

    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon delimited"))


class ServicerForm(forms.ModelForm):
    """A servicer in admin. Only one can be our own (a database constraint); a second is refused here, on the
    field, naming the one that is."""

    class Meta:
        model = Servicer
        fields = ["code", "name", "is_own", "active"]

    def clean_is_own(self) -> bool:
        is_own = self.cleaned_data["is_own"]
        if is_own:
            current = Servicer.objects.filter(is_own=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                raise forms.ValidationError(
                    _(
                        "Only one servicer can be our own, and %(name)s (%(code)s) already is. To make this one "
                        "our own, untick %(code)s first."
                    ),
                    code="one_own",
                    params={"name": current.name, "code": current.code},
                )
        return is_own


# --- leads (REG-2): a contact logged on a lead, a status change, a reassignment, the radar's dry run ----------


class LeadContactForm(forms.ModelForm):
    """A contact an officer made on a lead (the contact log; its purpose is marketing, set by the service)."""

    class Meta:
        model = ContactLog
        fields = ["channel", "direction", "contacted_on", "outcome", "note"]
        widgets = {
            "contacted_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacted_on"].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]
        if not self.is_bound:
            self.initial.setdefault("contacted_on", timezone.localdate())
            self.initial.setdefault("direction", "out")

    def clean_contacted_on(self):
        day = self.cleaned_data["contacted_on"]
        if day > timezone.localdate():
            raise ValidationError(_("A contact cannot be logged for a day still to come."))
        return day


class LeadStatusForm(forms.Form):
    """The status a lead moves to (the service says whether it may), with an optional word on why."""

    status = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices)
    note = forms.CharField(label=_("Why (optional)"), max_length=100, required=False)


class LeadReassignForm(forms.Form):
    """Whom a sales manager gives a lead (or a filter's worth of leads); empty: the unassigned queue."""

    # not `officer`: the list's reassignment posts its filter, whose `officer` field is another thing
    assignee = forms.ModelChoiceField(
        label=_("Give to"),
        queryset=None,
        required=False,
        empty_label=_("The unassigned queue"),
    )

    def __init__(self, *args, **kwargs):
        from .leads.work import lead_assignable_officers

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = lead_assignable_officers()
        self.fields["assignee"].label_from_instance = _officer_label


def _officer_label(user) -> str:
    name = user.get_full_name() or user.username
    profile = getattr(user, "staff_profile", None)
    return f"{name} ({user.username}, {profile.office.code})" if profile else f"{name} ({user.username})"


class RadarPreviewForm(forms.Form):
    """The business date whose radar run the operator page shows (default today)."""

    date = forms.DateField(
        label=_("Business date"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
