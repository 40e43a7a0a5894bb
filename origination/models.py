"""Loan Production Office intake (LPO-1 to LPO-5): products, applications, their documents, their workflow.

The rules are in `origination/workflow.py` (states and allowed transitions), `origination/underwriting.py` (the
checks against a product's standards) and `origination/services.py` (every write, with its permission and office
checks); docs/origination.md explains them to their users.
"""

import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import MONEY
from loanregister.choices import PAYMENTS_PER_YEAR_CHOICES, Amortization, LoanType, PropertyCategory


class ApplicationDocumentStorage(FileSystemStorage):
    """Files under settings.ORIGINATION_DOCUMENT_ROOT, read when used (so a changed setting applies), no URL."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.ORIGINATION_DOCUMENT_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def application_document_storage() -> FileSystemStorage:
    """Application documents live outside the web root and MEDIA_ROOT (settings.ORIGINATION_DOCUMENT_ROOT, under
    VAR_DIR): no URL serves them; the download view checks who asks (origination/views/documents.py)."""
    return ApplicationDocumentStorage()


class ApplicationState(models.TextChoices):
    """The workflow's states in their order (the pipeline and its export sort by it): origination/workflow.py."""

    RECEIVED = "received", _("Received")
    DOCUMENTS_PENDING = "documents_pending", _("Documents pending")
    COMPLETE = "complete", _("Complete")
    UNDERWRITING_CHECKED = "underwriting_checked", _("Underwriting checked")
    RECOMMENDED = "recommended", _("Recommended")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    FUNDED = "funded", _("Funded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("Approve")
    DECLINE = "decline", _("Decline")


class Product(models.Model):
    """A loan product (mortgage, auto, personal, ...) with its underwriting standards (LPO-2), edited by an admin."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    loan_type = models.CharField(
        _("loan type"), max_length=20, choices=LoanType.choices, default=LoanType.FIXED
    )
    amortization = models.CharField(
        _("amortization"), max_length=20, choices=Amortization.choices, default=Amortization.ANNUITY
    )
    payments_per_year = models.PositiveSmallIntegerField(
        _("payments per year"), choices=PAYMENTS_PER_YEAR_CHOICES, default=12
    )
    rate_reset_years = models.PositiveSmallIntegerField(
        _("rate reset every (years)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("An adjustable-rate product: the funded loan's rate reset date is this many years on."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    recourse = models.BooleanField(_("recourse"), default=True)
    secured_by_property = models.BooleanField(
        _("secured by a property"),
        default=True,
        help_text=_("A mortgage: the application names the property."),
    )
    max_loan_to_value = models.DecimalField(
        _("maximum loan-to-value (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("Requested amount over the property's valuation, in percent. Empty: not checked."),
    )
    max_debt_to_income = models.DecimalField(
        _("maximum debt-to-income"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "The applicants' debts plus the requested amount over their yearly income (4.00 = four times the "
            "income). Empty: not checked."
        ),
    )
    min_credit_score = models.PositiveSmallIntegerField(
        _("minimum credit score"), null=True, blank=True, help_text=_("Empty: not checked.")
    )
    min_term_months = models.PositiveSmallIntegerField(
        _("minimum term (months)"), default=12, validators=[MinValueValidator(1)]
    )
    max_term_months = models.PositiveSmallIntegerField(
        _("maximum term (months)"), default=360, validators=[MaxValueValidator(600)]
    )
    min_amount = models.DecimalField(_("minimum amount"), **MONEY, default=Decimal("1000.00"))
    max_amount = models.DecimalField(_("maximum amount"), **MONEY, default=Decimal("10000000.00"))
    expire_after_days = models.PositiveSmallIntegerField(
        _("expire after (days without activity)"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("The nightly expiry closes an open application with no activity for this many days."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_term_months__lte=models.F("max_term_months")), name="product_term_range"
            ),
            models.CheckConstraint(
                condition=Q(min_amount__lte=models.F("max_amount")), name="product_amount_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.min_term_months and self.max_term_months and self.min_term_months > self.max_term_months:
            errors["max_term_months"] = _("The maximum term is shorter than the minimum term.")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            errors["max_amount"] = _("The maximum amount is less than the minimum amount.")
        if self.amortization == Amortization.INTEREST_ONLY:
            errors["amortization"] = _(
                "Origination books annuity, serial or bullet loans: an interest-only period is agreed on the loan."
            )
        if errors:
            raise ValidationError(errors)


class ChecklistItem(models.Model):
    """One document a product's application needs (ID, proof of income, property valuation, ...)."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="checklist"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["product", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="checklist_item_code_per_product")
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """A loan application taken in at an office, moved through its states by origination/services.py only."""

    number = models.CharField(_("application number"), max_length=20, unique=True)
    office = models.ForeignKey(
        "loanregister.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="applications"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="applications"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ApplicationState.choices, default=ApplicationState.RECEIVED
    )
    state_entered_at = models.DateTimeField(_("in this state since"))
    last_activity_at = models.DateTimeField(_("last activity"))
    requested_amount = models.DecimalField(
        _("requested amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    term_months = models.PositiveSmallIntegerField(_("term (months)"), validators=[MinValueValidator(1)])
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    property_id = models.CharField(_("property id (BFE)"), max_length=40, blank=True)
    property_address = models.CharField(_("property address"), max_length=300, blank=True)
    property_category = models.CharField(
        _("property category"), max_length=20, choices=PropertyCategory.choices, blank=True
    )
    property_valuation = models.DecimalField(_("property valuation"), **MONEY, null=True, blank=True)
    credit_score = models.PositiveSmallIntegerField(_("credit score"), null=True, blank=True)
    # Written when the application is checked against its product's standards (LPO-2): the figures and results.
    underwriting = models.JSONField(_("underwriting checks"), default=list, blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True
    )
    recommendation_reasons = models.TextField(_("reasons for the recommendation"), blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    # The terms, set by staff with origination.set_loan_terms at an office that makes loans (LPO-3, LPO-4).
    approved_amount = models.DecimalField(_("approved amount"), **MONEY, null=True, blank=True)
    interest_rate = models.DecimalField(
        _("annual interest rate (%)"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    approved_term_months = models.PositiveSmallIntegerField(
        _("approved term (months)"), null=True, blank=True
    )
    bond_price = models.DecimalField(
        _("bond price (kurs)"),
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("The price the disbursement is made at, in percent of face value (STAT-1)."),
    )
    terms_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("terms set by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    loan = models.OneToOneField(
        "loanregister.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["last_activity_at"])

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("take_application", _("Can take in and prepare loan applications")),
            ("recommend_application", _("Can recommend approval or decline (an LPO's senior processor)")),
            ("decide_application", _("Can approve or decline loan applications")),
            ("set_loan_terms", _("Can set the rate and terms of a loan")),
            ("fund_application", _("Can fund an approved application and book its loan")),
            ("export_pipeline", _("Can export the application pipeline")),
        ]
        indexes = [
            models.Index(fields=["office", "state", "state_entered_at"], name="application_pipeline"),
            models.Index(fields=["state", "last_activity_at"], name="application_activity"),
            # the admin's list in this order (read backward), and its state filter in it (BigTableAdmin)
            models.Index(fields=["created_at", "id"], name="application_admin_list"),
            models.Index(fields=["state", "created_at", "id"], name="application_state_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="funded", loan__isnull=False) | (~Q(state="funded") & Q(loan__isnull=True)),
                name="application_funded_has_its_loan",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def entered_state_on(self):
        from django.utils import timezone

        return timezone.localdate(self.state_entered_at)


class Applicant(models.Model):
    """One of an application's one or two applicants: a borrower (matched by CPR) with income and debts."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="applicants"
    )
    borrower = models.ForeignKey(
        "loanregister.Borrower",
        verbose_name=_("borrower"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    position = models.PositiveSmallIntegerField(
        _("applicant"), validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    yearly_income = models.DecimalField(_("yearly income"), **MONEY, default=Decimal("0"))
    debts = models.DecimalField(_("existing debts"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="applicant_position_once"),
            models.UniqueConstraint(fields=["application", "borrower"], name="applicant_borrower_once"),
        ]
        indexes = [
            models.Index(fields=["position", "id"], name="applicant_position_list")
        ]  # the admin's filter

    def __str__(self) -> str:
        return f"{self.application} {self.position}: {self.borrower}"


class ApplicationDocument(models.Model):
    """A document uploaded against an item of the product's checklist, then verified or rejected one by one."""

    class Check(models.TextChoices):
        PENDING = "pending", _("Not yet checked")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="documents"
    )
    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("checklist item"), on_delete=models.PROTECT, related_name="documents"
    )
    file = models.FileField(
        _("file"), storage=application_document_storage, upload_to="applications/%Y/%m/", max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    check_state = models.CharField(_("check"), max_length=10, choices=Check.choices, default=Check.PENDING)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    check_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["application", "item__position", "id"]
        indexes = [
            models.Index(fields=["check_state", "id"], name="application_doc_check_list")
        ]  # admin filter

    def __str__(self) -> str:
        return f"{self.application} {self.item}: {self.original_name}"


class ApplicationTransition(models.Model):
    """A record of one move of an application between states: who, when and why (never changed)."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=ApplicationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=ApplicationState.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField(_("why"), blank=True)

    class Meta:
        verbose_name = _("application transition")
        verbose_name_plural = _("application transitions")
        ordering = ["application", "at", "id"]
        indexes = [  # the admin's filters, newest first by id (BigTableAdmin)
            models.Index(fields=["to_state", "id"], name="application_transition_to"),
            models.Index(fields=["from_state", "id"], name="application_transition_from"),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.from_state or '-'} → {self.to_state}"


class ApplicationMessage(models.Model):
    """Links a contact of the one contact log (loanregister.ContactLog) to the application it was about."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="messages"
    )
    contact = models.OneToOneField(
        "loanregister.ContactLog",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="application_link",
    )

    class Meta:
        verbose_name = _("application message")
        verbose_name_plural = _("application messages")
        ordering = ["application", "-contact__contacted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.application}: {self.contact}"
