"""The operations page (docs/operations.md): each nightly job's schedule and last runs, and the outbox's backlog, so
that an operator sees at a glance that last night's jobs ran; and starting a job by hand through the outbox.

Reads only, except `nightly_job_request`, which writes one outbox message (a request never talks to the broker).
A job's runs are the `JobRun` rows named as its `NIGHTLY_JOBS` key.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import outbox
from .models import JobRun, OutboxMessage
from .schedule import ScheduledJob, nightly_jobs, scheduled_jobs

VIEW = "common.view_operations"
RUN = "common.run_nightly_job"
DEFAULT_RUNS = 5
RUN_JOB_KEY = "run_job"


@dataclass
class JobStatus:
    scheduled: ScheduledJob
    runs: list[JobRun]
    next_run: datetime.datetime | None

    @property
    def name(self) -> str:
        return self.scheduled.name

    @property
    def last(self) -> JobRun | None:
        return self.runs[0] if self.runs else None

    @property
    def time(self) -> str:
        time = self.scheduled.time_of_day()
        return f"{time[0]:02d}:{time[1]:02d}" if time else ""


@dataclass
class OutboxBacklog:
    kind: str
    pending: int = 0
    sending: int = 0
    failed: int = 0
    oldest_pending: datetime.datetime | None = None
    next_attempt: datetime.datetime | None = None


@dataclass
class OperationsPage:
    jobs: list[JobStatus]
    backlog: list[OutboxBacklog]
    now: datetime.datetime
    sent_last_day: int = 0
    errors: list[str] = field(default_factory=list)


def job_run_error_line(run: JobRun) -> str:
    """The last line of a failed run's traceback: what went wrong, in one line."""
    lines = [line for line in run.error.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def outbox_backlog() -> list[OutboxBacklog]:
    """What waits in the outbox, per kind: pending, being sent, failed; the oldest pending one's age."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, state, count(*), min(created_at), min(available_at) FROM common_outbox"
            " WHERE state IN ('pending', 'sending', 'failed') GROUP BY kind, state ORDER BY kind"
        )
        rows = cursor.fetchall()
    backlog: dict[str, OutboxBacklog] = {}
    for kind, state, count, oldest, next_attempt in rows:
        entry = backlog.setdefault(kind, OutboxBacklog(kind=kind))
        setattr(entry, state, count)
        if state == OutboxMessage.State.PENDING:
            entry.oldest_pending, entry.next_attempt = oldest, next_attempt
    return list(backlog.values())


def operations_page(*, job: str | None = None, runs: int | None = None) -> OperationsPage:
    """Each nightly job (one, or all) in the order of its time with its last `runs` runs and next run, and the
    outbox's backlog."""
    now = timezone.localtime()
    runs = runs or DEFAULT_RUNS
    statuses = []
    for scheduled in scheduled_jobs():
        if job and scheduled.name != job:
            continue
        history = list(JobRun.objects.filter(job=scheduled.name).order_by("-business_date", "-id")[:runs])
        for run in history:
            run.error_line = job_run_error_line(run)
        statuses.append(JobStatus(scheduled=scheduled, runs=history, next_run=scheduled.next_run(now)))
    sent = OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENT, created_at__gte=now - datetime.timedelta(days=1)
    ).count()
    return OperationsPage(jobs=statuses, backlog=outbox_backlog(), now=now, sent_last_day=sent)


def nightly_job_names() -> list[str]:
    return [job.name for job in nightly_jobs()]


def nightly_job_request(*, user, job: str, business_date: datetime.date) -> bool:
    """Start a nightly job for a business date: its task goes through the outbox (delivered after the commit; with
    the broker down, as soon as it is back). The job runs once per date (common.jobs), so this starts a run that
    has not happened or failed, and is a no-op for a date already done. Returns False when a request for the same
    job and date is still waiting in the outbox."""
    if not user.has_perm(RUN):
        raise PermissionDenied
    jobs = {nightly.name: nightly for nightly in nightly_jobs()}
    if job not in jobs:
        raise ValueError(f"no nightly job {job!r}")
    prefix = f"{RUN_JOB_KEY}:{job}:{business_date.isoformat()}:"
    with transaction.atomic():
        waiting = OutboxMessage.objects.filter(
            Q(state=OutboxMessage.State.PENDING) | Q(state=OutboxMessage.State.SENDING),
            key__startswith=prefix,
        )
        if waiting.exists():
            return False
        return outbox.enqueue_task(
            jobs[job].task, key=f"{prefix}{uuid.uuid4().hex}", business_date=business_date.isoformat()
        )
