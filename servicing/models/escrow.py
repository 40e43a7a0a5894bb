"""Escrow (SRV-1): the servicer holds the borrower's escrow money and pays third parties from it.

The escrow account's balance is never stored here: it is derived from the ledger's escrow postings
(escrow deposits in, escrow disbursements out), so it cannot drift from the record (SRV-4).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import MONEY  # noqa: E402  (one definition of a money column)

__all__ = ["EscrowAccount", "EscrowPayee", "EscrowDisbursement"]


class EscrowAccount(models.Model):
    """One escrow account per loan. Its balance is the sum of the loan's escrow postings in the ledger."""

    loan = models.OneToOneField(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="escrow_account"
    )
    opened_on = models.DateField(_("opened on"))
    monthly_deposit = models.DecimalField(
        _("monthly escrow deposit"),
        **MONEY,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The escrow part of each scheduled payment."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("escrow account")
        verbose_name_plural = _("escrow accounts")
        ordering = ["loan__loan_number"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_deposit__gte=0), name="escrow_deposit_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.loan} escrow"


class EscrowPayee(models.Model):
    """A third party paid from escrow: the hazard insurer, the tax authority (kommunen's ejendomsskat)."""

    class Kind(models.TextChoices):
        INSURER = "insurer", _("Hazard insurer")
        TAX_AUTHORITY = "tax_authority", _("Property tax authority")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    account = models.CharField(
        _("payment account"),
        max_length=60,
        blank=True,
        help_text=_("IBAN, reg. and account no., or FI creditor"),
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escrow payee")
        verbose_name_plural = _("escrow payees")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class EscrowDisbursement(models.Model):
    """A scheduled payment from escrow to a payee.

    Paying it posts one `escrow_disbursement` to the ledger and moves it from scheduled to paid (a state-guarded
    UPDATE, so two nightly runs cannot pay it twice); a recurring one then schedules its next occurrence.
    """

    class Frequency(models.TextChoices):
        ONCE = "once", _("Once")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        SEMIANNUAL = "semiannual", _("Every six months")
        ANNUAL = "annual", _("Yearly")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}

    account = models.ForeignKey(
        EscrowAccount,
        verbose_name=_("escrow account"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    payee = models.ForeignKey(
        EscrowPayee, verbose_name=_("payee"), on_delete=models.PROTECT, related_name="disbursements"
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    due_date = models.DateField(_("due date"), db_index=True)
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.ONCE
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SCHEDULED)
    description = models.CharField(_("description"), max_length=200, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    posting = models.OneToOneField(
        "servicing.Posting",
        verbose_name=_("ledger posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="escrow_disbursement",
    )
    shortage = models.DecimalField(
        _("shortage advanced"),
        **MONEY,
        default=Decimal("0"),
        editable=False,
        help_text=_("What the escrow balance lacked when it was paid; the servicer advanced it."),
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous occurrence"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_occurrence",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("escrow disbursement")
        verbose_name_plural = _("escrow disbursements")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_disbursement_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_on__isnull=False),
                name="escrow_disbursement_paid_has_date",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="escrow_disbursement_due")]

    def __str__(self) -> str:
        return f"{self.account.loan} → {self.payee} {self.amount} {self.due_date}"

    def clean(self) -> None:
        if self.payee_id and not self.payee.active and self.state == self.State.SCHEDULED:
            raise ValidationError({"payee": _("This payee is no longer active.")})

    @property
    def currency(self) -> str:
        return self.account.loan.currency
