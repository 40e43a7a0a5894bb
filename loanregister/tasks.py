"""Celery tasks of the loan book: thin wrappers that take ids and call one service.

A task may run long after it was sent (a queue backlog, a redelivery after a crash), so it looks up what still
exists and exits quietly when nothing does; the service it calls is idempotent, so a second delivery is harmless.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from .models import Loan
from .services import register_events_sync

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def register_events_sync_task(loan_ids: list[int]) -> int:
    """Bring the register events of these loans in step with them (after a bulk write). Returns loans synced."""
    existing = list(Loan.objects.filter(id__in=loan_ids).values_list("id", flat=True))
    if not existing:
        logger.info("register_events_sync_task: none of %d loan(s) exist any more", len(loan_ids))
        return 0
    register_events_sync(loan_ids=existing)
    return len(existing)
