"""Celery tasks of the shared layer: thin wrappers around one service each."""

from celery import shared_task

from . import outbox


@shared_task(ignore_result=True)
def dispatch_outbox(limit: int | None = None) -> dict[str, int]:
    """Deliver the outbox's due messages (common.outbox.dispatch); Celery beat sends it every minute."""
    return outbox.dispatch(limit=limit)
