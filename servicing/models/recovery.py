"""Servicing transfers (REG-4), closing documents (SRV-3), and default and recovery (REC-1 to REC-3)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import MONEY  # one definition of a money column

__all__ = [
    "ServicerContact",
    "ServicingTransfer",
    "TransferNotice",
    "RetentionRule",
    "LoanDocument",
    "RetentionNotOver",
    "LoanProgram",
    "RecourseRule",
    "CollateralRecovery",
    "LegalCase",
]


# --- Servicing transfer (REG-4) ---------------------------------------------------------------------------


class ServicerContact(models.Model):
    """Where borrowers reach a servicer and send their payments: printed on the transfer notices (REG-4)."""

    servicer = models.OneToOneField(
        "loanregister.Servicer", verbose_name=_("servicer"), on_delete=models.CASCADE, related_name="contact"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    payment_account = models.CharField(
        _("payment account"),
        max_length=60,
        blank=True,
        help_text=_("IBAN, reg. and account no., or FI creditor"),
    )
    payment_instructions = models.CharField(_("how to pay"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("servicer contact")
        verbose_name_plural = _("servicer contacts")
        ordering = ["servicer"]

    def __str__(self) -> str:
        return str(self.servicer)


class ServicingTransfer(models.Model):
    """One transfer of servicing rights for a selection of loans, done in one step.

    A transfer effective today or earlier is applied at once. One effective later is `scheduled`: its notices
    go out ahead (RESPA wants the borrower told in advance), its loans are those of its notices, and the
    nightly job applies it on the effective date, so the register never shows a servicer before its time.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")

    from_servicer = models.ForeignKey(
        "loanregister.Servicer",
        verbose_name=_("from servicer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the loans came from several servicers."),
    )
    to_servicer = models.ForeignKey(
        "loanregister.Servicer", verbose_name=_("to servicer"), on_delete=models.PROTECT, related_name="+"
    )
    effective_date = models.DateField(_("effective date"))
    loan_count = models.PositiveIntegerField(_("loans"), default=0)
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DONE)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("servicing transfer")
        verbose_name_plural = _("servicing transfers")
        ordering = ["-created_at", "-id"]
        permissions = [("transfer_servicing", _("Can transfer servicing of loans"))]

    def __str__(self) -> str:
        return f"→ {self.to_servicer} {self.effective_date} ({self.loan_count})"


class TransferNotice(models.Model):
    """The borrower's goodbye/hello letter: who serviced the loan, who does from the effective date, where to pay."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")

    transfer = models.ForeignKey(
        ServicingTransfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="notices"
    )
    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="transfer_notices"
    )
    borrower = models.ForeignKey(
        "loanregister.Borrower", verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="+"
    )
    old_servicer = models.ForeignKey(
        "loanregister.Servicer", verbose_name=_("old servicer"), on_delete=models.PROTECT, related_name="+"
    )
    new_servicer = models.ForeignKey(
        "loanregister.Servicer", verbose_name=_("new servicer"), on_delete=models.PROTECT, related_name="+"
    )
    effective_date = models.DateField(_("effective date"))
    language = models.CharField(_("language"), max_length=2)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer notice")
        verbose_name_plural = _("transfer notices")
        ordering = ["transfer", "loan", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "loan", "borrower"], name="one_transfer_notice_per_borrower"
            )
        ]
        indexes = [
            # the admin's filters in its order, newest first by id (BigTableAdmin)
            models.Index(fields=["channel", "id"], name="transfer_notice_channel_list"),
            models.Index(fields=["language", "id"], name="transfer_notice_lang_list"),
            models.Index(fields=["new_servicer", "id"], name="transfer_notice_servicer_list"),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.borrower} {self.effective_date}"


# --- Closing documents (SRV-3) ----------------------------------------------------------------------------


class RetentionRule(models.Model):
    """How long a jurisdiction requires closing documents kept after the loan ends. Reference data."""

    jurisdiction = models.CharField(
        _("jurisdiction"),
        max_length=20,
        unique=True,
        help_text=_(
            "Country or state code as on the property: DK, US, US-CA. A country rule covers its states."
        ),
    )
    years = models.PositiveSmallIntegerField(
        _("years"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    from_year_end = models.BooleanField(
        _("counted from the end of the financial year"),
        default=False,
        help_text=_(
            "Danish bookkeeping law counts from the end of the financial year in which the loan ended."
        ),
    )
    is_default = models.BooleanField(
        _("loaded default"), default=False, help_text=_("Loaded with the product; review it and untick.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["jurisdiction"]

    def __str__(self) -> str:
        return f"{self.jurisdiction}: {self.years}"

    def retain_until(self, loan_end: datetime.date) -> datetime.date:
        start = datetime.date(loan_end.year, 12, 31) if self.from_year_end else loan_end
        try:
            return start.replace(year=start.year + self.years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + self.years, day=28)


class RetentionNotOver(ValidationError):
    """Deleting a document whose retention period has not ended (SRV-3)."""


class LoanDocumentQuerySet(models.QuerySet):
    def delete(self):
        # A bulk delete skips Model.delete(): refuse it here too (and the database trigger refuses it anyway).
        for document in self:
            document.check_deletable()
        return super().delete()


class LoanDocument(models.Model):
    """A closing document archived with its loan, kept until its retention period ends."""

    class Kind(models.TextChoices):
        MORTGAGE_DEED = "mortgage_deed", _("Mortgage deed (pantebrev)")
        PROMISSORY_NOTE = "promissory_note", _("Promissory note (gældsbrev)")
        TITLE_DEED = "title_deed", _("Title deed (skøde)")
        LOAN_AGREEMENT = "loan_agreement", _("Loan agreement")
        CLOSING_DISCLOSURE = "closing_disclosure", _("Closing statement")
        VALUATION = "valuation", _("Valuation")
        INSURANCE = "insurance", _("Insurance policy")
        OTHER = "other", _("Other")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="loan-documents/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    jurisdiction = models.CharField(_("jurisdiction"), max_length=20, blank=True)
    retain_until = models.DateField(
        _("retain until"),
        null=True,
        blank=True,
        help_text=_("Empty: no retention rule applies yet, so kept."),
    )

    objects = LoanDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan document")
        verbose_name_plural = _("loan documents")
        ordering = ["loan", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.get_kind_display()} {self.original_name}"

    def check_deletable(self) -> None:
        """Refuse unless the retention period is over (`documents.document_can_be_deleted`), judged on today's
        rules and loan dates.

        The stored retain_until is brought up to date first (a loan extended, a rule edited), so that the
        database trigger, which reads the stored date, judges the same way.
        """
        from servicing.documents import document_can_be_deleted, document_retain_until

        fresh, jurisdiction = document_retain_until(loan=self.loan)
        if self.pk and (fresh, jurisdiction) != (self.retain_until, self.jurisdiction):
            LoanDocument.objects.filter(pk=self.pk).update(retain_until=fresh, jurisdiction=jurisdiction)
        self.retain_until, self.jurisdiction = fresh, jurisdiction
        if document_can_be_deleted(self):
            return
        if fresh is None:
            raise RetentionNotOver(
                _("This document is kept: no retention rule covers %(jurisdiction)s yet.")
                % {"jurisdiction": jurisdiction or "?"}
            )
        raise RetentionNotOver(
            _("This document must be kept until %(date)s (retention period of %(jurisdiction)s).")
            % {"date": fresh.isoformat(), "jurisdiction": jurisdiction}
        )

    def delete(self, *args, **kwargs):
        self.check_deletable()
        from django.db import transaction

        storage, name = self.file.storage, self.file.name
        result = super().delete(*args, **kwargs)
        if name:
            # Only once the row is surely gone: a rolled-back delete must not lose the file.
            transaction.on_commit(lambda: storage.delete(name))
        return result


# --- Default and recovery (REC-1 to REC-3) ----------------------------------------------------------------


class Program(models.TextChoices):
    CONVENTIONAL = "conventional", _("Conventional")
    VA = "va", _("VA (veterans)")
    USDA = "usda", _("USDA (rural)")
    FHA = "fha", _("FHA")


class LoanProgram(models.Model):
    """The loan program (government backing) of a loan, where it has one; read by the recourse rules."""

    loan = models.OneToOneField(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.CASCADE, related_name="program"
    )
    program = models.CharField(_("program"), max_length=20, choices=Program.choices)

    class Meta:
        verbose_name = _("loan program")
        verbose_name_plural = _("loan programs")
        ordering = ["loan"]

    def __str__(self) -> str:
        return f"{self.loan} {self.get_program_display()}"


class RecourseRule(models.Model):
    """REC-3 as reference data: whether a defaulted loan is recourse, by jurisdiction and/or program.

    The most specific rule wins: a program rule before a jurisdiction-only rule (VA, USDA and FHA loans are
    non-recourse everywhere), a state before its country. A loan whose own agreement says non-recourse
    (Loan.recourse unticked) stays non-recourse whatever the rules say.
    """

    Program = Program

    jurisdiction = models.CharField(
        _("jurisdiction"),
        max_length=20,
        blank=True,
        help_text=_("DK, US, US-CA; empty for every jurisdiction."),
    )
    program = models.CharField(
        _("program"),
        max_length=20,
        choices=Program.choices,
        blank=True,
        help_text=_("Empty for every program."),
    )
    recourse = models.BooleanField(_("recourse"))
    is_default = models.BooleanField(
        _("loaded default"), default=False, help_text=_("Loaded with the product; review it and untick.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("recourse rule")
        verbose_name_plural = _("recourse rules")
        ordering = ["jurisdiction", "program"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "program"], name="one_recourse_rule_per_scope"),
            models.CheckConstraint(
                condition=~Q(jurisdiction="", program=""), name="recourse_rule_has_a_scope"
            ),
        ]

    def __str__(self) -> str:
        scope = " ".join(part for part in (self.jurisdiction, self.get_program_display()) if part)
        kind = _("recourse") if self.recourse else _("non-recourse")  # outside the f-string, for xgettext
        return f"{scope}: {kind}"

    def clean(self) -> None:
        if not self.jurisdiction and not self.program:
            raise ValidationError(_("Give a jurisdiction, a program, or both."))
        self.jurisdiction = self.jurisdiction.strip().upper()


class CollateralRecovery(models.Model):
    """REC-2: the collateral of a defaulted loan recovered (repossessed, sold), and what followed. A record."""

    class Outcome(models.TextChoices):
        NO_DEFICIENCY = "no_deficiency", _("Covered by the collateral")
        LEGAL_CASE = "legal_case", _("Recourse: case for the legal team")
        WRITE_OFF = "write_off", _("Non-recourse: deficiency written off")

    loan = models.ForeignKey(
        "loanregister.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="collateral_recoveries",
    )
    recovered_on = models.DateField(_("recovered on"))
    recovered_value = models.DecimalField(
        _("recovered value"), **MONEY, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3)
    description = models.CharField(_("description"), max_length=300, blank=True)
    outstanding_balance = models.DecimalField(_("outstanding balance"), **MONEY)
    deficiency = models.DecimalField(_("deficiency"), **MONEY)
    recourse = models.BooleanField(_("recourse"))
    recourse_rule = models.ForeignKey(
        RecourseRule,
        verbose_name=_("recourse rule applied"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recourse_reason = models.CharField(_("why"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    proceeds_posting = models.ForeignKey(
        "servicing.Posting",
        verbose_name=_("proceeds posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    write_off_posting = models.ForeignKey(
        "servicing.Posting",
        verbose_name=_("write-off posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("collateral recovery")
        verbose_name_plural = _("collateral recoveries")
        ordering = ["-recovered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(recovered_value__gte=0), name="recovery_value_not_negative"),
            models.CheckConstraint(condition=Q(deficiency__gte=0), name="recovery_deficiency_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.recovered_on} {self.recovered_value} {self.currency}"


class LegalCase(models.Model):
    """REC-1 recourse path: the legal team pursues the deficiency from the borrower's other assets."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_COURT = "in_court", _("In court")
        ENFORCING = "enforcing", _("Enforcing (udlæg, garnishment)")
        SETTLED = "settled", _("Settled")
        CLOSED = "closed", _("Closed")

    ASSET_KINDS = [
        ("deposit_accounts", _("Deposit accounts")),
        ("wages", _("Wages")),
        ("tax_refunds", _("Tax refunds")),
        ("pensions", _("Pensions")),
    ]

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="legal_cases"
    )
    recovery = models.OneToOneField(
        CollateralRecovery,
        verbose_name=_("collateral recovery"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_case",
    )
    opened_on = models.DateField(_("opened on"))
    amount = models.DecimalField(_("amount pursued"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    assets_to_pursue = models.JSONField(_("assets to pursue"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_cases",
    )
    notes = models.TextField(_("notes"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-opened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.amount} {self.currency} ({self.get_state_display()})"
