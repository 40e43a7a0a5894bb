"""Celery tasks of origination: thin wrappers that call one idempotent service (once per business date)."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from common.jobs import job_run

JOB_NAME = "application_expiry"


def application_expiry_run(*, business_date: datetime.date, force: bool = False):
    """The nightly expiry, once per business date (common.jobs.job_run); None when done already."""
    from .services import applications_expire

    return job_run(
        job=JOB_NAME,
        business_date=business_date,
        body=lambda day: applications_expire(business_date=day),
        force=force,
    )


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def application_expiry_task(business_date: str | None = None) -> dict | None:
    """Expire the applications idle past their product's limit on the business date (ISO string; default today).
    A second delivery of the same date is a no-op; returns the run's result or None."""
    day = datetime.date.fromisoformat(business_date) if business_date else timezone.localdate()
    run = application_expiry_run(business_date=day)
    return run.result if run is not None else None
