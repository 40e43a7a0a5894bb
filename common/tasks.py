"""Celery tasks of the shared layer: thin wrappers around one service each."""

import datetime

from celery import shared_task
from django.utils import timezone

from . import outbox


@shared_task(ignore_result=True)
def dispatch_outbox(limit: int | None = None) -> dict[str, int]:
    """Deliver the outbox's due messages (common.outbox.dispatch); Celery beat sends it every minute."""
    return outbox.dispatch(limit=limit)


@shared_task
def outbox_purge_task(business_date: str | None = None, force: bool = False) -> dict | None:
    """The nightly purge of delivered outbox messages (common.outbox.outbox_purge_run); None when done already."""
    run = outbox.outbox_purge_run(business_date=_business_date(business_date), force=force)
    return run.result if run is not None else None


def _business_date(value: str | None) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else timezone.localdate()
