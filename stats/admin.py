from django.contrib import admin

from .models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["rate_date", "currency", "rate"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "rate_date"
    ordering = ["-rate_date", "currency"]
