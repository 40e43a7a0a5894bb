"""The tables of retention campaigns, the contact governor and the conversion radar (issue 10 items 3 and 4).

Imported at the end of loanregister/models.py, so they belong to the loanregister app and its migrations.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import MONEY

from ..choices import CampaignChannel, CampaignState, LoanType, Suppression


class Campaign(models.Model):
    """A retention campaign: a saved register filter (REG-2), previewed while a draft, then frozen by a retention
    manager into a snapshot of members (`CampaignMember`), exported for a mail merge or a dialler."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=CampaignChannel.choices)
    # The register filter's parameters as the register page sends them ({name: [values]}), read by
    # loanregister.register.register_filterset: one filter implementation for the page and the campaign.
    filters = models.JSONField(_("register filter"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    frozen_on = models.DateField(
        _("frozen on"), null=True, blank=True, help_text=_("The business date of the freeze.")
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("freeze_campaign", _("Can freeze campaigns and record them as sent")),
            ("export_campaign", _("Can export campaigns")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state=CampaignState.DRAFT, frozen_on__isnull=True)
                | models.Q(state=CampaignState.FROZEN, frozen_on__isnull=False),
                name="campaign_frozen_on_when_frozen",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        return self.state == CampaignState.FROZEN


class CampaignMember(models.Model):
    """One loan the campaign's filter selected when it was frozen: the snapshot, never changed but to suppress a
    member whose borrower became do-not-contact or went into collections before the export, and to record a win.

    `reason` blank: the loan is in the file. A household (a borrower with several selected loans) has one row: the
    loan with the earliest event date (then the lowest loan number) leads it with `household_loans` its count; the
    others carry the reason `household`.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="members"
    )
    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="campaign_members"
    )
    borrower = models.ForeignKey(
        "loanregister.Borrower", verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="+"
    )
    event_date = models.DateField(
        _("event date"), help_text=_("The loan's first event date the filter selected.")
    )
    reason = models.CharField(_("left out because"), max_length=20, choices=Suppression.choices, blank=True)
    household_loans = models.PositiveIntegerField(_("loans in the household's row"), default=0)
    won_loan = models.ForeignKey(
        "loanregister.Loan",
        verbose_name=_("won by new loan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        ordering = ["campaign", "event_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "loan"], name="one_member_per_campaign_and_loan")
        ]
        indexes = [
            models.Index(fields=["campaign", "reason", "event_date"], name="campaign_member_reason"),
            models.Index(fields=["loan"], name="campaign_member_loan"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.loan_id} {self.reason or 'in'}"


class ContactGovernor(models.Model):
    """The one contact governor (issue 10 item 4b): at most `max_contacts` marketing contacts per borrower in any
    `period_days`, and no borrower in a campaign who was contacted by another campaign in the last
    `campaign_gap_days`. One row (a fresh database: 2 per 30 days, 90 days between campaigns), set by a retention
    manager in the admin."""

    max_contacts = models.PositiveSmallIntegerField(
        _("marketing contacts allowed per period"), default=2, validators=[MaxValueValidator(100)]
    )
    period_days = models.PositiveSmallIntegerField(
        _("period (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    campaign_gap_days = models.PositiveSmallIntegerField(
        _("days between campaigns"),
        default=90,
        validators=[MaxValueValidator(3650)],
        help_text=_(
            "A borrower contacted by another campaign within this many days is left out of a new one."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact governor")
        verbose_name_plural = _("contact governor")

    def __str__(self) -> str:
        return _("%(n)s marketing contacts per %(days)s days") % {
            "n": self.max_contacts,
            "days": self.period_days,
        }


class ConversionRule(models.Model):
    """When refinancing pays (the conversion radar, issue 10 item 4a): one row an admin sets (a fresh database: a
    saving of at least 300 DKK a month, a cost of 5,000 DKK plus a 0.5 point price spread on the balance, earned
    back within 24 months)."""

    min_monthly_saving = models.DecimalField(_("least monthly saving (DKK)"), **MONEY, default=Decimal("300"))
    fee = models.DecimalField(_("refinancing fee (DKK)"), **MONEY, default=Decimal("5000"))
    price_spread = models.DecimalField(
        _("price spread (points)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Percentage points of the balance that refinancing costs on top of the fee."),
    )
    break_even_months = models.PositiveSmallIntegerField(
        _("break-even within (months)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conversion rule")
        verbose_name_plural = _("conversion rule")

    def __str__(self) -> str:
        return _("saving ≥ %(saving)s a month, break-even within %(months)s months") % {
            "saving": self.min_monthly_saving,
            "months": self.break_even_months,
        }


class OfferedRate(models.Model):
    """Today's offered rate for a loan type and remaining-term band (up to 10, 20 or 30 years), kept by an admin.
    A fresh database has none, so the conversion radar finds nothing until rates are set."""

    class TermBand(models.IntegerChoices):
        UP_TO_10 = 10, _("up to 10 years")
        UP_TO_20 = 20, _("up to 20 years")
        UP_TO_30 = 30, _("up to 30 years")

    loan_type = models.CharField(_("loan type"), max_length=20, choices=LoanType.choices)
    max_years = models.PositiveSmallIntegerField(_("remaining term"), choices=TermBand.choices)
    rate = models.DecimalField(
        _("offered annual rate (%)"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0"))],
    )
    changed_on = models.DateField(
        _("changed on"),
        auto_now=True,
        help_text=_("A new rate is a new occasion for loans closed before it."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offered rate")
        verbose_name_plural = _("offered rates")
        ordering = ["loan_type", "max_years"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan_type", "max_years"], name="one_offered_rate_per_type_and_band"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_loan_type_display()} {self.get_max_years_display()}: {self.rate} %"
