"""The monthly lending statistics (STAT-1 to STAT-9): each computation of a month, its figures, and which one is
the month's stored (closed) figures. Exchange rates live in common (shared reference data).

A computation records what it was based on: when, by whom, from where, the ledger rows it read, the rates it used
and the month's nominal totals per currency (what the reconciliation of the next month starts from). Computations
are never changed; closing a month points it at one, reopening and recomputing points it at a newer one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import MONEY
from loanregister.choices import LoanType, PropertyCategory

FIGURES = (
    "gross_lending",
    "transfers",
    "extraordinary_redemptions",
    "net_new_lending",
    "ordinary_repayments",
    "net_lending",
    "bond_debt_outstanding",
)


class Computation(models.Model):
    """One computation of a month's figures and its provenance."""

    class Source(models.TextChoices):
        TASK = "task", _("Monthly close (task)")
        COMMAND = "command", _("Command")
        WEB = "web", _("Web")

    month = models.DateField(_("month"), help_text=_("The first day of the month"))
    computed_at = models.DateTimeField(_("computed"), auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("computed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    flow_postings = models.PositiveIntegerField(_("flow postings read"))
    balance_postings = models.PositiveIntegerField(_("balance postings read"))
    loans_with_balance = models.PositiveIntegerField(_("loans with a balance"))
    last_posting_id = models.BigIntegerField(_("last posting id"), null=True, blank=True)
    rates = models.JSONField(_("rates used"), default=dict, blank=True)
    nominal_totals = models.JSONField(_("nominal totals by currency"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("statistics computation")
        verbose_name_plural = _("statistics computations")
        ordering = ["-month", "-computed_at", "-id"]
        indexes = [models.Index(fields=["month", "computed_at"], name="stats_computation_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.computed_at:%Y-%m-%d %H:%M}"


class Figure(models.Model):
    """One cell row of a computation: a property category and loan type, in DKK, each rounded to the øre once."""

    computation = models.ForeignKey(
        Computation, verbose_name=_("computation"), on_delete=models.CASCADE, related_name="figures"
    )
    property_category = models.CharField(
        _("property category"), max_length=20, choices=PropertyCategory.choices
    )
    loan_type = models.CharField(_("loan type"), max_length=20, choices=LoanType.choices)
    gross_lending = models.DecimalField(_("gross lending"), **MONEY)
    transfers = models.DecimalField(_("transfers"), **MONEY)
    extraordinary_redemptions = models.DecimalField(_("extraordinary redemptions"), **MONEY)
    net_new_lending = models.DecimalField(_("net new lending"), **MONEY)
    ordinary_repayments = models.DecimalField(_("ordinary repayments"), **MONEY)
    net_lending = models.DecimalField(_("net lending"), **MONEY)
    bond_debt_outstanding = models.DecimalField(_("bond debt outstanding"), **MONEY)

    class Meta:
        verbose_name = _("statistics figure")
        verbose_name_plural = _("statistics figures")
        ordering = ["computation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "property_category", "loan_type"], name="stats_one_figure_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.computation} {self.property_category} {self.loan_type}"


class StatsMonth(models.Model):
    """A month whose figures are stored (closed): the page and the command show `computation`'s figures unless
    asked to recompute. Reopening keeps the row (and its history) with `closed` false until it is closed again."""

    month = models.DateField(_("month"), unique=True)
    closed = models.BooleanField(_("closed"), default=True)
    computation = models.ForeignKey(
        Computation, verbose_name=_("stored computation"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("statistics month")
        verbose_name_plural = _("statistics months")
        ordering = ["-month"]
        permissions = [
            ("view_statistics", _("Can view the lending statistics")),
            ("close_statistics", _("Can close, reopen and recompute a month of statistics")),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
