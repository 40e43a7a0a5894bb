"""The servicing ledger (SRV-4): append-only postings, the payment waterfall, and issued payoff statements.

Double entry, one row per movement (as a TigerBeetle transfer): every posting moves a positive `amount` from its
`credit_account` to its `debit_account`, so Σ debits = Σ credits holds row by row and the trial balance of the whole
ledger is zero. The balance of an account is Σ amount where it is debited − Σ amount where it is credited. The
loan's own accounts (PRINCIPAL … SUSPENSE) are what the borrower owes (positive) or is owed (negative); CASH,
income, OPENING and the others are the counter-accounts outside the loan. `docs/ledger.md` has the full table.

Postings are never updated or deleted: a database trigger refuses it (migration `0002_ledger`), `save()` and
`delete()` refuse it, and the admin is read-only. A mistake is corrected by a reversing posting (same amount,
accounts swapped, `reverses` pointing at the original; one reversal per posting).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loanregister.choices import LoanType, PropertyCategory

__all__ = [
    "Account",
    "PostingKind",
    "Posting",
    "LedgerImmutableError",
    "OverpaymentRule",
    "WaterfallBucket",
    "PaymentWaterfall",
    "PayoffStatement",
]

from common.models import MONEY  # noqa: E402  (one definition of a money column)

PRICE = {"max_digits": 9, "decimal_places": 4}


class LedgerImmutableError(Exception):
    """Raised in Python when code tries to change or delete a posting (the database refuses it too)."""


class Account(models.TextChoices):
    # The loan's accounts: positive balance = the borrower owes it, negative = held for the borrower.
    PRINCIPAL = "principal", _("Principal not yet due")
    PRINCIPAL_DUE = "principal_due", _("Principal due")
    INTEREST_DUE = "interest_due", _("Interest due")
    FEES_DUE = "fees_due", _("Fees due")
    ESCROW_DUE = "escrow_due", _("Escrow due")
    ESCROW = "escrow", _("Escrow")
    SUSPENSE = "suspense", _("Suspense (unapplied money)")
    # Counter-accounts outside the loan.
    CASH = "cash", _("Cash (bank)")
    INTEREST_INCOME = "interest_income", _("Interest income")
    FEE_INCOME = "fee_income", _("Fee income")
    OPENING = "opening", _("Opening balances (migration)")
    WRITE_OFF = "write_off", _("Write-offs (loss)")
    MEMO = "memo", _("Memorandum (no money)")


class PostingKind(models.TextChoices):
    OPENING_BALANCE = "opening_balance", _("Opening balance (migration)")
    DISBURSEMENT = "disbursement", _("Disbursement")
    SCHEDULED_PAYMENT_DUE = "scheduled_payment_due", _("Scheduled principal due")
    INTEREST = "interest", _("Interest charged")
    FEE = "fee", _("Fee")
    LATE_CHARGE = "late_charge", _("Late charge")
    ESCROW_DUE = "escrow_due", _("Escrow billed")
    PAYMENT = "payment", _("Payment received")
    FEE_PAID = "fee_paid", _("Fees paid")
    INTEREST_PAID = "interest_paid", _("Interest paid")
    PRINCIPAL_PAID = "principal_paid", _("Principal paid")
    ESCROW_DEPOSIT = "escrow_deposit", _("Escrow deposit")
    ESCROW_DISBURSEMENT = "escrow_disbursement", _("Escrow disbursement")
    SCHEDULED_REPAYMENT = "scheduled_repayment", _("Scheduled repayment")
    EXTRA_REPAYMENT = "extra_repayment", _("Extra repayment")
    REDEMPTION = "redemption", _("Redemption")
    WRITE_OFF = "write_off", _("Write-off")
    REVERSAL = "reversal", _("Reversal")
    PROPERTY_CATEGORY_CHANGE = "property_category_change", _("Property category change")


class Posting(models.Model):
    """One money movement on a loan's ledger. Immutable: see the module docstring."""

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="postings"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=PostingKind.choices)
    effective_date = models.DateField(_("effective date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    debit_account = models.CharField(_("debit account"), max_length=20, choices=Account.choices)
    credit_account = models.CharField(_("credit account"), max_length=20, choices=Account.choices)
    price = models.DecimalField(
        _("price (kurs)"),
        **PRICE,
        null=True,
        blank=True,
        # xgettext:no-python-format
        help_text=_("Bond price, % of face value"),
    )
    # The property's category when the posting was made, so statistics count each flow in the category the
    # property had then (STAT-9); on a category change, the new category.
    property_category = models.CharField(
        _("property category"), max_length=20, choices=PropertyCategory.choices, blank=True
    )
    payee = models.CharField(_("payee"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    external_id = models.CharField(
        _("transaction id"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("One posting per id"),
    )
    # The payment whose waterfall made this posting (fees paid, interest paid, …).
    parent = models.ForeignKey(
        "self",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["loan", "effective_date", "id"]
        permissions = [("reverse_posting", _("Can reverse postings"))]
        indexes = [
            # A loan's ledger in order; INCLUDE: the admin's filters, so its deep pages (in this order) are
            # index-only scans, filtered or not (common.admin.BigTableAdmin).
            models.Index(
                fields=["loan", "effective_date", "id"],
                include=["kind", "currency", "debit_account", "credit_account"],
                name="posting_loan_date_list",
            ),
            models.Index(fields=["kind", "effective_date"], name="posting_kind_date"),
            # each admin filter in the list's order: its count and its deepest page are a range of one index
            models.Index(fields=["kind", "loan", "effective_date", "id"], name="posting_kind_list"),
            models.Index(fields=["currency", "loan", "effective_date", "id"], name="posting_currency_list"),
            models.Index(fields=["debit_account", "loan", "effective_date", "id"], name="posting_debit_list"),
            models.Index(
                fields=["credit_account", "loan", "effective_date", "id"], name="posting_credit_list"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount=0, kind="property_category_change"),
                name="posting_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(debit_account=models.F("credit_account")) | Q(debit_account="memo"),
                name="posting_two_different_accounts",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="reversal"), name="posting_only_reversal_reverses"
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gt=0), name="posting_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise LedgerImmutableError("Postings are never changed: post a reversal instead (SRV-4).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("Postings are never deleted: post a reversal instead (SRV-4).")

    @property
    def market_value(self) -> Decimal | None:
        """Kursværdi = nominal × kurs / 100 (STAT-1, STAT-2)."""
        if self.price is None:
            return None
        return (self.amount * self.price / 100).quantize(Decimal("0.01"))


class WaterfallBucket(models.TextChoices):
    FEES = "fees", _("Fees and late charges")
    INTEREST = "interest", _("Interest")
    PRINCIPAL = "principal", _("Principal due")
    ESCROW = "escrow", _("Escrow due")


class OverpaymentRule(models.TextChoices):
    SUSPENSE = "suspense", _("Hold in suspense")
    EXTRA_REPAYMENT = "extra_repayment", _("Extra repayment of principal")


DEFAULT_WATERFALL = "fees,interest,principal,escrow"


def validate_waterfall_order(value: str) -> None:
    buckets = [part.strip() for part in value.split(",")]
    if sorted(buckets) != sorted(WaterfallBucket.values):
        raise ValidationError(
            _("Name each of %(buckets)s exactly once, separated by commas."),
            params={"buckets": ", ".join(WaterfallBucket.values)},
        )


class PaymentWaterfall(models.Model):
    """The order in which a payment pays what is due, per product (loan type); the row without a loan type is the
    default for all others. Without any row the built-in default applies: fees, interest, principal, escrow, and
    an overpayment is held in suspense."""

    loan_type = models.CharField(
        _("loan type"),
        max_length=20,
        choices=LoanType.choices,
        blank=True,
        unique=True,
        help_text=_("Empty: the default for every loan type without its own rule"),
    )
    order = models.CharField(
        _("order"),
        max_length=100,
        default=DEFAULT_WATERFALL,
        validators=[validate_waterfall_order],
        help_text=_("Comma-separated: fees, interest, principal, escrow"),
    )
    overpayment = models.CharField(
        _("overpayment"), max_length=20, choices=OverpaymentRule.choices, default=OverpaymentRule.SUSPENSE
    )

    class Meta:
        verbose_name = _("payment waterfall")
        verbose_name_plural = _("payment waterfalls")
        ordering = ["loan_type"]

    def __str__(self) -> str:
        default = _("default")  # outside the f-string, where xgettext finds it
        return f"{self.get_loan_type_display() or default}: {self.order}"

    @property
    def buckets(self) -> list[str]:
        return [part.strip() for part in self.order.split(",")]


class PayoffStatement(models.Model):
    """A payoff statement as issued (SRV-1): the figures are frozen here, so what was sent can always be shown."""

    loan = models.ForeignKey(
        "loanregister.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="payoff_statements",
    )
    requested_by = models.CharField(_("requested by"), max_length=200, blank=True)
    as_of = models.DateField(_("as of"))
    good_through = models.DateField(_("good through"))
    currency = models.CharField(_("currency"), max_length=3)
    interest_rate = models.DecimalField(_("annual interest rate (%)"), max_digits=9, decimal_places=6)
    day_count = models.CharField(_("day count"), max_length=20, default="30E/360")
    interest_from = models.DateField(_("interest accrues from"))
    interest_days = models.PositiveIntegerField(_("interest days"))
    principal = models.DecimalField(_("principal"), **MONEY)
    interest_due = models.DecimalField(_("interest due (unpaid)"), **MONEY)
    accrued_interest = models.DecimalField(_("accrued interest"), **MONEY)
    per_diem = models.DecimalField(_("per diem"), max_digits=18, decimal_places=2)
    fees = models.DecimalField(_("fees"), **MONEY)
    escrow_balance = models.DecimalField(_("escrow balance"), **MONEY)
    suspense = models.DecimalField(_("unapplied funds"), **MONEY)
    total = models.DecimalField(_("total to pay"), **MONEY)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payoff statement")
        verbose_name_plural = _("payoff statements")
        ordering = ["-issued_at", "-id"]
        indexes = [
            # the admin's list in this order (read backward), and its currency filter in it (BigTableAdmin)
            models.Index(fields=["issued_at", "id"], name="payoff_admin_list"),
            models.Index(fields=["currency", "issued_at", "id"], name="payoff_currency_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(good_through__gte=models.F("as_of")), name="payoff_good_through_after_as_of"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.as_of} → {self.good_through}"

    @property
    def owed(self) -> Decimal:
        """What is owed less the unapplied funds; negative when more is held than is owed."""
        return self.principal + self.interest_due + self.accrued_interest + self.fees - self.suspense

    @property
    def amount_to_pay(self) -> Decimal:
        """The total to pay, never below zero (statements issued before it was floored stored a negative one)."""
        return max(self.owed, Decimal("0.00"))

    @property
    def credit(self) -> Decimal:
        """Unapplied funds beyond what is owed: a credit refunded to the borrower."""
        return max(-self.owed, Decimal("0.00"))
