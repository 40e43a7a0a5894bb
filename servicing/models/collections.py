"""Collections (COL-1 to COL-6, REC-1, REC-2): delinquency buckets, the reminder ladder, what it sent, the
collector's cases, promises to pay, hardship plans and escalation to a legal case. docs/collections.md.

Reference data an admin edits: `DelinquencyBucket`, `ReminderStep`, `ReminderTemplate`, `CollectorRule`.
Records written by services only (read-only in the admin): `LoanDelinquency`, `Reminder`, `CollectionsContact`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import MONEY  # one definition of a money column
from loanregister.choices import LoanType

__all__ = [
    "DelinquencyBucket",
    "LoanDelinquency",
    "ReminderStep",
    "ReminderTemplate",
    "Reminder",
    "CollectionCase",
    "CollectorRule",
    "CollectionsContact",
    "PromiseToPay",
    "HardshipAssessment",
    "HardshipPlan",
    "HardshipInstallment",
    "Escalation",
]


class DelinquencyBucket(models.Model):
    """A band of days past due (the code is its label: `1-29`, `30-59`, `60-89`, `90+`). Reference data."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    min_days = models.PositiveIntegerField(_("from day"), validators=[MinValueValidator(1)])
    max_days = models.PositiveIntegerField(
        _("to day"), null=True, blank=True, help_text=_("Empty: no upper limit.")
    )

    class Meta:
        verbose_name = _("delinquency bucket")
        verbose_name_plural = _("delinquency buckets")
        ordering = ["min_days"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_days__isnull=True) | Q(max_days__gte=models.F("min_days")),
                name="delinquency_bucket_range",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.max_days is not None and self.min_days is not None and self.max_days < self.min_days:
            raise ValidationError({"max_days": _("The last day cannot be before the first.")})
        others = DelinquencyBucket.objects.exclude(pk=self.pk)
        high = self.max_days if self.max_days is not None else 10**9
        for other in others:
            other_high = other.max_days if other.max_days is not None else 10**9
            if self.min_days is not None and self.min_days <= other_high and other.min_days <= high:
                raise ValidationError(_("The days overlap bucket %(code)s.") % {"code": other.code})


class LoanDelinquency(models.Model):
    """A loan's delinquency as of the last collections run (only loans with something past due have a row)."""

    loan = models.OneToOneField(
        "loanregister.Loan",
        verbose_name=_("loan"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="delinquency",
    )
    as_of = models.DateField(_("as of"))
    oldest_unpaid_due_date = models.DateField(_("oldest unpaid due date"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    amount_past_due = models.DecimalField(_("amount past due"), **MONEY)
    fees_due = models.DecimalField(_("fees due"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    bucket = models.CharField(_("bucket"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("loan delinquency")
        verbose_name_plural = _("loan delinquency")
        ordering = ["-days_past_due", "loan_id"]
        indexes = [
            models.Index(fields=["bucket", "days_past_due"], name="delinquency_bucket_days"),
            # the admin's list, most behind first, and its currency filter in that order (BigTableAdmin)
            models.Index(fields=["days_past_due", "loan"], name="delinquency_admin_list"),
            models.Index(fields=["currency", "days_past_due", "loan"], name="delinquency_currency_list"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.days_past_due}"


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone call (a task for a collector)")


class ReminderStep(models.Model):
    """A step of the reminder ladder (COL-3): fires at `days` past due (negative: before the due date).

    The steps without a loan type are the ladder of every product without its own; a loan type with steps of
    its own uses those only."""

    class Condition(models.TextChoices):
        ALWAYS = "always", _("Every borrower")
        LATE_BEFORE = "late_before", _("Only after a payment more than 15 days late in the past 12 months")

    class Action(models.TextChoices):
        MESSAGE = "message", _("Send the message")
        ESCALATE = "escalate", _("Send the message and escalate to a legal case")

    loan_type = models.CharField(
        _("loan type"),
        max_length=20,
        choices=LoanType.choices,
        blank=True,
        help_text=_("Empty: every product."),
    )
    code = models.CharField(_("code"), max_length=30)
    days = models.IntegerField(_("days past due"), help_text=_("Negative: days before the due date."))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    condition = models.CharField(_("for"), max_length=20, choices=Condition.choices, default=Condition.ALWAYS)
    call_task = models.BooleanField(
        _("and a call task"), default=False, help_text=_("Also put a call in the collector's queue.")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, default=Action.MESSAGE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder step")
        verbose_name_plural = _("reminder ladder")
        ordering = ["loan_type", "days"]
        constraints = [
            models.UniqueConstraint(fields=["loan_type", "code"], name="reminder_step_code"),
            models.UniqueConstraint(fields=["loan_type", "days"], name="reminder_step_days"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_type or '*'} {self.code} ({self.days})"


class ReminderTemplate(models.Model):
    """A step's text in one language (Django template syntax; docs/collections.md lists the variables)."""

    step = models.ForeignKey(
        ReminderStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="templates"
    )
    language = models.CharField(_("language"), max_length=2)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("reminder template")
        verbose_name_plural = _("reminder templates")
        ordering = ["step", "language"]
        constraints = [
            models.UniqueConstraint(fields=["step", "language"], name="reminder_template_language")
        ]

    def __str__(self) -> str:
        return f"{self.step.code} {self.language}"

    def clean(self) -> None:
        from django.template import Template, TemplateSyntaxError

        for field in ("subject", "body"):
            try:
                Template(getattr(self, field))
            except TemplateSyntaxError as exc:
                raise ValidationError({field: str(exc)}) from exc


class Reminder(models.Model):
    """A step of the ladder for one loan and one unpaid due date: sent, or skipped (its day passed unrun).

    One per loan, due date and step, whatever happens (the unique constraint): a re-run, two schedulers, a crash.
    """

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="reminders"
    )
    due_date = models.DateField(_("due date"))
    step = models.ForeignKey(ReminderStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="+")
    step_days = models.IntegerField(_("step's days"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    business_date = models.DateField(_("sent on"), help_text=_("The business date of the run."))
    amount_past_due = models.DecimalField(_("amount past due"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-business_date", "loan_id", "due_date", "step_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "due_date", "step"], name="one_reminder_step_per_due_date"
            )
        ]
        indexes = [
            models.Index(fields=["business_date", "loan", "due_date", "step_days"], name="reminder_export"),
            models.Index(fields=["loan", "due_date", "step_days"], name="reminder_loan_due"),
            # the admin's filters in its order, newest first by id (BigTableAdmin)
            models.Index(fields=["state", "id"], name="reminder_state_list"),
            models.Index(fields=["channel", "id"], name="reminder_channel_list"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.due_date} {self.step_id} {self.state}"


class CollectionCase(models.Model):
    """A delinquent loan in the collector's queue: who works it, the next action and its date."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class NextAction(models.TextChoices):
        NONE = "", _("None")
        CALL = "call", _("Call the borrower")
        LETTER = "letter", _("Write to the borrower")
        FOLLOW_PROMISE = "promise", _("Check the promise to pay")
        REVIEW_PLAN = "plan", _("Review the hardship plan")
        LEGAL = "legal", _("Legal follow-up")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="collection_cases"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collection_cases",
    )
    next_action = models.CharField(
        _("next action"), max_length=10, choices=NextAction.choices, blank=True, default=""
    )
    next_action_on = models.DateField(_("next action on"), null=True, blank=True)

    class Meta:
        verbose_name = _("collections case")
        verbose_name_plural = _("collections cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(state="open"), name="one_open_collection_case_per_loan"
            )
        ]
        permissions = [
            ("work_collectioncase", _("Can work the collections queue")),
            ("assign_collectioncase", _("Can assign collections cases")),
            ("approve_hardshipplan", _("Can approve hardship plans")),
            ("export_collections", _("Can export delinquency and reminders")),
        ]

    def __str__(self) -> str:
        return f"{self.loan} ({self.get_state_display()})"


class CollectorRule(models.Model):
    """Assignment by rule: the first matching rule (lowest order) names the collector of a new case."""

    order = models.PositiveIntegerField(_("order"), default=100)
    bucket = models.CharField(_("bucket"), max_length=20, blank=True, help_text=_("Empty: every bucket."))
    office = models.ForeignKey(
        "loanregister.Office",
        verbose_name=_("office"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every office."),
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("collector rule")
        verbose_name_plural = _("collector rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order}: {self.bucket or '*'} {self.office or '*'} → {self.collector}"


class CollectionsContact(models.Model):
    """Links a contact of the contact log (loanregister.ContactLog) to collections: its case, the reminder that
    made it. The link lives here so the core never points at servicing."""

    contact = models.OneToOneField(
        "loanregister.ContactLog", verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        CollectionCase,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    reminder = models.OneToOneField(
        Reminder,
        verbose_name=_("reminder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact",
    )

    class Meta:
        verbose_name = _("collections contact")
        verbose_name_plural = _("collections contacts")
        ordering = ["-id"]
        indexes = [
            # the admin's "logged by a collector" filter, newest first (BigTableAdmin): the few contacts without
            # a reminder
            models.Index(
                fields=["id"], condition=Q(reminder__isnull=True), name="collections_contact_by_hand"
            ),
        ]

    def __str__(self) -> str:
        return str(self.contact_id)


class PromiseToPay(models.Model):
    """A borrower's promise to pay an amount by a date; broken on the day after it falls due unpaid."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        BROKEN = "broken", _("Broken")

    case = models.ForeignKey(
        CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="promises"
    )
    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="+"
    )
    promised_on = models.DateField(_("promised on"))
    due_on = models.DateField(_("to pay by"))
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    contact = models.ForeignKey(
        "loanregister.ContactLog",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["due_on", "id"]
        indexes = [
            # the admin's list in this order, and its state filter in the same order (BigTableAdmin)
            models.Index(fields=["due_on", "id"], name="promise_admin_list"),
            models.Index(fields=["state", "due_on", "id"], name="promise_state_list"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("promised_on")), name="promise_due_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount} {self.currency} by {self.due_on}"


class HardshipAssessment(models.Model):
    """COL-4: the borrower's situation as the collector assessed it."""

    class Cause(models.TextChoices):
        UNEMPLOYMENT = "unemployment", _("Unemployment")
        ILLNESS = "illness", _("Illness")
        DIVORCE = "divorce", _("Divorce or separation")
        DEATH = "death", _("Death in the family")
        INCOME_DROP = "income_drop", _("Lower income")
        OTHER = "other", _("Other")

    loan = models.ForeignKey(
        "loanregister.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="hardship_assessments",
    )
    assessed_on = models.DateField(_("assessed on"))
    monthly_income = models.DecimalField(_("monthly income"), **MONEY, validators=[MinValueValidator(0)])
    monthly_expenses = models.DecimalField(_("monthly expenses"), **MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    expected_months = models.PositiveIntegerField(_("expected duration (months)"))
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("hardship assessment")
        verbose_name_plural = _("hardship assessments")
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.assessed_on}"


class HardshipPlan(models.Model):
    """COL-4: an alternative repayment plan with its own schedule, approved by a collections manager.

    While it is `active`, what is billed follows its schedule and the reminder ladder pauses for the loan; a
    missed plan payment makes it `broken` and the ladder resumes."""

    class Kind(models.TextChoices):
        REDUCED = "reduced", _("Reduced payments for a period")
        HOLIDAY = "holiday", _("Payment holiday")
        EXTENDED = "extended", _("Extended term")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for approval")
        ACTIVE = "active", _("Running")
        COMPLETED = "completed", _("Completed")
        BROKEN = "broken", _("Ended: a plan payment was missed")
        REJECTED = "rejected", _("Rejected")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="hardship_plans"
    )
    assessment = models.ForeignKey(
        HardshipAssessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="plans"
    )
    kind = models.CharField(_("plan"), max_length=10, choices=Kind.choices)
    starts_on = models.DateField(_("first due date"))
    months = models.PositiveIntegerField(_("months"), validators=[MinValueValidator(1)])
    ends_on = models.DateField(_("last due date"))
    payment = models.DecimalField(
        _("payment per month"),
        **MONEY,
        validators=[MinValueValidator(0)],
        help_text=_("0 for a payment holiday."),
    )
    extra_months = models.PositiveIntegerField(_("term extended by (months)"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("hardship plan")
        verbose_name_plural = _("hardship plans")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(state__in=["proposed", "active"]), name="one_live_hardship_plan"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="hardship_plan_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class HardshipInstallment(models.Model):
    """One payment of a hardship plan's own schedule: what is billed on its due date instead of the loan's."""

    plan = models.ForeignKey(
        HardshipPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="installments"
    )
    due_date = models.DateField(_("due date"))
    principal = models.DecimalField(_("principal"), **MONEY)
    interest = models.DecimalField(_("interest"), **MONEY)

    class Meta:
        verbose_name = _("hardship plan payment")
        verbose_name_plural = _("hardship plan payments")
        ordering = ["plan", "due_date"]
        constraints = [models.UniqueConstraint(fields=["plan", "due_date"], name="one_plan_payment_per_date")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.due_date} {self.amount}"

    @property
    def amount(self):
        return self.principal + self.interest


class Escalation(models.Model):
    """COL-5, REC-1: a loan past the last step of the ladder becomes a legal case on a path (lawsuit, lien,
    udlæg). Whether the lender may pursue other assets (recourse) or only the collateral is decided by the
    recourse rules when it is opened; the deficiency comes from the recovery module (REC-2). Opening one does not
    change the loan's status: recovery's own steps do."""

    class Path(models.TextChoices):
        LAWSUIT = "lawsuit", _("Lawsuit")
        LIEN = "lien", _("Enforce the lien on the collateral")
        UDLAEG = "udlaeg", _("Udlæg (garnishment of other assets)")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    loan = models.ForeignKey(
        "loanregister.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="escalations"
    )
    case = models.ForeignKey(
        CollectionCase,
        verbose_name=_("collections case"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    opened_on = models.DateField(_("opened on"))
    path = models.CharField(_("path"), max_length=10, choices=Path.choices)
    recourse = models.BooleanField(_("recourse"))
    recourse_reason = models.CharField(_("why"), max_length=300, blank=True)
    amount_past_due = models.DecimalField(_("amount past due"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    legal_case = models.ForeignKey(
        "servicing.LegalCase",
        verbose_name=_("recovery's legal case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("escalation to a legal case")
        verbose_name_plural = _("escalations to legal cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["loan"], condition=Q(state="open"), name="one_open_escalation"),
            # REC-1: without recourse only the collateral may be pursued
            models.CheckConstraint(
                condition=Q(recourse=True) | Q(path="lien"), name="escalation_respects_recourse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.get_path_display()}"
