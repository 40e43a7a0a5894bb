import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import MONEY  # noqa: E402  (one definition of a money column)

from .choices import (
    OPEN_LEAD_STATUSES,
    PAYMENTS_PER_YEAR_CHOICES,
    Amortization,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    ContactPurpose,
    Language,
    LeadEvent,
    LeadStatus,
    LoanStatus,
    LoanType,
    OfficeKind,
    PropertyCategory,
    RegisterEventKind,
)
from .privacy import validate_national_id


class Office(models.Model):
    """A home office, a branch, or a loan production office (LPO-1, LPO-4)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OfficeKind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    branch_capacity = models.BooleanField(
        _("branch capacity"),
        default=False,
        help_text=_("LPO granted full loan service by the banking commissioner"),
    )
    branch_capacity_granted_on = models.DateField(_("branch capacity granted on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # docs/requirements.md §5 "Staff and offices": the radar gives a loan without a responsible officer to this one.
    default_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default loan officer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Gets the leads of this office's loans that have no responsible officer."),
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(branch_capacity=False) | Q(kind="lpo", branch_capacity_granted_on__isnull=False),
                name="office_branch_capacity_is_an_lpo_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.branch_capacity and self.kind != OfficeKind.LPO:
            raise ValidationError(
                {"branch_capacity": _("Only a loan production office is granted branch capacity.")}
            )
        if self.branch_capacity and not self.branch_capacity_granted_on:
            raise ValidationError(
                {"branch_capacity_granted_on": _("Give the date branch capacity was granted.")}
            )
        if self.default_officer_id:
            profile = (
                StaffProfile.objects.filter(user_id=self.default_officer_id).select_related("office").first()
            )
            if profile is not None and profile.office_id != self.pk:
                raise ValidationError(
                    {
                        "default_officer": _("%(user)s works at %(office)s, not at this office.")
                        % {"user": profile.user, "office": profile.office}
                    }
                )

    def can_make_loans(self, on: datetime.date) -> bool:
        """LPO-2/LPO-4: whether the office's staff may decide loans and set their terms on the date `on`.

        A home office or a branch may (while active); an LPO only once granted branch capacity, from its grant
        date on (not the day before). Origination's services ask this before any decision or terms."""
        if not self.active:
            return False
        if self.kind != OfficeKind.LPO:
            return True
        granted = self.branch_capacity_granted_on
        return bool(self.branch_capacity and granted is not None and granted <= on)


class Servicer(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Exactly one servicer is our own: a fresh database gets it from a data migration (settings OWN_SERVICER_*),
    # and a loan file's blank `servicer` means it (docs/import_loans.md).
    is_own = models.BooleanField(_("our own servicing"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("servicer")
        verbose_name_plural = _("servicers")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_own"],
                condition=models.Q(is_own=True),
                name="loanregister_servicer_one_own",
                violation_error_message=_("Only one servicer can be our own, and another one already is."),
            )
        ]

    def __str__(self) -> str:
        return self.name


# UPPER(name) of every borrower, kept in step by triggers (migration 0027): the register's name search reads it
# instead of the borrowers' own rows, which are three times as wide (issue 9).
BORROWER_NAME_SEARCH_TABLE = "loanregister_borrower_name"


class Borrower(models.Model):
    # indexed by borrower_admin_list (name, id) and the UPPER(name) trigram (0006); the plain btree and its _like twin
    # (db_index) served no query and cost the seed two index builds (dropped in 0028)
    name = models.CharField(_("name"), max_length=200)
    national_id = models.CharField(
        _("national id (CPR/CVR)"),
        max_length=11,
        blank=True,
        db_index=True,
        validators=[validate_national_id],
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.DANISH
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ["name", "id"]
        indexes = [
            # The admin's list at 870,000 borrowers (common.admin.BigTableAdmin): its order with its filters'
            # columns, so a deep page is an index-only scan; each filter's own index, for its count.
            models.Index(
                fields=["name", "id"],
                include=["do_not_contact", "preferred_language"],
                name="borrower_admin_list",
            ),
            # each filter in the list's order: its count and its deepest page are a range of one index
            models.Index(fields=["do_not_contact", "name", "id"], name="borrower_do_not_contact_list"),
            models.Index(fields=["preferred_language", "name", "id"], name="borrower_language_list"),
            models.Index(fields=["email"], opclasses=["varchar_pattern_ops"], name="borrower_email_prefix"),
        ]
        permissions = [
            ("view_national_id", _("Can see full CPR numbers")),
            ("view_contact_details", _("Can see borrowers' contact details")),
        ]

    def __str__(self) -> str:
        return self.name


class Property(models.Model):
    property_id = models.CharField(_("property id (BFE)"), max_length=40, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    category = models.CharField(_("property category"), max_length=20, choices=PropertyCategory.choices)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=20, default="DK", help_text=_("Country or state code, e.g. DK, US-CA")
    )

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["property_id"]
        indexes = [
            # The admin's filters in its order, with the id, so their counts and deepest pages are a range of one
            # index; and its search by the address's start (common.admin.BigTableAdmin)
            models.Index(fields=["category", "property_id"], include=["id"], name="property_category_list"),
            models.Index(
                fields=["jurisdiction", "property_id"], include=["id"], name="property_jurisdiction_list"
            ),
            models.Index(
                fields=["address"], opclasses=["varchar_pattern_ops"], name="property_address_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property_id} {self.address}".strip()


class Loan(models.Model):
    loan_number = models.CharField(_("loan number"), max_length=40, unique=True)
    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="loans"
    )
    co_borrowers = models.ManyToManyField(
        Borrower, verbose_name=_("co-borrowers"), blank=True, related_name="co_borrowed_loans"
    )
    property = models.ForeignKey(
        Property,
        verbose_name=_("property"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
    )
    servicer = models.ForeignKey(
        Servicer, verbose_name=_("servicer"), on_delete=models.PROTECT, related_name="loans"
    )
    servicer_since = models.DateField(_("serviced since"))
    loan_type = models.CharField(_("loan type"), max_length=20, choices=LoanType.choices)
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    principal = models.DecimalField(_("principal"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    outstanding_balance = models.DecimalField(
        _("outstanding balance"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    balance_date = models.DateField(_("balance date"), null=True, blank=True)
    interest_rate = models.DecimalField(
        _("annual interest rate (%)"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0"))],
    )
    payments_per_year = models.PositiveSmallIntegerField(
        _("payments per year"), choices=PAYMENTS_PER_YEAR_CHOICES, default=12
    )
    amortization = models.CharField(
        _("amortization"), max_length=20, choices=Amortization.choices, default=Amortization.ANNUITY
    )
    interest_only_until = models.DateField(_("interest-only until"), null=True, blank=True)
    origination_date = models.DateField(_("origination date"))
    first_payment_date = models.DateField(_("first payment date"), null=True, blank=True)
    maturity_date = models.DateField(_("maturity date"))  # leads the index loan_admin_list
    rate_reset_date = models.DateField(_("rate reset date"), null=True, blank=True)
    recourse = models.BooleanField(_("recourse"), default=True)
    # The collections state (DESIGN.md section 5): kept by the collections job (servicing), read by the register and
    # campaigns without importing servicing. 0 / false until collections runs.
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    in_collections = models.BooleanField(_("in collections"), default=False)
    # Where a new loan came from (issue 10): the lead of a redeemed loan that it won, set by
    # loanregister.leads.won.leads_won_by_new_loans.
    origin_lead = models.ForeignKey(
        "Lead",
        verbose_name=_("came from lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="won_loans",
    )
    origin_campaign = models.ForeignKey(
        "Campaign",
        verbose_name=_("came from campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="won_loans",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # days past due changes every night from the ledger: a derived fact, not a change anyone made
    history = HistoricalRecords(excluded_fields=["updated_at", "days_past_due"], m2m_fields=[co_borrowers])

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["maturity_date", "id"]
        permissions = [
            ("export_register", _("Can export the maturity register")),
            ("import_loans", _("Can import the loan book")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(maturity_date__gte=models.F("origination_date")),
                name="loan_matures_after_origination",
            ),
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(condition=Q(outstanding_balance__gte=0), name="loan_balance_not_negative"),
        ]
        indexes = [
            # The admin's list at a million loans (common.admin.BigTableAdmin): its order with its filters'
            # columns, so a deep page's ids are an index-only scan, filtered or not. Any query by maturity date
            # uses it too.
            models.Index(
                fields=["maturity_date", "id"],
                include=["status", "loan_type", "currency", "amortization", "recourse", "office", "servicer"],
                name="loan_admin_list",
            ),
            # each filter in the list's order: its count stops after 10,001 entries and its deepest page skips
            # 9,950, however rare the value
            models.Index(fields=["status", "maturity_date", "id"], name="loan_status_list"),
            models.Index(fields=["loan_type", "maturity_date", "id"], name="loan_type_list"),
            models.Index(fields=["currency", "maturity_date", "id"], name="loan_currency_list"),
            models.Index(fields=["amortization", "maturity_date", "id"], name="loan_amortization_list"),
            models.Index(fields=["recourse", "maturity_date", "id"], name="loan_recourse_list"),
            # the few loans in collections, for the register's flag filter and the campaigns' suppression
            models.Index(
                fields=["maturity_date", "id"], condition=Q(in_collections=True), name="loan_in_collections"
            ),
        ]

    def __str__(self) -> str:
        return self.loan_number

    def clean(self) -> None:
        errors = {}
        if self.origination_date and self.maturity_date and self.maturity_date < self.origination_date:
            errors["maturity_date"] = _("The maturity date is before the origination date.")
        if self.amortization == Amortization.INTEREST_ONLY and not self.interest_only_until:
            errors["interest_only_until"] = _(
                "An interest-only loan needs the date its interest-only period ends."
            )
        if errors:
            raise ValidationError(errors)


class ServicerAssignment(models.Model):
    """REG-4: who services a loan, and since when. The open row (until is empty) is the current servicer."""

    loan = models.ForeignKey(
        Loan,
        on_delete=models.CASCADE,
        related_name="servicer_assignments",
        db_index=False,  # servicer_assignment_list
    )
    servicer = models.ForeignKey(
        Servicer,
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,  # servicer_assignment_admin
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("servicer assignment")
        verbose_name_plural = _("servicer assignments")
        ordering = ["loan", "since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(until__isnull=True), name="one_current_servicer_per_loan"
            )
        ]
        indexes = [
            # The admin's order, and its servicer filter in that order (common.admin.BigTableAdmin)
            models.Index(fields=["loan", "since", "id"], name="servicer_assignment_list"),
            models.Index(fields=["servicer", "loan", "since", "id"], name="servicer_assignment_admin"),
        ]

    def __str__(self) -> str:
        return f"{self.loan} → {self.servicer} ({self.since})"


def _keyset_index(column: str, name: str) -> models.Index:
    """Equality column first, then the keyset (event_date, id): a filtered page is one index range scan.

    INCLUDE kind: "this office's maturities" is the commonest pair of filters, and with kind in the index the
    page is an index-only scan that skips the other kinds without reading the table (PostgreSQL only).
    """
    return models.Index(fields=[column, "event_date", "id"], include=["kind"], name=name)


class RegisterEvent(models.Model):
    """One dated event of the maturity register (REG-1, REG-3), kept in step with its loan by the services.

    The loan's filterable fields are copied here (denormalized) by `services.register_events_sync`, so that a
    filtered register page is a range scan of one composite index ending in (event_date, id) and the totals
    and the ladder aggregate one table, at a million loans, instead of joining the loan book for every row.
    Anyone who changes these loan fields in bulk calls `register_events_sync(loan_ids=...)` afterwards.
    """

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="register_events")
    kind = models.CharField(_("event"), max_length=20, choices=RegisterEventKind.choices)
    event_date = models.DateField(_("event date"))
    # Copies of the loan's fields (see the class docstring); never edited by hand.
    loan_number = models.CharField(_("loan number"), max_length=40, default="")
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.ACTIVE
    )
    loan_type = models.CharField(_("loan type"), max_length=20, choices=LoanType.choices, default="")
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    outstanding_balance = models.DecimalField(_("outstanding balance"), **MONEY, default=Decimal("0"))
    recourse = models.BooleanField(_("recourse"), default=True)
    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,  # covered by the composite index below
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    servicer = models.ForeignKey(
        Servicer,
        verbose_name=_("servicer"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    # The borrower's do-not-contact mark, copied too: the register page counts what an export leaves out from the
    # few events of such borrowers (a partial index) instead of joining every event of the window to its borrower.
    borrower_do_not_contact = models.BooleanField(_("borrower do not contact"), default=False)

    class Meta:
        verbose_name = _("register event")
        verbose_name_plural = _("register events")
        ordering = ["event_date", "id"]
        constraints = [models.UniqueConstraint(fields=["loan", "kind"], name="one_register_event_per_kind")]
        indexes = [
            # The keyset. INCLUDE carries every filter column, so a windowed page under any mix of filters, and
            # the totals and ladder, are index-only scans that never visit the table (PostgreSQL only; other
            # databases ignore INCLUDE).
            models.Index(
                fields=["event_date", "id"],
                include=[
                    "loan",
                    "kind",
                    "loan_type",
                    "currency",
                    "status",
                    "recourse",
                    "office",
                    "officer",
                    "servicer",
                    "borrower",
                    "outstanding_balance",
                ],
                name="register_event_keyset",
            ),
            models.Index(fields=["kind", "event_date", "id"], name="register_event_kind_keyset"),
            _keyset_index("loan_type", "register_event_type_keyset"),
            _keyset_index("currency", "register_event_ccy_keyset"),
            _keyset_index("office", "register_event_office_keyset"),
            _keyset_index("officer", "register_event_officer_keyset"),
            _keyset_index("servicer", "register_event_srv_keyset"),
            # the export's documented order (event_date, loan_number): streamed without a sort
            models.Index(fields=["event_date", "loan_number"], name="register_event_export_order"),
            # the events of do-not-contact borrowers, with the filter columns (register.do_not_contact_in)
            models.Index(
                fields=["event_date", "id"],
                include=[
                    "borrower",
                    "kind",
                    "loan_type",
                    "currency",
                    "status",
                    "recourse",
                    "office",
                    "officer",
                    "servicer",
                    "outstanding_balance",
                ],
                condition=models.Q(borrower_do_not_contact=True),
                name="register_event_dnc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.kind} {self.event_date}"


class UserPreference(models.Model):
    """Per-user settings that follow the person from browser to browser (the language switch)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DANISH
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


# --- staff, leads and the contact log (docs/requirements.md REG-2 and §5) -------------------------------------


class StaffProfile(models.Model):
    """docs/requirements.md §5 "Staff and offices": the office a staff user works at, edited in admin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="staff"
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        ordering = ["office", "user"]

    def __str__(self) -> str:
        return f"{self.user} ({self.office.code})"


class RadarHorizon(models.Model):
    """How many days before a register event the maturity radar makes it a lead (REG-2): reference data an admin
    edits. A fresh database has maturity 180, rate reset 120, end of interest-only 90 (migration 0013); an event
    kind without a horizon gets no leads."""

    event = models.CharField(_("event"), max_length=20, choices=RegisterEventKind.choices, unique=True)
    days = models.PositiveSmallIntegerField(
        _("days ahead"),
        validators=[MaxValueValidator(3650)],
        help_text=_(
            "A loan whose event falls between the business date and this many days later becomes a lead."
        ),
    )

    class Meta:
        verbose_name = _("radar horizon")
        verbose_name_plural = _("radar horizons")
        ordering = ["event"]

    def __str__(self) -> str:
        return f"{self.get_event_display()}: {self.days}"


class LeadDigest(models.Model):
    """One officer's e-mail of their new leads for one business date: the unique key sends it once a night."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="+"
    )
    business_date = models.DateField(_("business date"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("lead digest")
        verbose_name_plural = _("lead digests")
        ordering = ["-business_date", "officer"]
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "business_date"], name="one_lead_digest_per_officer_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer} {self.business_date} {self.state}"


_OPEN = Q(status__in=[status.value for status in OPEN_LEAD_STATUSES])


class Lead(models.Model):
    """Work for a loan officer (REG-2): a loan within reach of a register event, found by the maturity radar
    (loanregister/leads/radar.py), worked through its statuses, with the contacts logged on it.

    The radar writes leads set-based in SQL (with their history rows); a person changes them through
    loanregister.leads.work. `officer` empty is the unassigned queue a sales manager works.
    """

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="leads")
    event = models.CharField(_("event"), max_length=20, choices=LeadEvent.choices)
    event_date = models.DateField(_("event date"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    status = models.CharField(_("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    found_on = models.DateField(_("found on"), help_text=_("The business date the radar found it."))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"))
    # The digest e-mail that told its officer about it (set when the digest is made; cleared on reassignment).
    digest = models.ForeignKey(
        LeadDigest,
        verbose_name=_("digest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "digest"])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["event_date", "id"]
        permissions = [
            ("work_lead", _("Can work own leads: log contacts, move their status")),
            ("reassign_lead", _("Can see every lead, reassign leads and work the unassigned queue")),
            ("export_leads", _("Can export leads")),
            ("preview_radar", _("Can see what tonight's maturity radar would do")),
        ]
        constraints = [
            # The radar's ON CONFLICT target: a re-run, a resumed run or two runs at once never make a second one.
            models.UniqueConstraint(
                fields=["loan", "event"], condition=_OPEN, name="one_open_lead_per_loan_and_event"
            ),
            models.CheckConstraint(
                condition=(_OPEN & Q(closed_on__isnull=True)) | (~_OPEN & Q(closed_on__isnull=False)),
                name="lead_closed_on_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["officer", "status", "event_date"], name="lead_officer_status_date"),
            models.Index(fields=["status", "event_date"], name="lead_status_date"),
            models.Index(fields=["loan", "event", "event_date"], name="lead_loan_event_date"),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.event} {self.event_date} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class ContactLog(models.Model):
    """docs/requirements.md §5 "Contact log": every contact with a borrower, whoever made it and why. Written by
    `loanregister.contacts.contact_log_add` only; leads read it now, campaigns and collections cases add their
    nullable links when they come. The contact governor counts `purpose = marketing`."""

    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="contacts"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    campaign = models.ForeignKey(
        "Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=ContactDirection.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ContactPurpose.choices)
    contacted_on = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=ContactOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contact log")
        ordering = ["-contacted_on", "-id"]
        indexes = [
            # the contact governor: a borrower's marketing contacts in a period
            models.Index(
                fields=["borrower", "purpose", "contacted_on"], name="contact_borrower_purpose_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contacted_on} {self.borrower} {self.channel} {self.purpose}"


# Retention campaigns, the contact governor and the conversion radar's rates (issue 10), in a module of their own.
from .campaigns.models import (  # noqa: E402, F401
    Campaign,
    CampaignMember,
    ContactGovernor,
    ConversionRule,
    OfferedRate,
)
from .register_sums import RegisterDaySum  # noqa: E402, F401  (the register's maintained aggregate, issue 9)
