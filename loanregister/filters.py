"""The register's filters (django-filter). Used by `register.py`; views never filter by hand.

No filter renders a whole related table into a dropdown (django-filter #442, #1143): offices and servicers
are small tables and only their active rows are offered; the officer is a username typed in (a `<datalist>`
offers the responsible officers), or "only my loans"; everything else filters the columns copied onto
RegisterEvent, which the keyset index carries (INCLUDE).

Every value is checked by the form (`forms.RegisterFilterForm` and its fields): a refused one says why next to
its field, and the list is empty while any is refused, never widened by dropping the bad field.
"""

import copy

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django_filters.filters import FilterMethod

from .choices import LeadEvent, LeadStatus, LoanStatus, LoanType, RegisterEventKind
from .forms import (
    DatalistInput,
    FilterAmountField,
    FilterDateField,
    RegisterFilterForm,
    StrictNullBooleanField,
    officer_options,
)
from .models import BORROWER_NAME_SEARCH_TABLE, Lead, Loan, Office, RegisterEvent, Servicer

YES_NO_ANY = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


def _active_offices(request) -> QuerySet:
    return Office.objects.filter(active=True).only("id", "code", "name").order_by("code")


def _active_servicers(request) -> QuerySet:
    return Servicer.objects.filter(active=True).only("id", "code", "name").order_by("name")


class _FetchedChoices(django_filters.fields.ModelChoiceIterator):
    """A small table's choices read by one plain SELECT, kept in the field's queryset for the request: Django's
    iterator declares a server-side cursor (DECLARE … WITH HOLD, then FETCH and CLOSE) each time it is drawn."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset:
            yield self.choice(obj)

    def __len__(self):
        extra = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self.queryset) + extra


class FetchedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _FetchedChoices


class FetchedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = FetchedModelChoiceField


class DateFilter(django_filters.DateFilter):
    field_class = FilterDateField  # ISO or 01.03.2026, whatever the language


class AmountFilter(django_filters.NumberFilter):
    field_class = (
        FilterAmountField  # read as every money form reads an amount; ambiguous or absurd ones refused
    )


class YesNoFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField  # "bogus" is refused, not read as "any"


def _not_a_choice(what):
    return {"invalid_choice": what}


class _FiltersCopiedShallow(dict):
    """A FilterSet's `base_filters` whose deep copy (what django-filter makes for every FilterSet it builds) is a
    copy of each filter, not of everything each filter holds: a filter's choices, labels, widget and validators
    are only read, and the form class is built once (`RegisterFilter.get_form_class`), so nothing of them is
    changed per request. Each copy gets its own parent (the FilterSet, which the library sets) and, for a
    `method=` filter, its own FilterMethod, which would otherwise call the original filter's parent. 0.7 ms of
    every register page (issue 9, target 1)."""

    def __deepcopy__(self, memo) -> dict:
        copies = {}
        for name, original in self.items():
            filter_ = copy.copy(original)
            if isinstance(original.__dict__.get("filter"), FilterMethod):
                filter_.filter = FilterMethod(filter_)
            copies[name] = filter_
        return copies


class _FieldsCopiedLight(dict):
    """The register filter form's `base_fields`, whose deep copy (what every Django form makes of them) copies
    each field, its widget, the widget's attrs, the field's error messages and validators, but shares its choices.
    Django deep-copies every choice and its lazily translated label for every form: 1.5 ms of CPU of every
    register page (issue 9, target 1), and the choices are only read. A model choice field gets a queryset of its
    own, as Django's copy gives it. Setting a field's choices or queryset on a form replaces them on that form's
    copy alone. A field made of fields (`MultiValueField`) is copied as Django copies it."""

    def __deepcopy__(self, memo) -> dict:
        copies = {}
        for name, field in self.items():
            if isinstance(field, forms.MultiValueField) or isinstance(field.widget, forms.MultiWidget):
                copies[name] = copy.deepcopy(field, memo)
                continue
            copied = copy.copy(field)
            copied.widget = copy.copy(field.widget)
            copied.widget.attrs = field.widget.attrs.copy()
            copied.error_messages = field.error_messages.copy()
            copied.validators = field.validators[:]
            if isinstance(field, forms.ModelChoiceField):
                # a queryset of its own, as Django's copy gives: its rows are fetched once per form (_FetchedChoices)
                copied.queryset = field.queryset.all()
            copies[name] = copied
        return copies


class RegisterFilter(django_filters.FilterSet):
    date_from = DateFilter(field_name="event_date", lookup_expr="gte", label=_("From (inclusive)"))
    date_to = DateFilter(field_name="event_date", lookup_expr="lte", label=_("To (inclusive)"))
    kind = django_filters.MultipleChoiceFilter(
        choices=RegisterEventKind.choices,
        label=_("Event"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one row per event already: DISTINCT would force a sort of the whole filtered set
        error_messages=_not_a_choice(_("“%(value)s” is not an event: choose among the boxes.")),
    )
    loan_type = django_filters.MultipleChoiceFilter(
        choices=LoanType.choices,
        label=_("Loan type"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
        error_messages=_not_a_choice(_("“%(value)s” is not a loan type: choose among the boxes.")),
    )
    office = FetchedModelChoiceFilter(
        queryset=_active_offices,
        label=_("Office"),
        empty_label=_("All offices"),
        error_messages=_not_a_choice(_("No active office has the id “%(value)s”: choose one from the list.")),
    )
    officer = django_filters.CharFilter(
        method="filter_officer",
        label=_("Officer (user name)"),
        max_length=150,
        widget=DatalistInput(officer_options, attrs={"autocomplete": "off"}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Only my loans"), widget=forms.CheckboxInput
    )
    servicer = FetchedModelChoiceFilter(
        queryset=_active_servicers,
        label=_("Servicer"),
        empty_label=_("All servicers"),
        error_messages=_not_a_choice(
            _("No active servicer has the id “%(value)s”: choose one from the list.")
        ),
    )
    currency = django_filters.CharFilter(
        method="filter_currency",
        label=_("Currency"),
        max_length=3,
        validators=[
            RegexValidator(
                r"^[A-Za-z]{3}$",
                _("A currency is a three-letter code, such as DKK or EUR."),
                code="invalid_currency",
            )
        ],
        widget=forms.TextInput(attrs={"size": 3, "placeholder": "DKK", "autocomplete": "off"}),
    )
    balance_min = AmountFilter(
        field_name="outstanding_balance", lookup_expr="gte", label=_("Balance from (loan currency)")
    )
    balance_max = AmountFilter(
        field_name="outstanding_balance", lookup_expr="lte", label=_("Balance to (loan currency)")
    )
    recourse = YesNoFilter(label=_("Recourse"), widget=forms.Select(choices=YES_NO_ANY))
    # the loan's collections state (DESIGN.md section 5): the aggregate does not answer it, the exact path does
    in_collections = YesNoFilter(
        field_name="loan__in_collections", label=_("In collections"), widget=forms.Select(choices=YES_NO_ANY)
    )
    status = django_filters.ChoiceFilter(
        choices=LoanStatus.choices,
        label=_("Loan status"),
        empty_label=_("Any status"),
        error_messages=_not_a_choice(_("“%(value)s” is not a loan status: choose one from the list.")),
    )
    q = django_filters.CharFilter(
        method="filter_search", label=_("Loan number or borrower name"), max_length=200
    )

    class Meta:
        model = RegisterEvent
        fields: list[str] = []
        form = RegisterFilterForm

    _form_class: type[RegisterFilterForm] | None = None

    def get_form_class(self) -> type[RegisterFilterForm]:
        """The form class, built once per process: django-filter builds it, with a new field for every filter,
        on every request (a millisecond of every register page; issue 9, target 1). Nothing in it depends on the
        request: each form deep-copies its fields, and a choice field's queryset is copied unevaluated, so the
        offices and servicers offered are read afresh for each form."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            form_class = super().get_form_class()
            form_class.base_fields = _FieldsCopiedLight(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    def filter_officer(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # The form resolved the user name to the user (or refused it), so the event query filters one indexed
        # column (officer_id, event_date, id).
        return queryset.filter(officer_id=value.pk)

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(officer_id=user.pk)

    def filter_currency(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(currency=value.strip().upper())

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """A loan number (exact, else prefix) or part of a borrower's name (case-insensitive).

        An exact loan number (a customer on the phone) narrows to that loan through its unique index. Otherwise
        loan-number prefixes use the loan number's pattern index and names `borrowers_named`.
        """
        term = value.strip()
        if not term:
            return queryset
        exact = Loan.objects.filter(loan_number=term).values_list("id", flat=True).first()
        if exact is not None:
            return queryset.filter(loan_id=exact)
        loans = Loan.objects.filter(loan_number__startswith=term)
        borrowers = borrowers_named(term)
        if not loans.exists():
            # A name (no loan number starts so; one index probe to know): the borrowers alone, which PostgreSQL can
            # join to their events. With the OR it read every event of the window against both lists: a rare
            # name took 98 ms instead of 0.3, "jensen" 153 instead of 20 (a million loans; docs/benchmarks.md).
            return queryset.filter(borrower_id__in=borrowers)
        return queryset.filter(Q(loan_id__in=loans.values("id")) | Q(borrower_id__in=borrowers))


RegisterFilter.base_filters = _FiltersCopiedShallow(RegisterFilter.base_filters)


def borrowers_named(term: str) -> RawSQL:
    """The ids of the borrowers whose name contains `term` in any case, as `Borrower.objects.filter(
    name__icontains=term).values("id")` finds them, read from the narrow table of upper-cased names (migration 0027)
    and its trigram index: a common surname's candidates are rechecked in a table a third as wide as the
    borrowers' (at a million loans "jensen" took 106 ms, now 22; a first view of the search 143 ms, now 77-89)."""
    pattern = f"%{connection.ops.prep_for_like_query(term)}%"
    return RawSQL(
        f"SELECT n.borrower_id FROM {BORROWER_NAME_SEARCH_TABLE} n WHERE n.name LIKE UPPER(%s)", [pattern]
    )


# --- leads (REG-2): the "My leads" page and the sales manager's reassignment by filter -----------------------


class LeadFilter(django_filters.FilterSet):
    """The leads page's filter. `status` is applied apart (`leads.pages`), so that the counts per status are
    those of the other filters; `officer` is a username, or `-` for the unassigned queue (sales managers)."""

    UNASSIGNED = "-"

    status = django_filters.MultipleChoiceFilter(
        choices=LeadStatus.choices, widget=forms.CheckboxSelectMultiple, label=_("Status")
    )
    event = django_filters.ChoiceFilter(choices=LeadEvent.choices, empty_label=_("Any"), label=_("Event"))
    office = django_filters.ModelChoiceFilter(
        field_name="loan__office", queryset=_active_offices, empty_label=_("Any"), label=_("Office")
    )
    officer = django_filters.CharFilter(
        method="filter_officer",
        label=_("Officer"),
        help_text=_("A user name, or - for the unassigned queue."),
        validators=[
            RegexValidator(r"^[-\w.@+]{1,150}$", _("Give a user name, or - for the unassigned queue."))
        ],
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_officer(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value == self.UNASSIGNED:
            return queryset.filter(officer__isnull=True)
        return queryset.filter(officer__username=value) if value else queryset
