"""Admin for the shared records, and the base every record's admin uses."""

from django.contrib import admin

from .models import ExchangeRate, ExportLog, ImportRun, JobRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records: they can be read and searched, never changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "business_date", "state", "started_at", "finished_at"]
    list_filter = ["job", "state"]
    search_fields = ["job", "error"]
    date_hierarchy = "business_date"


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "file_name",
        "started_at",
        "user",
        "ok",
        "rows",
        "created",
        "updated",
        "unchanged",
    ]
    list_filter = ["kind", "ok"]
    search_fields = ["file_name", "errors"]
    date_hierarchy = "started_at"


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "kind",
        "source",
        "format",
        "dialect",
        "row_count",
        "file_name",
        "completed",
    ]
    list_filter = ["kind", "format", "source", "completed", "include_do_not_contact"]
    search_fields = ["file_name", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["rate_date", "currency", "rate"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "rate_date"
    ordering = ["-rate_date", "currency"]
