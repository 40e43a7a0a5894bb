"""Admin for the ledger: postings read-only (SRV-4), the payment waterfall per product editable, payoff statements
read-only (a record of what was issued)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from .models import PaymentWaterfall, PayoffStatement, Posting


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
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
    list_filter = ["kind", "currency", "debit_account", "credit_account"]
    search_fields = ["=loan__loan_number", "=external_id"]
    date_hierarchy = "effective_date"
    list_select_related = ["loan", "created_by"]
    raw_id_fields = ["loan", "parent", "reverses", "created_by"]
    show_full_result_count = False  # COUNT(*) on a large ledger costs more than the page

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
class PayoffStatementAdmin(ReadOnlyAdmin):
    list_display = ["loan", "as_of", "good_through", "total", "currency", "issued_at", "issued_by"]
    list_filter = ["currency"]
    search_fields = ["=loan__loan_number", "requested_by"]
    date_hierarchy = "issued_at"
    list_select_related = ["loan", "issued_by"]
    show_full_result_count = False
