"""Origination in the admin: products and their checklists are edited here; applications and their records are
read-only, and the admin's actions on applications go through the same services as the pages (so an LPO role is
refused a decision here too, LPO-3)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import BigTableAdmin, ReadOnlyAdmin

from .models import (
    Applicant,
    Application,
    ApplicationDocument,
    ApplicationMessage,
    ApplicationTransition,
    ChecklistItem,
    Product,
)
from .services import Refused, application_decide, application_withdraw


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ["position", "code", "name", "required"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "loan_type",
        "max_loan_to_value",
        "max_debt_to_income",
        "min_credit_score",
        "min_amount",
        "max_amount",
        "expire_after_days",
        "active",
    ]
    list_filter = ["loan_type", "secured_by_property", "active"]
    search_fields = ["code", "name"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["product", "position", "code", "name", "required"]
    list_filter = ["product", "required"]
    search_fields = ["code", "name", "product__code"]


class ApplicantInline(admin.TabularInline):
    model = Applicant
    fields = ["position", "borrower", "yearly_income", "debts"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TransitionInline(admin.TabularInline):
    model = ApplicationTransition
    fields = ["at", "from_state", "to_state", "by", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(BigTableAdmin, ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only: an application moves only through its workflow (origination/services.py). The actions call
    the services, which refuse what the user's role and office may not do.

    A book of a million loans takes in some 100,000 applications a year, each with its applicants, documents,
    transitions and messages (kept for good): big tables' admins (common.admin.BigTableAdmin), newest first. The
    applications' own order and their state filter in it: origination 0003."""

    list_display = [
        "number",
        "office",
        "product",
        "state",
        "state_entered_at",
        "requested_amount",
        "currency",
        "loan",
    ]
    list_filter = ["state", "office", "product"]
    # the number and the loan number by their start (pattern indexes), a name by any part (trigram index)
    search_fields = ["number__startswith", "applicants__borrower__name", "loan__loan_number__startswith"]
    search_help_text = _(
        "The start of the application's or the loan's number, or any part of an applicant's name."
    )
    list_select_related = ["office", "product", "loan"]
    inlines = [ApplicantInline, TransitionInline]
    actions = ["decline_selected", "withdraw_selected"]
    exclude = ["underwriting"]

    def _act(self, request, queryset, action, done: str) -> None:
        for application in queryset.order_by("pk"):
            try:
                action(application)
            except Refused as refusal:
                self.message_user(request, f"{application.number}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{application.number}: {done}", messages.SUCCESS)

    @admin.action(description=_("Decline the selected recommended applications"))
    def decline_selected(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda a: application_decide(
                application=a, user=request.user, approve=False, reasons=str(_("Declined in the admin."))
            ),
            str(_("declined")),
        )

    @admin.action(description=_("Withdraw the selected applications"))
    def withdraw_selected(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda a: application_withdraw(
                application=a, user=request.user, reason=str(_("Withdrawn in the admin."))
            ),
            str(_("withdrawn")),
        )


@admin.register(ApplicationDocument)
class ApplicationDocumentAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Several documents an application (its checklist): newest first, by the primary key. No content type filter
    (a SELECT DISTINCT, and no index) nor a search in file names: found by the application."""

    list_display = [
        "application",
        "item",
        "original_name",
        "size",
        "content_type",
        "check_state",
        "uploaded_at",
    ]
    list_filter = ["check_state"]
    search_fields = ["application__number__startswith"]
    search_help_text = _("The start of the application's number.")
    list_select_related = ["application", "item"]
    ordering = ["-id"]
    exclude = ["file"]  # served only by the application's download view, to those allowed


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Five to ten moves an application: newest first, by the primary key (the model's order sorts by the
    application's own order, a join). Each filter leads an index (state, id); no search in the reasons, which no
    index holds."""

    list_display = ["application", "from_state", "to_state", "at", "by", "reason"]
    list_filter = ["to_state", "from_state"]
    search_fields = ["application__number__startswith"]
    search_help_text = _("The start of the application's number.")
    list_select_related = ["application", "by"]
    ordering = ["-id"]


@admin.register(ApplicationMessage)
class ApplicationMessageAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Newest first, by the primary key. The filters are the contact log's columns, through a join: the log has
    no index on them (a rare channel reads the messages), but each page is still bounded. No search in the notes,
    which no index holds."""

    list_display = ["application", "contact"]
    list_filter = ["contact__channel", "contact__direction"]
    search_fields = ["application__number__startswith"]
    search_help_text = _("The start of the application's number.")
    list_select_related = ["application", "contact__borrower"]
    ordering = ["-id"]


class ApplicantPositionListFilter(admin.SimpleListFilter):
    """First or second applicant, from the two there can be, not `SELECT DISTINCT position`."""

    title = _("applicant")
    parameter_name = "position__exact"
    field_name = "position"  # leads applicant_position_list

    def lookups(self, request, model_admin):
        return [("1", _("first")), ("2", _("second"))]

    def queryset(self, request, queryset):
        return queryset.filter(position=self.value()) if self.value() in ("1", "2") else queryset


@admin.register(Applicant)
class ApplicantAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["application", "position", "borrower", "yearly_income", "debts"]
    list_filter = [ApplicantPositionListFilter]
    search_fields = ["application__number__startswith", "borrower__name"]  # name: any part (trigram index)
    search_help_text = _("The start of the application's number, or any part of the applicant's name.")
    list_select_related = ["application", "borrower"]
    raw_id_fields = ["borrower"]
    ordering = ["-id"]  # newest first; the model's order sorts by the application's own order, a join
