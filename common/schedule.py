"""The nightly schedule (DESIGN.md §5): which jobs run, in which order, and when.

`settings.NIGHTLY_JOBS` lists the jobs and their default times: `name: (task path, hour, minute)`, or with a 4th
element `"monthly"` for a job that runs on the month's first bank day only (the statistics' month close).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from celery import schedules
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from .bankdays import is_first_bank_day

MONTHLY = "monthly"


@dataclass(frozen=True)
class NightlyJob:
    name: str
    task: str
    hour: int
    minute: int
    monthly: bool = False
    position: int = 0  # its place in NIGHTLY_JOBS

    def runs_on(self, day: datetime.date) -> bool:
        """A nightly job runs every day; a monthly one on the month's first bank day only."""
        return not self.monthly or is_first_bank_day(day)


def nightly_jobs() -> list[NightlyJob]:
    """settings.NIGHTLY_JOBS, read and checked, in its order."""
    jobs = []
    for position, (name, entry) in enumerate(settings.NIGHTLY_JOBS.items()):
        task, hour, minute, *rest = entry
        if rest not in ([], [MONTHLY]) or not (0 <= hour < 24 and 0 <= minute < 60):
            raise ImproperlyConfigured(
                f"NIGHTLY_JOBS[{name!r}]: give (task path, hour, minute) or (task path, hour, minute, 'monthly')"
            )
        jobs.append(NightlyJob(name, task, hour, minute, monthly=bool(rest), position=position))
    return jobs


# ------------------------------------------------------------------------------------------------ in the database
# The schedule is django-celery-beat's PeriodicTask (enabled, task, name) and CrontabSchedule (the time), one row
# of each per job, named as in NIGHTLY_JOBS. An admin edits them; code never overwrites them.

OUTBOX_DISPATCH = "outbox_dispatch"
"""The PeriodicTask that sends common.tasks.dispatch_outbox every minute on the full stack."""
EXPIRES = 23 * 3600
"""A nightly job's message expires before the next night's run, so that missed runs do not pile up."""


def nightly_schedule_sync(*, using: str = "default") -> list[str]:
    """Give each NIGHTLY_JOBS entry that has no PeriodicTask one, at its default time (a monthly job on days 1-7:
    its first bank day is one of them), and the outbox's dispatcher its every-minute one. An existing PeriodicTask is
    never changed: the admin's time and enabled flag stand. Returns the names created. Runs after every migrate, so
    a job added to NIGHTLY_JOBS appears with the next deploy."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    tasks = PeriodicTask.objects.db_manager(using)
    existing = set(tasks.values_list("name", flat=True))
    created = []
    with transaction.atomic(using=using):
        for job in nightly_jobs():
            if job.name in existing:
                continue
            # a crontab of its own, so that editing one job's time never moves another's
            crontab = CrontabSchedule.objects.db_manager(using).create(
                minute=str(job.minute),
                hour=str(job.hour),
                day_of_month="1-7" if job.monthly else "*",
                month_of_year="*",
                day_of_week="*",
                timezone=settings.TIME_ZONE,
            )
            tasks.create(
                name=job.name,
                task=job.task,
                crontab=crontab,
                expire_seconds=EXPIRES,
                description=(MONTHLY_NOTE if job.monthly else NIGHTLY_NOTE),
            )
            created.append(job.name)
        if OUTBOX_DISPATCH not in existing:
            every_minute, _ = IntervalSchedule.objects.db_manager(using).get_or_create(
                every=60, period=IntervalSchedule.SECONDS
            )
            tasks.create(
                name=OUTBOX_DISPATCH,
                task="common.tasks.dispatch_outbox",
                interval=every_minute,
                expire_seconds=50,
                description="Delivers the outbox's messages (docs/operations.md).",
            )
            created.append(OUTBOX_DISPATCH)
    return created


NIGHTLY_NOTE = "A nightly job (settings.NIGHTLY_JOBS); runs once per business date, at or after this time."
MONTHLY_NOTE = "A monthly job (settings.NIGHTLY_JOBS): on days 1-7 at this time, it runs on the month's first bank day only."


def nightly_schedule_sync_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver (common/apps.py)."""
    nightly_schedule_sync(using=using)


@dataclass(frozen=True)
class ScheduledJob:
    """A nightly job as the database schedules it today."""

    job: NightlyJob
    enabled: bool
    crontab: (
        Any  # celery's crontab of the PeriodicTask (None when the admin gave it another kind of schedule)
    )
    periodic_task_id: int | None

    @property
    def name(self) -> str:
        return self.job.name

    def time_of_day(self) -> tuple[int, int] | None:
        """The earliest (hour, minute) of the crontab: a nightly job runs once a date, at or after it."""
        if self.crontab is None:
            return None
        hour = min(self.crontab.hour)
        return hour, min(self.crontab.minute)

    def runs_on(self, day: datetime.date) -> bool:
        if not self.enabled or self.crontab is None or not self.job.runs_on(day):
            return False
        return (
            day.day in self.crontab.day_of_month
            and day.month in self.crontab.month_of_year
            and day.isoweekday() % 7 in self.crontab.day_of_week  # celery counts 0 = Sunday
        )

    def due(self, now: datetime.datetime) -> bool:
        """Due at `now` (local time): it runs today and its time of day has come."""
        time = self.time_of_day()
        return time is not None and self.runs_on(now.date()) and (now.hour, now.minute) >= time

    def next_run(self, now: datetime.datetime, *, days: int = 62) -> datetime.datetime | None:
        """The next time it is due after `now` (local time), looking `days` ahead; None when it is off."""
        time = self.time_of_day()
        if time is None or not self.enabled:
            return None
        for offset in range(days + 1):
            day = now.date() + datetime.timedelta(days=offset)
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(*time)))
            if self.runs_on(day) and at > now:
                return at
        return None


def scheduled_jobs() -> list[ScheduledJob]:
    """The NIGHTLY_JOBS as their PeriodicTasks schedule them (time and enabled flag from the database), in the
    order of their times and then of NIGHTLY_JOBS (DESIGN.md §5's order within a night). A job without a
    PeriodicTask (migrate has not run since it was added) is listed as off."""
    from django_celery_beat.models import PeriodicTask

    rows = {
        task.name: task
        for task in PeriodicTask.objects.filter(name__in=[job.name for job in nightly_jobs()]).select_related(
            "crontab"
        )
    }
    scheduled = []
    for job in nightly_jobs():
        row = rows.get(job.name)
        crontab = row.crontab.schedule if row is not None and row.crontab is not None else None
        scheduled.append(
            ScheduledJob(
                job=job, enabled=bool(row and row.enabled), crontab=crontab, periodic_task_id=row and row.pk
            )
        )
    return sorted(scheduled, key=lambda s: (s.time_of_day() or (99, 99), s.job.position))


# ------------------------------------------------------------------------------------------------ Celery beat


def _monthly_tasks() -> set[str]:
    return {job.task for job in nightly_jobs() if job.monthly}


class NightlyEntry(ModelEntry):
    """django-celery-beat's entry, but a monthly job's task is due on the month's first bank day only (its crontab
    says days 1-7; on the others it waits for the crontab's next time)."""

    def is_due(self):
        state = super().is_due()
        if state.is_due and self.task in _monthly_tasks() and not is_first_bank_day(self._today()):
            return schedules.schedstate(False, state.next)
        return state

    def _today(self) -> datetime.date:
        return timezone.localtime(self.schedule.now()).date()


class NightlyScheduler(DatabaseScheduler):
    """Celery beat's scheduler (settings.CELERY_BEAT_SCHEDULER): django-celery-beat's database scheduler, which
    reads the PeriodicTasks an admin edits, with `NightlyEntry`."""

    Entry = NightlyEntry
