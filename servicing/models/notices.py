"""Monthly payment notices (SRV-2): one per loan and due date, never two (the unique key guarantees it)."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from common.models import MONEY  # one definition of a money column

_BREAKDOWN = F("principal") + F("interest") + F("fees") + F("escrow")
_HALF_CENT = Value(Decimal("0.005"))

__all__ = ["PaymentNotice"]


class PaymentNotice(models.Model):
    """A payment notice for one scheduled payment of one loan: a record of what was asked for, and how.

    State: `pending` (created, not yet handed over) → e-mail: `sending` (claimed by one worker) → `sent`, or
    `failed` (retried by the next run); letter: `batched` (in the mail room's letter batch of `batch_date`).
    A notice left in `sending` by a crash is not sent again automatically: a person checks it (at most once).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        BATCHED = "batched", _("In letter batch")
        FAILED = "failed", _("Failed")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="payment_notices"
    )
    period = models.PositiveIntegerField(_("period"))
    due_date = models.DateField(_("due date"))
    interest_date = models.DateField(_("interest date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount to pay"), **MONEY)
    principal = models.DecimalField(_("principal"), **MONEY)
    interest = models.DecimalField(_("interest"), **MONEY)
    fees = models.DecimalField(_("fees"), **MONEY)
    escrow = models.DecimalField(_("escrow"), **MONEY)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        _("recipient"), max_length=254, blank=True, help_text=_("The e-mail address the notice went to.")
    )
    language = models.CharField(_("language"), max_length=2)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    business_date = models.DateField(_("business date"), help_text=_("The nightly run that made it."))
    batch_date = models.DateField(_("letter batch date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # COL-4: the notice of a running hardship plan's payment (its amount and date), not of the loan's installment.
    plan_payment = models.ForeignKey(
        "servicing.HardshipInstallment",
        verbose_name=_("hardship plan payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        help_text=_(
            "Set when the notice asks for a hardship plan's payment instead of the loan's installment."
        ),
    )

    class Meta:
        verbose_name = _("payment notice")
        verbose_name_plural = _("payment notices")
        ordering = ["-due_date", "loan_id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "due_date"], name="one_payment_notice_per_due_date"),
            # The amount is its breakdown. Written as "within half a cent" (migration 0008), which for
            # numeric(18, 2) columns, whole øre that PostgreSQL adds exactly, is the same as equal.
            models.CheckConstraint(
                condition=Q(amount__gt=_BREAKDOWN - _HALF_CENT) & Q(amount__lt=_BREAKDOWN + _HALF_CENT),
                name="payment_notice_amount_is_its_breakdown",
            ),
        ]
        indexes = [
            # The work queue stays small however many notices were sent: index only what is still to do.
            models.Index(
                fields=["channel", "id"],
                condition=Q(state__in=["pending", "failed"]),
                name="payment_notice_queue",
            ),
            models.Index(fields=["batch_date", "channel"], name="payment_notice_batch"),
            # The admin's list (common.admin.BigTableAdmin): its order with its filters' columns, so its pages and
            # deep pages are index-only scans; and each filter's own index, for its count.
            models.Index(
                fields=["-due_date", "loan"],
                include=["id", "state", "channel", "currency", "language"],
                name="payment_notice_admin_list",
            ),
            models.Index(fields=["state"], name="payment_notice_state"),
            models.Index(fields=["channel"], name="payment_notice_channel"),
            # a currency or language few notices have: their deep pages too are a range of one index
            models.Index(
                fields=["currency", "-due_date", "loan"], include=["id"], name="payment_notice_ccy_list"
            ),
            models.Index(
                fields=["language", "-due_date", "loan"], include=["id"], name="payment_notice_lang_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.due_date} {self.amount} {self.currency}"
