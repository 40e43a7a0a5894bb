"""Celery task of the statistics: the monthly close, a thin wrapper around `stats.services.monthly_close_run`."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def close_month_task(business_date: str | None = None) -> dict | None:
    """On the month's first bank day, compute, store and close the previous month's figures (issue 13 item 4).
    Once per business date (common.jobs.job_run); on other days it does nothing. Returns the run's result."""
    from common.jobs import job_run

    from .services import monthly_close_run

    day = datetime.date.fromisoformat(business_date) if business_date else timezone.localdate()
    run = job_run(
        job="lending_stats_close", business_date=day, body=lambda d: monthly_close_run(business_date=d)
    )
    return run.result if run is not None else None
