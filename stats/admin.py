"""The statistics in the admin: computations and their figures are records (read-only); a month's state too (the
page closes, reopens and recomputes, with the differences shown first)."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import Computation, Figure, StatsMonth


class FigureInline(admin.TabularInline):
    model = Figure
    extra = 0
    can_delete = False
    fields = (
        "property_category",
        "loan_type",
        "gross_lending",
        "transfers",
        "extraordinary_redemptions",
        "net_new_lending",
        "ordinary_repayments",
        "net_lending",
        "bond_debt_outstanding",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Computation)
class ComputationAdmin(ReadOnlyAdmin):
    list_display = ("month", "computed_at", "computed_by", "source", "flow_postings", "loans_with_balance")
    list_filter = ("source",)
    date_hierarchy = "month"
    search_fields = ("note", "computed_by__username")
    inlines = [FigureInline]


@admin.register(StatsMonth)
class StatsMonthAdmin(ReadOnlyAdmin):
    list_display = ("month", "closed", "computation", "changed_at", "changed_by")
    list_filter = ("closed",)
    search_fields = ("changed_by__username",)


@admin.register(Figure)
class FigureAdmin(ReadOnlyAdmin):
    list_display = (
        "computation",
        "property_category",
        "loan_type",
        "gross_lending",
        "net_lending",
        "bond_debt_outstanding",
    )
    list_filter = ("property_category", "loan_type")
    search_fields = ("computation__note",)
    list_select_related = ("computation",)
