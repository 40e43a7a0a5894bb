"""Nightly jobs: one JobRun row per job and business date makes a second run a no-op and a crashed run resumable.

A job body must itself be idempotent (set-based upserts), because a run that died halfway is run again
from the start: the JobRun row is then in state `failed` or a stale `running`, and is claimed anew.
"""

import datetime
import importlib
import logging
import traceback
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobRun

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(hours=6)


def _claim(job: str, business_date: datetime.date, force: bool) -> JobRun | None:
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, business_date=business_date)
    except IntegrityError:
        pass
    # Claim again with a state-guarded UPDATE: only one caller can win, however many run at once.
    stale = timezone.now() - STALE_AFTER
    runs = JobRun.objects.filter(job=job, business_date=business_date)
    if not force:
        runs = runs.filter(state=JobRun.State.FAILED) | runs.filter(
            state=JobRun.State.RUNNING, started_at__lt=stale
        )
    claimed = runs.update(state=JobRun.State.RUNNING, started_at=timezone.now(), finished_at=None, error="")
    if claimed != 1:
        return None
    return JobRun.objects.get(job=job, business_date=business_date)


def job_run(
    *, job: str, business_date: datetime.date, body: Callable[[datetime.date], dict], force: bool = False
) -> JobRun | None:
    """Run `body(business_date)` once for the date. Returns the run, or None when it was done already.

    `force` runs it again even when done: the body is idempotent, so this only re-checks.
    """
    run = _claim(job, business_date, force)
    if run is None:
        logger.info("job %s for %s: already done or running", job, business_date)
        return None
    try:
        result = body(business_date) or {}
    except Exception:
        JobRun.objects.filter(pk=run.pk).update(
            state=JobRun.State.FAILED, finished_at=timezone.now(), error=traceback.format_exc()[-4000:]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        state=JobRun.State.DONE, finished_at=timezone.now(), result=result
    )
    run.refresh_from_db()
    return run


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
