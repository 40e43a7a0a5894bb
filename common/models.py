"""The shared records below the apps: nightly job runs, file imports, exports and exchange rates.

Their tables keep the names they had in the apps they came from (`db_table`), so that moving them here was a
change of Python state only (migration common 0001).
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
"""Every money column: 16 digits before the decimal point, øre/cents after."""

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Give an ISO 4217 code of three capital letters, e.g. EUR."))


class JobRun(models.Model):
    """One run of a nightly job for one business date; the unique key makes a second run a no-op."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=100)
    business_date = models.DateField(_("business date"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        db_table = "loanregister_jobrun"
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        # the operations page (common/operations.py): operators see the nightly jobs and the outbox, and start a job
        permissions = [
            ("view_operations", _("Can see the operations page")),
            ("run_nightly_job", _("Can start a nightly job from the operations page")),
        ]
        indexes = [models.Index(fields=["started_at", "id"], name="job_run_started")]  # the admin's order
        constraints = [models.UniqueConstraint(fields=["job", "business_date"], name="one_job_run_per_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.business_date} {self.state}"


class ImportRun(models.Model):
    """A record of each file import: who, when, what file, and how it ended (for the admin's morning)."""

    kind = models.CharField(_("kind"), max_length=40)
    file_name = models.CharField(_("file"), max_length=300)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.TextField(_("errors"), blank=True)
    # What the reader did that the user should know, one a line: e.g. a file read as Windows-1252 (csvfiles.decode)
    notices = models.TextField(_("notices"), blank=True)

    class Meta:
        db_table = "loanregister_importrun"
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]
        indexes = [
            # the admin's order, its kind filter (and the kinds, read from this index) and its search
            models.Index(fields=["started_at", "id"], name="import_run_started"),
            models.Index(fields=["kind", "started_at", "id"], name="import_run_kind"),
            models.Index(
                fields=["file_name"], opclasses=["varchar_pattern_ops"], name="import_run_file_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} {self.started_at:%Y-%m-%d %H:%M}"


class ExportLog(models.Model):
    """Every export, by page or command: who, when, what kind, its parameters, how many rows (personal data leaves
    the system). Written only by `common.exports.export_log_start` and `export_log_finish`."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("Maturity register")
        LEADS = "leads", _("Leads")
        CAMPAIGN = "campaign", _("Campaign")
        DELINQUENCY = "delinquency", _("Delinquency")
        REMINDERS = "reminders", _("Reminders")
        PIPELINE = "pipeline", _("Pipeline")
        STATISTICS = "statistics", _("Statistics")
        LETTERS = "letters", _("Letters")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        COMMAND = "command", _("Command")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REGISTER)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    dialect = models.CharField(_("CSV dialect"), max_length=20, blank=True)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    include_do_not_contact = models.BooleanField(_("do-not-contact borrowers included"), default=False)
    with_contact_details = models.BooleanField(_("contact details included"), default=False)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=300)
    completed = models.BooleanField(_("completed"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        db_table = "loanregister_exportlog"
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the admin's order and its search
            models.Index(fields=["created_at", "id"], name="export_log_created"),
            models.Index(
                fields=["file_name"], opclasses=["varchar_pattern_ops"], name="export_log_file_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} {self.created_at:%Y-%m-%d %H:%M}"


class ExchangeRate(models.Model):
    """One rate as Danmarks Nationalbank quotes it: DKK per 100 units of the currency, on one date (STAT-7).

    No rate is fixed on Danish bank closing days; readers take the last rate on or before the date they need
    (`common.rates.dkk_rate`).
    """

    rate_date = models.DateField(_("rate date"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    rate = models.DecimalField(
        _("DKK per 100 units"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(0)],
        help_text=_("As Nationalbanken quotes it, e.g. 746.04 for EUR."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = "stats_exchangerate"
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="one_rate_per_currency_and_date"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_date} {self.rate}"


class OutboxMessage(models.Model):
    """One message of the transactional outbox (DESIGN.md §5): written in the same transaction as the state change
    it announces, delivered after commit by `common.outbox.dispatch`, which claims rows with a state-guarded UPDATE.

    Every column a nightly job's `INSERT ... SELECT` leaves out has a database default (docs/architecture.md,
    "The outbox table"): a set-based writer gives `kind`, `key` and `payload` only. Written and moved through
    its states only by `common.outbox`; the admin shows it read-only.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=100)
    key = models.CharField(_("idempotency key"), max_length=300, unique=True)
    payload = models.JSONField(_("payload"), db_default=models.Value({}, output_field=models.JSONField()))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_default=State.PENDING.value)
    attempts = models.PositiveIntegerField(_("attempts"), db_default=0)
    created_at = models.DateTimeField(_("created"), db_default=Now())
    available_at = models.DateTimeField(_("available from"), db_default=Now())
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, db_default="")

    class Meta:
        db_table = "common_outbox"
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the dispatcher's claim: the pending rows that are due, oldest first
            models.Index(
                fields=["available_at", "id"],
                name="outbox_pending_due",
                condition=models.Q(state="pending"),
            ),
            # a claim whose worker died, re-taken after a timeout
            models.Index(fields=["claimed_at"], name="outbox_sending", condition=models.Q(state="sending")),
            # the backlog per kind (the operations page) and the admin's kind filter
            models.Index(fields=["kind", "state", "created_at"], name="outbox_kind_state"),
            # the admin's order and its state filter
            models.Index(fields=["created_at", "id"], name="outbox_created"),
            models.Index(fields=["state", "created_at", "id"], name="outbox_state_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.state}"
