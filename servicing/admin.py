"""Servicing admin: reference data editable (waterfalls, payees, rules), records read-only (postings, payoff
statements, notices, transfers, recoveries). Postings are never changed (SRV-4); a document is deleted only once
its retention period is over (SRV-3, `documents.document_can_be_deleted`)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import BigTableAdmin, CurrencyListFilter, ReadOnlyAdmin
from loanregister.choices import Language

from .documents import document_can_be_deleted
from .models import (
    CollateralRecovery,
    EscrowAccount,
    EscrowDisbursement,
    EscrowPayee,
    LegalCase,
    LoanDocument,
    LoanProgram,
    PaymentNotice,
    PaymentWaterfall,
    PayoffStatement,
    Posting,
    PropertyCategoryChange,
    RecourseRule,
    RetentionRule,
    ServicerContact,
    ServicingTransfer,
    TransferNotice,
)

# ---------------------------------------------------------------- the ledger


@admin.register(Posting)
class PostingAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "id",
        "loan",
        "effective_date",
        "kind",
        "amount",
        "currency",
        "debit_account",
        "credit_account",
        "price",
        "external_id",
        "created_at",
        "created_by",
    ]
    list_filter = ["kind", CurrencyListFilter, "debit_account", "credit_account"]
    search_fields = ["loan__loan_number__startswith", "external_id__exact"]
    search_help_text = _("The start of the loan number, or a whole transaction id.")
    list_select_related = ["loan", "created_by"]
    raw_id_fields = ["loan", "parent", "reverses", "created_by"]
    sortable_by = ["id"]
    # By the loan's id, as posting_loan_date_list holds them: "loan" would sort by the loan's own order (its
    # maturity date), a join to the loans that no index of the postings answers.
    ordering = ["loan_id", "effective_date", "id"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(PaymentWaterfall)
class PaymentWaterfallAdmin(admin.ModelAdmin):
    list_display = ["__str__", "loan_type", "order", "overpayment"]
    list_filter = ["overpayment", "loan_type"]
    search_fields = ["order"]
    fieldsets = [
        (
            None,
            {
                "fields": ["loan_type", "order", "overpayment"],
                "description": _(
                    "A payment pays what is due bucket by bucket in this order; what is left is an overpayment. "
                    "The row without a loan type applies to every loan type without its own row."
                ),
            },
        )
    ]


@admin.register(PayoffStatement)
class PayoffStatementAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Newest first, as payoff_admin_list holds them; a currency in its own index in the same order, so a rare one
    pages deep without sorting (servicing 0017). Every payoff quote is kept: some 100,000 a year at a million
    loans."""

    list_display = ["loan", "as_of", "good_through", "total", "currency", "issued_at", "issued_by"]
    list_filter = [CurrencyListFilter, "issued_at"]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan", "issued_by"]
    sortable_by = ["issued_at"]


# ---------------------------------------------------------------- payment notices (SRV-2)


class NoticeLanguageListFilter(admin.SimpleListFilter):
    """The notice's language from the languages we write in, not `SELECT DISTINCT language` over every notice."""

    title = _("language")
    parameter_name = "language__exact"

    def lookups(self, request, model_admin):
        return Language.choices

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "loan",
        "due_date",
        "interest_date",
        "amount",
        "currency",
        "channel",
        "state",
        "business_date",
        "sent_at",
    ]
    list_filter = ["state", "channel", CurrencyListFilter, NoticeLanguageListFilter, "due_date", "batch_date"]
    # The recipient is the borrower's e-mail: find it by the borrower. Name: any part (trigram index).
    search_fields = ["loan__loan_number__startswith", "loan__borrower__name"]
    search_help_text = _("The start of the loan number, or any part of the borrower's name.")
    list_select_related = ["loan"]
    # A raw id, not a select of every loan, keeps the page fast at a million loans.
    raw_id_fields = ["loan"]
    readonly_fields = ["letter_batch_link"]

    @admin.display(description=_("letter batch"))
    def letter_batch_link(self, obj: PaymentNotice) -> str:
        if obj.channel != PaymentNotice.Channel.LETTER or obj.batch_date is None:
            return "—"
        url = reverse("servicing:notice-letters") + f"?date={obj.batch_date.isoformat()}"
        return format_html('<a href="{}">{}</a>', url, obj.batch_date.isoformat())


# ---------------------------------------------------------------- escrow


class EscrowDisbursementInline(admin.TabularInline):
    model = EscrowDisbursement
    fk_name = "account"
    extra = 0
    fields = ["payee", "amount", "due_date", "frequency", "state", "description", "paid_on", "shortage"]
    readonly_fields = ["paid_on", "shortage"]
    autocomplete_fields = ["payee"]
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        # Rows shown here are read-only (a paid one is a record); change a scheduled one on its own page.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscrowAccount)
class EscrowAccountAdmin(admin.ModelAdmin):
    list_display = ["loan", "opened_on", "monthly_deposit", "active", "balance"]
    list_filter = ["active", "opened_on"]
    search_fields = ["loan__loan_number", "loan__borrower__name"]
    date_hierarchy = "opened_on"
    raw_id_fields = ["loan"]
    list_select_related = ["loan"]
    inlines = [EscrowDisbursementInline]

    @admin.display(description=_("escrow balance"))
    def balance(self, obj: EscrowAccount):
        from .escrow import escrow_balance

        return escrow_balance(loan=obj.loan)

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger keeps its postings; close an account by unticking active


@admin.register(EscrowPayee)
class EscrowPayeeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "account", "reference", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "account", "reference"]


@admin.register(EscrowDisbursement)
class EscrowDisbursementAdmin(admin.ModelAdmin):
    list_display = ["due_date", "account", "payee", "amount", "frequency", "state", "paid_on", "shortage"]
    list_filter = ["state", "frequency", "payee__kind", "due_date"]
    search_fields = ["account__loan__loan_number", "payee__name", "description"]
    date_hierarchy = "due_date"
    raw_id_fields = ["account"]
    autocomplete_fields = ["payee"]
    list_select_related = ["account__loan", "payee"]
    readonly_fields = ["paid_on", "posting", "shortage", "previous", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A paid disbursement is a record: its posting is in the ledger.
        if obj is not None and obj.state == EscrowDisbursement.State.PAID:
            return [f.name for f in obj._meta.fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state == EscrowDisbursement.State.PAID:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# ---------------------------------------------------------------- transfers


@admin.register(ServicerContact)
class ServicerContactAdmin(admin.ModelAdmin):
    list_display = ["servicer", "phone", "email", "payment_account"]
    list_filter = ["servicer__active"]
    search_fields = ["servicer__code", "servicer__name", "email", "payment_account"]


@admin.register(ServicingTransfer)
class ServicingTransferAdmin(ReadOnlyAdmin):
    list_display = [
        "effective_date",
        "from_servicer",
        "to_servicer",
        "loan_count",
        "state",
        "applied_at",
        "created_by",
        "created_at",
    ]
    list_filter = ["state", "to_servicer", "from_servicer", "effective_date"]
    search_fields = ["to_servicer__code", "to_servicer__name", "reason", "notices__loan__loan_number"]
    date_hierarchy = "effective_date"
    list_select_related = ["from_servicer", "to_servicer", "created_by"]


@admin.register(TransferNotice)
class TransferNoticeAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "loan",
        "borrower",
        "old_servicer",
        "new_servicer",
        "effective_date",
        "language",
        "channel",
        "sent_at",
    ]
    # Each filter leads an index (column, id) in the list's order (servicing 0017). No effective date: a
    # transfer's notices share its date, and the new servicer names the transfer as well.
    list_filter = ["channel", NoticeLanguageListFilter, "new_servicer"]
    search_fields = ["loan__loan_number__startswith", "borrower__name"]  # name: any part (trigram index)
    search_help_text = _("The start of the loan number, or any part of the borrower's name.")
    list_select_related = ["loan", "borrower", "old_servicer", "new_servicer"]
    # Newest first by the primary key: a servicing transfer writes its notices in one go, 100,000 and more at
    # once, and the model's order ("transfer", the transfer's own order) is a join no index answers.
    ordering = ["-id"]


# ---------------------------------------------------------------- documents


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "years", "from_year_end", "is_default", "note"]
    list_filter = ["is_default", "from_year_end", "years"]
    search_fields = ["jurisdiction", "note"]


@admin.register(LoanDocument)
class LoanDocumentAdmin(admin.ModelAdmin):
    list_display = ["loan", "kind", "original_name", "size", "uploaded_by", "uploaded_at", "retain_until"]
    list_filter = ["kind", "jurisdiction", "uploaded_at"]
    search_fields = ["loan__loan_number", "original_name", "=sha256", "description"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["loan", "uploaded_by"]
    readonly_fields = [
        "loan",
        "file",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "jurisdiction",
        "retain_until",
    ]
    actions = None  # no bulk delete: each deletion is judged against its retention period

    def has_add_permission(self, request):
        return False  # documents are uploaded on the loan page, where the checksum and retention are set

    def has_delete_permission(self, request, obj=None):
        # SRV-3: not before the retention period ends (the model and the database refuse it too).
        if obj is not None and not document_can_be_deleted(obj):
            return False
        return super().has_delete_permission(request, obj)


# ---------------------------------------------------------------- recovery


@admin.register(LoanProgram)
class LoanProgramAdmin(admin.ModelAdmin):
    list_display = ["loan", "program"]
    list_filter = ["program"]
    search_fields = ["loan__loan_number"]
    raw_id_fields = ["loan"]


@admin.register(RecourseRule)
class RecourseRuleAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "program", "recourse", "is_default", "note"]
    list_filter = ["recourse", "program", "is_default"]
    search_fields = ["jurisdiction", "note"]


@admin.register(CollateralRecovery)
class CollateralRecoveryAdmin(ReadOnlyAdmin):
    list_display = [
        "loan",
        "recovered_on",
        "outstanding_balance",
        "recovered_value",
        "deficiency",
        "currency",
        "recourse",
        "outcome",
        "recorded_by",
    ]
    list_filter = ["outcome", "recourse", "currency", "recovered_on"]
    search_fields = ["loan__loan_number", "loan__borrower__name", "description"]
    date_hierarchy = "recovered_on"
    list_select_related = ["loan", "recorded_by"]


@admin.register(LegalCase)
class LegalCaseAdmin(admin.ModelAdmin):
    list_display = ["loan", "opened_on", "amount", "currency", "state", "assigned_to", "closed_on"]
    list_filter = ["state", "currency", "opened_on"]
    search_fields = ["loan__loan_number", "loan__borrower__name", "notes"]
    date_hierarchy = "opened_on"
    list_select_related = ["loan", "assigned_to"]
    readonly_fields = ["loan", "recovery", "opened_on", "amount", "currency"]
    raw_id_fields = ["assigned_to"]

    def has_add_permission(self, request):
        return False  # opened by recording a recovery (REC-1)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PropertyCategoryChange)
class PropertyCategoryChangeAdmin(ReadOnlyAdmin):
    """STAT-9's history: which category was in force from which date (written with the ledger's memo posting)."""

    list_display = ("property", "effective_date", "previous_category", "category", "posting", "created_at")
    list_filter = ("category",)
    search_fields = ("=property__property_id",)
    raw_id_fields = ("property", "posting")
    ordering = ("-effective_date", "-id")


# ---------------------------------------------------------------- collections (issue 11; COL-1 to COL-6)

from .models import (  # noqa: E402  (collections' models, kept together with their admins)
    CollectionCase,
    CollectionsContact,
    CollectorRule,
    DelinquencyBucket,
    Escalation,
    HardshipAssessment,
    HardshipInstallment,
    HardshipPlan,
    LoanDelinquency,
    PromiseToPay,
    Reminder,
    ReminderStep,
    ReminderTemplate,
)


@admin.register(DelinquencyBucket)
class DelinquencyBucketAdmin(admin.ModelAdmin):
    list_display = ["code", "min_days", "max_days"]
    list_filter = ["max_days"]
    search_fields = ["code"]
    fieldsets = [
        (
            None,
            {
                "fields": ["code", "min_days", "max_days"],
                "description": _(
                    "A loan's bucket is the one whose days hold its days past due; the code is its label in the "
                    "register, the queue and the delinquency export."
                ),
            },
        )
    ]


class ReminderTemplateInline(admin.StackedInline):
    model = ReminderTemplate
    extra = 0
    fields = ["language", "subject", "body"]


@admin.register(ReminderStep)
class ReminderStepAdmin(admin.ModelAdmin):
    list_display = ["code", "loan_type", "days", "channel", "condition", "call_task", "action", "active"]
    list_filter = ["loan_type", "channel", "active"]
    search_fields = ["code"]
    inlines = [ReminderTemplateInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "loan_type",
                    "code",
                    "days",
                    "channel",
                    "condition",
                    "call_task",
                    "action",
                    "active",
                ],
                "description": _(
                    "The reminder ladder: each step fires at its days past due (negative: before the due date). "
                    "A loan type with steps of its own uses those only; the others use the steps without a loan "
                    "type. The texts are Django templates with borrower, loan_number, amount, due_date, days, "
                    "payment_account, firm, help_phone and help_email."
                ),
            },
        )
    ]


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(admin.ModelAdmin):
    list_display = ["step", "language", "subject"]
    list_filter = ["language", "step__code"]
    search_fields = ["subject", "body"]


@admin.register(Reminder)
class ReminderAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "loan",
        "due_date",
        "step",
        "state",
        "channel",
        "business_date",
        "amount_past_due",
        "delivered_at",
    ]
    # state and channel: each leads an index (column, id) in the list's order; the date leads reminder_export
    list_filter = ["state", "channel", "business_date"]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan", "step"]
    # Newest first by the primary key (a night's run writes its reminders together): a first night at a million
    # loans records 330,000 (docs/collections.md), and the model's order ends in step_days, which no index holds
    # together with the id, so a deep page would read the table to sort it.
    ordering = ["-id"]


class DelinquencyBucketListFilter(admin.SimpleListFilter):
    """The bucket, from the buckets' own table (reference data), not `SELECT DISTINCT bucket` over the rows."""

    title = _("bucket")
    parameter_name = "bucket__exact"
    field_name = "bucket"  # leads delinquency_bucket_days

    def lookups(self, request, model_admin):
        return [(code, code) for code in DelinquencyBucket.objects.values_list("code", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(bucket=self.value()) if self.value() else queryset


@admin.register(LoanDelinquency)
class LoanDelinquencyAdmin(BigTableAdmin, ReadOnlyAdmin):
    """One row per loan behind: 42,780 at a million loans with 5% in arrears (docs/collections.md), twice that in
    a bad year. Most behind first, as delinquency_admin_list holds them (servicing 0017)."""

    list_display = ["loan", "days_past_due", "bucket", "amount_past_due", "fees_due", "currency", "as_of"]
    list_filter = [DelinquencyBucketListFilter, CurrencyListFilter]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan"]
    sortable_by = ["days_past_due"]
    ordering = ["-days_past_due", "-loan_id"]  # one direction: a backward scan of delinquency_admin_list


@admin.register(CollectionCase)
class CollectionCaseAdmin(admin.ModelAdmin):
    list_display = ["loan", "state", "opened_on", "closed_on", "assigned_to", "next_action", "next_action_on"]
    list_filter = ["state", "next_action"]
    search_fields = ["loan__loan_number__startswith", "assigned_to__username"]
    raw_id_fields = ["loan"]
    readonly_fields = ["loan", "state", "opened_on", "closed_on"]
    list_select_related = ["loan", "assigned_to"]
    show_full_result_count = False


@admin.register(CollectorRule)
class CollectorRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "bucket", "office", "collector"]
    list_filter = ["bucket", "office"]
    search_fields = ["collector__username", "bucket"]


class CollectionsContactSourceListFilter(admin.SimpleListFilter):
    """Made by a reminder, or logged by a collector (no reminder): the latter through the partial index
    collections_contact_by_hand (servicing 0017), the former most of the rows."""

    title = _("made by")
    parameter_name = "reminder__isnull"
    field_name = "reminder"

    def lookups(self, request, model_admin):
        return [("0", _("a reminder")), ("1", _("a collector"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(reminder__isnull=self.value() == "1")
        return queryset


@admin.register(CollectionsContact)
class CollectionsContactAdmin(BigTableAdmin, ReadOnlyAdmin):
    """One row per contact of collections, most of them the reminders delivered (100,000 on a first night at a
    million loans): newest first by the primary key. Searched through the contact's loan, which every contact of
    collections has (a reminder's contact has no case). No filter on the contact's channel: the contact log has no
    index on it, and a rare channel would read the log."""

    list_display = ["contact", "case", "reminder"]
    list_filter = [CollectionsContactSourceListFilter]
    search_fields = ["contact__loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["contact__borrower", "case__loan", "reminder"]
    ordering = ["-id"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(BigTableAdmin, ReadOnlyAdmin):
    """Promises are kept for good, a few for each case: past 100,000 in a few years at a million loans. In the
    model's order (due_on, id), which promise_admin_list holds; the state in its own index in that order."""

    list_display = [
        "loan",
        "promised_on",
        "due_on",
        "amount",
        "currency",
        "state",
        "checked_on",
        "created_by",
    ]
    list_filter = ["state", "due_on"]
    search_fields = ["loan__loan_number__startswith"]
    search_help_text = _("The start of the loan number.")
    list_select_related = ["loan", "created_by"]
    sortable_by = ["due_on"]


@admin.register(HardshipAssessment)
class HardshipAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["loan", "assessed_on", "cause", "monthly_income", "monthly_expenses", "expected_months"]
    list_filter = ["cause", "assessed_on"]
    search_fields = ["loan__loan_number__startswith"]


class HardshipInstallmentInline(admin.TabularInline):
    model = HardshipInstallment
    extra = 0
    can_delete = False
    readonly_fields = ["due_date", "principal", "interest"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HardshipPlan)
class HardshipPlanAdmin(ReadOnlyAdmin):
    list_display = ["loan", "kind", "state", "starts_on", "ends_on", "payment", "currency", "approved_by"]
    list_filter = ["state", "kind"]
    search_fields = ["loan__loan_number__startswith"]
    inlines = [HardshipInstallmentInline]


@admin.register(HardshipInstallment)
class HardshipInstallmentAdmin(ReadOnlyAdmin):
    list_display = ["plan", "due_date", "principal", "interest"]
    list_filter = ["due_date"]
    search_fields = ["plan__loan__loan_number__startswith"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["loan", "opened_on", "path", "recourse", "amount_past_due", "currency", "state"]
    list_filter = ["state", "path", "recourse"]
    search_fields = ["loan__loan_number__startswith"]
