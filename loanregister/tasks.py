"""Celery tasks of the loan book: thin wrappers that take ids and call one service.

A task may run long after it was sent (a queue backlog, a redelivery after a crash), so it looks up what still
exists and exits quietly when nothing does; the service it calls is idempotent, so a second delivery is harmless.
"""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .models import Loan
from .services import register_events_sync

logger = logging.getLogger(__name__)

# Every task calls an idempotent service, so a database that is briefly away is retried with backoff and jitter.
_RETRY_WHILE_DATABASE_DOWN = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def register_events_sync_task(loan_ids: list[int]) -> int:
    """Bring the register events of these loans in step with them (after a bulk write). Returns loans synced."""
    existing = list(Loan.objects.filter(id__in=loan_ids).values_list("id", flat=True))
    if not existing:
        logger.info("register_events_sync_task: none of %d loan(s) exist any more", len(loan_ids))
        return 0
    register_events_sync(loan_ids=existing)
    return len(existing)


def _business_date(value: str | None) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def maturity_radar_task(business_date: str | None = None, force: bool = False) -> dict | None:
    """REG-2: the nightly maturity radar for a business date (ISO string; default today). A second delivery of
    the same date is a no-op (common.jobs.job_run); returns the run's counts, or None when it was done already."""
    from .leads.radar import maturity_radar_run

    run = maturity_radar_run(business_date=_business_date(business_date), force=force)
    return run.result if run is not None else None


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def lead_digests_task(business_date: str | None = None, force: bool = False) -> dict | None:
    """REG-2: each officer's e-mail of their new leads, once a night, after the radar. Returns the run's counts,
    or None when it was done already."""
    from .leads.digest import lead_digests_run

    run = lead_digests_run(business_date=_business_date(business_date), force=force)
    return run.result if run is not None else None
