"""The property's category history (STAT-9): which category was in force from which date.

The statistics place each flow in the category in force on the flow's effective date, not the one stored on the
posting when it was written: a change effective on the 5th moves the flows from the 5th on into the new category,
also when the change is imported after the flows. One row per change, written with its ledger memo posting by
`servicing.ledger.property_category_change_post` (the only writer).

The category in force on a date D is the category of the latest change effective on or before D; before the first
change it is that change's `previous_category`; for a property without changes it is `Property.category`
(`category_in_force`; the statistics read the same rule set-based).
"""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from loanregister.choices import PropertyCategory

__all__ = ["PropertyCategoryChange", "category_in_force"]


class PropertyCategoryChange(models.Model):
    property = models.ForeignKey(
        "loanregister.Property",
        verbose_name=_("property"),
        on_delete=models.PROTECT,
        related_name="category_changes",
    )
    effective_date = models.DateField(_("effective date"))
    category = models.CharField(_("new category"), max_length=20, choices=PropertyCategory.choices)
    previous_category = models.CharField(
        _("previous category"), max_length=20, choices=PropertyCategory.choices, blank=True
    )
    posting = models.OneToOneField(
        "servicing.Posting",
        verbose_name=_("posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="category_change",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("property category change")
        verbose_name_plural = _("property category changes")
        ordering = ["property", "effective_date", "id"]
        indexes = [
            models.Index(fields=["property", "effective_date", "id"], name="category_change_history"),
        ]

    def __str__(self) -> str:
        return f"{self.property} {self.effective_date}: {self.previous_category} -> {self.category}"


def category_in_force(property_obj, on_date: datetime.date) -> str:
    """The property's category on `on_date` by its history (STAT-9)."""
    changes = PropertyCategoryChange.objects.filter(property=property_obj)
    latest = changes.filter(effective_date__lte=on_date).order_by("-effective_date", "-id").first()
    if latest is not None:
        return latest.category
    first = changes.order_by("effective_date", "id").first()
    if first is not None and first.previous_category:
        return first.previous_category
    return property_obj.category
