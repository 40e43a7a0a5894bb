"""Admin of payment notices (SRV-2): a read-only record, searchable by loan, borrower and e-mail."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from .models import PaymentNotice


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnlyAdmin):
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
    list_filter = ["state", "channel", "currency", "language", "due_date", "batch_date"]
    search_fields = ["loan__loan_number", "loan__borrower__name", "recipient"]
    date_hierarchy = "due_date"
    list_select_related = ["loan"]
    # A raw id, not a select of every loan, keeps the page fast at a million loans.
    raw_id_fields = ["loan"]
    readonly_fields = ["letter_batch_link"]
    show_full_result_count = False

    @admin.display(description=_("letter batch"))
    def letter_batch_link(self, obj: PaymentNotice) -> str:
        if obj.channel != PaymentNotice.Channel.LETTER or obj.batch_date is None:
            return "—"
        url = reverse("servicing:notice-letters") + f"?date={obj.batch_date.isoformat()}"
        return format_html('<a href="{}">{}</a>', url, obj.batch_date.isoformat())
