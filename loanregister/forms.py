"""The loan book's forms (the register's filter is a FilterSet, in filters.py)."""

import datetime
import time

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import MoneyField

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


# --- the maturity register's filter form (the FilterSet is in filters.py) -------------------------------------

# How much of a refused value a message repeats: enough to recognise it, never a wall of text.
ECHO_LENGTH = 40
AMOUNT_MAX_LENGTH = 40
DATE_MAX_LENGTH = 40
# The two spellings of a date the register reads, whatever the language: ISO (what <input type="date"> sends)
# and the Danish day.month.year. A filter's address means the same to every reader, so no locale's own.
FILTER_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
OFFICER_OPTIONS_LIMIT = 500
OFFICER_SUGGESTIONS = 5


def echo(value) -> str:
    """A refused value as a message repeats it: stripped, cut to ECHO_LENGTH characters."""
    text = str(value).strip()
    return text if len(text) <= ECHO_LENGTH else text[: ECHO_LENGTH - 1] + "…"


class FilterAmountField(MoneyField):
    """A balance bound of the register's filter: read as every money form reads an amount (common.forms.MoneyField:
    the page's number format, Danish 12,50 and 1.234,56, English 12.50 and 1,234.56; ambiguous separators,
    exponents, NaN, Infinity, a third decimal or more digits than numeric(18, 2) refused), zero and below allowed.
    The input has no maxlength, so that too long a value is refused saying so rather than cut off by the browser."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", None)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) > AMOUNT_MAX_LENGTH:
            raise ValidationError(
                _("An amount has at most %(limit)s characters; this one has %(length)s."),
                code="max_length",
                params={"limit": AMOUNT_MAX_LENGTH, "length": len(value.strip())},
            )
        return super().to_python(value)


def parse_filter_date(text: str) -> datetime.date | None:
    """A date in one of FILTER_DATE_FORMATS, or None."""
    for fmt in FILTER_DATE_FORMATS:
        try:
            parsed = time.strptime(text, fmt)
        except ValueError:
            continue
        return datetime.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


class FilterDateInput(forms.DateInput):
    """`<input type="date">` showing a date typed as 01.03.2026 as the ISO date the browser's picker reads."""

    input_type = "date"

    def format_value(self, value):
        if isinstance(value, str):
            parsed = parse_filter_date(value.strip())
            return parsed.isoformat() if parsed else value
        return super().format_value(value)


class FilterDateField(forms.DateField):
    """A date as ISO (2026-03-01) or day.month.year (01.03.2026) in every language; a refusal repeats the value."""

    widget = FilterDateInput(format="%Y-%m-%d")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", FILTER_DATE_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() not in self.empty_values:
            text = value.strip()
            parsed = parse_filter_date(text) if len(text) <= DATE_MAX_LENGTH else None
            if parsed is not None:
                return parsed
            raise ValidationError(
                _("“%(value)s” is not a date: write it as 2026-03-01 or 01.03.2026."),
                code="invalid",
                params={"value": echo(text)},
            )
        return super().to_python(value)


class StrictNullBooleanField(forms.NullBooleanField):
    """Yes, no or any; anything else is refused instead of read as "any" (which would widen the list)."""

    def to_python(self, value):
        if value in (None, "", "unknown") or value in (True, False):
            return super().to_python(value)
        if str(value).lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return str(value).lower() in ("true", "1", "yes", "on")
        raise ValidationError(
            _("“%(value)s” is not a choice here: choose yes, no or any."),
            code="invalid_choice",
            params={"value": echo(value)},
        )


class DatalistInput(forms.TextInput):
    """A text input with a `<datalist>` of choices the browser offers as one types; any text may still be sent.

    `options` is a callable returning (value, label) pairs; it is called when the input is drawn, never when the
    form only validates (an export does not draw the form)."""

    template_name = "loanregister/widgets/datalist_input.html"

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options = options

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}-options"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["datalist_id"] = list_id
        context["widget"]["options"] = list(self.options())
        return context


def responsible_officers():
    """Users who are the responsible officer of a loan in the register, by user name: each user is an index
    probe of (officer, event_date, id), so the cost is the number of users, not of events. Slice it."""
    from .models import RegisterEvent

    has_events = RegisterEvent.objects.filter(officer_id=OuterRef("pk"))
    return get_user_model().objects.filter(Exists(has_events)).order_by("username")


def officer_options() -> list[tuple[str, str]]:
    """(user name, display name) of the officers the filter offers, at most OFFICER_OPTIONS_LIMIT: the query of
    `responsible_officers` in plain SQL, as every register page reads it (compiling the ORM's EXISTS took more
    time than running it; issue 9, target 1). The display name is Django's `get_full_name`."""
    from .models import RegisterEvent

    user_table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.username, u.first_name, u.last_name FROM {user_table} u"
            f" WHERE EXISTS (SELECT 1 FROM {RegisterEvent._meta.db_table} e WHERE e.officer_id = u.id)"
            " ORDER BY u.username LIMIT %s",
            [OFFICER_OPTIONS_LIMIT],
        )
        return [(username, f"{first} {last}".strip()) for username, first, last in cursor.fetchall()]


def filter_choices_state() -> tuple:
    """What the register filter's office and servicer lists are drawn from, in one plain statement: every office
    and servicer with its id, code, name and active flag. A superset of what the lists offer (the active ones),
    so any change that could change them changes this; the register keeps its drawn filter form under it."""
    from .models import Office

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'office', id, code, name, active FROM {Office._meta.db_table}"
            f" UNION ALL SELECT 'servicer', id, code, name, active FROM {Servicer._meta.db_table}"
            " ORDER BY 1, 2"
        )
        return tuple(cursor.fetchall())


class RegisterFilterForm(forms.Form):
    """The register filter's form (django-filter adds the fields): every value is checked, and a refusal says
    why next to its field; the FilterSet lists nothing while any field is refused."""

    # text fields are refused with a message when too long, never cut off by the browser's maxlength
    _UNLIMITED = ("officer", "q", "currency")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self._UNLIMITED:
            if name in self.fields:
                self.fields[name].widget.attrs.pop("maxlength", None)

    def clean_officer(self):
        """The responsible officer by user name (case-insensitive), as the user; unknown, or a display name or
        part of one, is refused with the officers it might have meant."""
        value = (self.cleaned_data.get("officer") or "").strip()
        if not value:
            return None
        users = get_user_model().objects
        user = users.filter(username=value).first() or (
            users.filter(username__iexact=value).order_by("username").first()
        )
        if user is not None:
            return user
        near = list(
            responsible_officers()
            .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
            .filter(Q(username__icontains=value) | Q(full_name__icontains=value))[:OFFICER_SUGGESTIONS]
        )
        if near:
            raise ValidationError(
                _("No officer has the user name “%(value)s”. Did you mean %(suggestions)s?"),
                code="unknown_officer",
                params={
                    "value": echo(value),
                    "suggestions": ", ".join(
                        f"{u.username} ({u.get_full_name()})" if u.get_full_name() else u.username
                        for u in near
                    ),
                },
            )
        raise ValidationError(
            _(
                "No officer has the user name “%(value)s”. Choose one from the list: the user name, not the name."
            ),
            code="unknown_officer",
            params={"value": echo(value)},
        )

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_to",
                ValidationError(
                    _("The window ends (%(to)s) before it starts (%(from)s): no event can fall in it."),
                    code="window_reversed",
                    params={"from": date_from.isoformat(), "to": date_to.isoformat()},
                ),
            )
        low, high = cleaned.get("balance_min"), cleaned.get("balance_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "balance_max",
                ValidationError(
                    _("“Balance to” is below “Balance from”: no balance can lie between them."),
                    code="balance_reversed",
                ),
            )
        return cleaned


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


# --- retention campaigns (issue 10 item 3) ------------------------------------------------------------------


class CampaignForm(forms.Form):
    """A campaign's name and channel; its register filter comes with the same request (filters.RegisterFilter)."""

    name = forms.CharField(label=_("Campaign name"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("mailing", _("Mailing")), ("phone", _("Phone")), ("email", _("E-mail"))],
        error_messages={"invalid_choice": _("Choose a channel: mailing, phone or e-mail.")},
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the campaign a name."))
        return name


class CampaignExportForm(forms.Form):
    """Which file of a frozen campaign: CSV (comma, or semicolon for a Danish Excel) or XLSX."""

    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
        error_messages={"invalid_choice": _("Choose CSV or XLSX.")},
    )
    dialect = forms.ChoiceField(
        choices=[("plain", "plain"), ("excel_da", "excel_da")],
        required=False,
        error_messages={"invalid_choice": _("Choose the comma or the semicolon CSV.")},
    )


class LeadExportForm(forms.Form):
    """The leads download's format (the filter is the leads page's own, filters.LeadFilter)."""

    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
        error_messages={"invalid_choice": _("Choose CSV or XLSX.")},
    )


class ContactGovernorForm(forms.Form):
    """The contact governor's figures, set by a retention manager (issue 10 item 4b)."""

    max_contacts = forms.IntegerField(
        label=_("Marketing contacts allowed per period"), min_value=0, max_value=100
    )
    period_days = forms.IntegerField(label=_("Period (days)"), min_value=1, max_value=366)
    campaign_gap_days = forms.IntegerField(label=_("Days between campaigns"), min_value=0, max_value=3650)


class CampaignContactForm(LeadContactForm):
    """A contact a retention user made with a member of a frozen campaign (a phone campaign's call): the member's
    loan number, then the contact (its purpose, marketing, and the campaign are set by the service)."""

    loan_number = forms.CharField(label=_("Loan number"), max_length=40)
    field_order = ["loan_number", "channel", "direction", "contacted_on", "outcome", "note"]

    def clean_loan_number(self) -> str:
        number = self.cleaned_data["loan_number"].strip()
        if not number:
            raise ValidationError(_("Give the loan number of a member in the campaign's file."))
        return number
