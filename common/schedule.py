"""The nightly schedule (DESIGN.md §5): which jobs run, in which order, and when.

`settings.NIGHTLY_JOBS` lists the jobs and their default times: `name: (task path, hour, minute)`, or with a 4th
element `"monthly"` for a job that runs on the month's first bank day only (the statistics' month close).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
