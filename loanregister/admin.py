from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import BigTableAdmin, CurrencyListFilter, IndexedValuesListFilter, ReadOnlyAdmin

from . import register_sums
from .forms import DATE_MAX_LENGTH, LoanImportForm, ServicerForm, parse_filter_date
from .loan_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, loans_import
from .models import (
    Borrower,
    Campaign,
    CampaignMember,
    ContactGovernor,
    ContactLog,
    ConversionRule,
    Lead,
    LeadDigest,
    Loan,
    OfferedRate,
    Office,
    Property,
    RadarHorizon,
    RegisterDaySum,
    RegisterEvent,
    Servicer,
    ServicerAssignment,
    StaffProfile,
    UserPreference,
)
from .privacy import contact_for, national_id_for
from .services import register_events_sync


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "branch_capacity",
        "branch_capacity_granted_on",
        "default_officer",
        "active",
    ]
    list_filter = ["kind", "branch_capacity", "active"]
    search_fields = ["code", "name", "address"]
    list_select_related = ["default_officer"]
    raw_id_fields = ["default_officer"]  # the radar's fallback owner (docs/leads.md)


@admin.register(Servicer)
class ServicerAdmin(admin.ModelAdmin):
    form = ServicerForm  # only one servicer can be our own
    list_display = ["code", "name", "is_own", "active"]
    list_filter = ["is_own", "active"]
    search_fields = ["code", "name"]


@admin.register(Borrower)
class BorrowerAdmin(BigTableAdmin, SimpleHistoryAdmin):
    list_filter = ["do_not_contact", "preferred_language"]
    search_fields = ["name"]  # widened per user in get_search_fields; any part of the name (trigram index)
    search_help_text = _(
        "Any part of the name; with the permissions, a whole CPR/CVR number or an e-mail's start."
    )
    sortable_by = ["name"]
    history_list_display = ["do_not_contact"]

    def get_search_fields(self, request):
        # Searching by exact CPR would confirm who is in the book even where the number is shown masked.
        fields = ["name"]
        if request.user.has_perm("loanregister.view_national_id"):
            fields.append("national_id__exact")
        if request.user.has_perm("loanregister.view_contact_details"):
            fields.append("email__startswith")
        return fields

    def get_list_display(self, request):
        user = request.user

        @admin.display(description=_("national id"))
        def national_id(obj: Borrower) -> str:
            return national_id_for(user, obj.national_id)

        return ["name", national_id, "preferred_language", "do_not_contact"]

    def get_fields(self, request, obj=None):
        stand_ins = ("masked_id", "masked_contact")
        fields = [f for f in super().get_fields(request, obj) if f not in stand_ins]
        if not request.user.has_perm("loanregister.view_national_id"):
            fields = [f for f in fields if f != "national_id"] + ["masked_id"]
        if not request.user.has_perm("loanregister.view_contact_details"):
            fields = [f for f in fields if f not in ("email", "phone", "address")] + ["masked_contact"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        # The masked stand-ins only for users who may not see the real values; others edit the real fields.
        readonly = []
        if not request.user.has_perm("loanregister.view_national_id"):
            readonly.append("masked_id")
        if not request.user.has_perm("loanregister.view_contact_details"):
            readonly.append("masked_contact")
        return readonly

    @admin.display(description=_("national id"))
    def masked_id(self, obj: Borrower) -> str:
        return national_id_for(None, obj.national_id) if obj else ""

    @admin.display(description=_("contact details"))
    def masked_contact(self, obj: Borrower) -> str:
        if not obj:
            return ""
        return f"{contact_for(None, obj.email, 'email')} {contact_for(None, obj.phone, 'phone')}"


class JurisdictionListFilter(IndexedValuesListFilter):
    title = _("jurisdiction")
    parameter_name = "jurisdiction__exact"
    field_name = "jurisdiction"


@admin.register(Property)
class PropertyAdmin(BigTableAdmin):
    list_display = ["property_id", "address", "category", "jurisdiction"]
    list_filter = ["category", JurisdictionListFilter]
    search_fields = ["property_id__startswith", "address__startswith"]
    search_help_text = _("The start of the BFE number or of the address.")
    sortable_by = ["property_id"]


class ServicerAssignmentInline(admin.TabularInline):
    model = ServicerAssignment
    extra = 0
    can_delete = False
    readonly_fields = ["servicer", "since", "until", "reason", "recorded_at", "recorded_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Loan)
class LoanAdmin(BigTableAdmin, SimpleHistoryAdmin):
    list_display = [
        "loan_number",
        "borrower",
        "loan_type",
        "currency",
        "outstanding_balance",
        "maturity_date",
        "office",
        "officer",
        "servicer",
        "status",
    ]
    list_filter = [
        "status",
        "loan_type",
        CurrencyListFilter,
        "amortization",
        "recourse",
        "office",
        "servicer",
        "maturity_date",
    ]
    search_fields = ["loan_number__startswith", "borrower__name"]  # name: any part (trigram index)
    search_help_text = _("The start of the loan number, or any part of the borrower's name.")
    sortable_by = ["loan_number", "maturity_date"]
    list_select_related = ["borrower", "office", "officer", "servicer"]
    raw_id_fields = ["borrower", "property", "officer", "co_borrowers"]
    autocomplete_fields: list[str] = []
    inlines = [ServicerAssignmentInline]
    history_list_display = ["status", "outstanding_balance"]
    change_list_template = "admin/loanregister/loan/change_list.html"  # extends BigTableAdmin's
    # Cached facts with an owner of their own (docs/ledger.md, "Who owns the loan's cached facts"): the balance
    # is the servicing ledger's, the status `loan_status_set`'s. Shown, never edited here.
    # origin_lead / origin_campaign: set by loanregister.leads.won (and a select of every lead would not do)
    readonly_fields = ["outstanding_balance", "status", "origin_lead", "origin_campaign"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An edited loan's dates, status, balance, office... show in the register at once (REG-1).
        register_events_sync(loan_ids=[form.instance.pk])

    def get_urls(self):
        import_url = path(
            "import/", self.admin_site.admin_view(self.import_view), name="loanregister_loan_import"
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request):
        """The import_loans contract in the browser: the same service, every error or the counts."""
        if not request.user.has_perm("loanregister.import_loans"):
            raise PermissionDenied
        form = LoanImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = loans_import(file=upload, user=request.user, file_name=upload.name)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import loans"),
            "form": form,
            "result": result,
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
        }
        return TemplateResponse(request, "admin/loanregister/loan/import.html", context)


@admin.register(ServicerAssignment)
class ServicerAssignmentAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["loan", "servicer", "since", "until", "reason", "recorded_by"]
    list_filter = ["servicer"]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan", "servicer", "recorded_by"]
    # By the loan's id, as the indexes hold them: "loan" would sort by the loan's maturity date, through a join.
    ordering = ["loan_id", "since", "id"]
    raw_id_fields = ["loan"]


@admin.register(RegisterEvent)
class RegisterEventAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["event_date", "kind", "loan"]
    list_filter = ["kind", CurrencyListFilter, "event_date"]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan"]
    sortable_by = ["event_date"]


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


# --- staff, the radar's horizons, leads and the contact log (issue 10; docs/requirements.md §5) ---------------


class StaffProfileInline(admin.StackedInline):
    """A staff user's office, on the user's own admin page (docs/requirements.md §5 "Staff and offices")."""

    model = StaffProfile
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name = _("office")
    verbose_name_plural = _("office")


class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffProfileInline]
    list_display = [*UserAdmin.list_display, "office"]
    list_select_related = ["staff_profile__office"]

    @admin.display(description=_("office"), ordering="staff_profile__office__code")
    def office(self, obj) -> str:
        profile = getattr(obj, "staff_profile", None)
        return profile.office.code if profile else ""


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffUserAdmin)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "office"]
    list_filter = ["office"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "office"]
    raw_id_fields = ["user"]


@admin.register(RadarHorizon)
class RadarHorizonAdmin(admin.ModelAdmin):
    """Reference data: how far ahead the maturity radar looks for each event kind (REG-2)."""

    list_display = ["event", "days"]
    list_editable = ["days"]


@admin.register(Lead)
class LeadAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Leads are worked on their pages (with their history); here they are read and searched. A first night at a
    million loans makes about 100,000 leads: a big table's admin, newest first (the primary key's index)."""

    list_display = ["event_date", "event", "loan", "officer", "status", "found_on", "closed_on"]
    list_filter = ["status", "event"]
    search_fields = ["loan__loan_number__startswith", "officer__username__startswith"]
    search_help_text = _("The start of the loan number or of the officer's user name.")
    list_select_related = ["loan", "officer"]
    ordering = ["-id"]


@admin.register(LeadDigest)
class LeadDigestAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "officer", "state", "sent_at"]
    list_filter = ["state"]
    search_fields = ["=officer__username"]
    date_hierarchy = "business_date"
    list_select_related = ["officer"]


@admin.register(ContactLog)
class ContactLogAdmin(BigTableAdmin, ReadOnlyAdmin):
    """The contact log is a record: read and searched here, written by `contacts.contact_log_add` only. Every
    reminder, lead contact and campaign call lands here: a big table's admin, newest first (the primary key)."""

    list_display = ["contacted_on", "borrower", "loan", "channel", "direction", "purpose", "outcome", "user"]
    # purpose and date: each in an index (the governor's); a rare channel or outcome would scan the log
    list_filter = ["purpose", "contacted_on"]
    search_fields = ["loan__loan_number__startswith", "borrower__name", "user__username__startswith"]
    search_help_text = _(
        "The start of the loan number, any part of the borrower's name, or the start of a user name."
    )
    list_select_related = ["borrower", "loan", "user"]
    ordering = ["-id"]


# --- retention campaigns, the contact governor and the conversion radar (issue 10 items 3 and 4) --------------


class CampaignMemberInline(admin.TabularInline):
    model = CampaignMember
    fields = ["loan", "borrower", "event_date", "reason", "household_loans", "won_loan"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("loan", "borrower", "won_loan")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Campaigns are built, frozen and exported on their pages (with their history); here they are read."""

    list_display = ["name", "channel", "state", "created_by", "created_at", "frozen_on", "sent_on"]
    list_filter = ["state", "channel"]
    search_fields = ["name", "=created_by__username"]
    list_select_related = ["created_by"]


@admin.register(CampaignMember)
class CampaignMemberAdmin(BigTableAdmin, ReadOnlyAdmin):
    """A frozen campaign's snapshot: who was in its file, and who was left out and why. Some 50,000 members a
    12-month campaign at a million loans, kept for good: a big table's admin, newest first (the primary key).
    The campaign is a filter (a small table) rather than a search on its name, which no index holds."""

    list_display = ["campaign", "loan", "borrower", "event_date", "reason", "household_loans", "won_loan"]
    list_filter = ["campaign", "reason"]
    search_fields = ["loan__loan_number__startswith", "borrower__name"]  # name: any part (trigram index)
    search_help_text = _("The start of the loan number, or any part of the borrower's name.")
    list_select_related = ["campaign", "loan", "borrower", "won_loan"]
    ordering = ["-id"]


class _SingletonAdmin(admin.ModelAdmin):
    """One row of settings: changed, never added a second time or deleted."""

    def has_add_permission(self, request) -> bool:
        return not self.model.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContactGovernor)
class ContactGovernorAdmin(_SingletonAdmin):
    """The contact governor (issue 10 item 4b), set by a retention manager: the marketing contacts a borrower may
    get per period, and the days between campaigns (docs/campaigns.md)."""

    list_display = ["__str__", "max_contacts", "period_days", "campaign_gap_days"]
    list_display_links = ["__str__"]


@admin.register(ConversionRule)
class ConversionRuleAdmin(_SingletonAdmin):
    """When refinancing pays, for the conversion radar (issue 10 item 4a; docs/campaigns.md)."""

    list_display = ["__str__", "min_monthly_saving", "fee", "price_spread", "break_even_months"]
    list_display_links = ["__str__"]


@admin.register(OfferedRate)
class OfferedRateAdmin(admin.ModelAdmin):
    """Today's offered rates per loan type and remaining term, read by the conversion radar each night."""

    list_display = ["loan_type", "max_years", "rate", "changed_on"]
    list_filter = ["loan_type", "max_years"]
    search_fields = ["=loan_type"]
    readonly_fields = ["changed_on"]


@admin.register(RegisterDaySum)
class RegisterDaySumAdmin(BigTableAdmin, ReadOnlyAdmin):
    """The register's maintained aggregate (issue 9; docs/register.md): events and balance per day, event kind and
    filter dimension, kept by register_events_sync. Read-only: a wrong sum is mended by syncing the loans again,
    never by hand. About 250,000 rows at a million loans: listed and filtered in its unique key's order, which that
    key's index serves (each filter is a column of it); the kinds, loan types and statuses are the events' choices."""

    list_display = [*register_sums.KEY, "events", "balance"]
    list_filter = ["kind", "loan_type", "status", "recourse", CurrencyListFilter, "event_date"]
    # a day of the register, which the key's index (led by the date) answers
    search_fields = ["event_date__exact"]
    search_help_text = _("An event date, such as 2027-01-01 or 01.01.2027.")
    # the whole key: a total order (Django adds no id to it), the order of the key's index
    ordering = list(register_sums.KEY)
    sortable_by = ["event_date"]

    def get_search_results(self, request, queryset, search_term):
        """The rows of the day written (ISO or day.month.year, as the register's filter reads dates); any other
        text finds none, never a database error."""
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        day = parse_filter_date(term) if len(term) <= DATE_MAX_LENGTH else None
        return (queryset.none() if day is None else queryset.filter(event_date=day)), False
