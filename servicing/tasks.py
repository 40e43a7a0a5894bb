"""Celery tasks of servicing: thin wrappers that call one idempotent service (once per business date)."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

# Every task calls an idempotent service, so a database that is briefly away is retried with backoff and jitter.
_RETRY_WHILE_DATABASE_DOWN = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def _business_date(value: str | datetime.date | None) -> datetime.date:
    if value is None:
        return timezone.localdate()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def payment_notices_task(business_date: str | None = None) -> dict | None:
    """SRV-2: make and send the payment notices of a business date (ISO string; default today). A second
    delivery of the same date is a no-op (common.jobs.job_run); returns the run's result or None."""
    from .notices import payment_notices_run

    run = payment_notices_run(business_date=_business_date(business_date))
    return run.result if run is not None else None


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def escrow_disbursements_task(business_date: str | None = None) -> dict | None:
    """SRV-1: pay the escrow disbursements due on the business date (ISO string; default today), each once.
    A second delivery of the same date is a no-op; returns the run's result or None."""
    from .escrow import escrow_disbursements_run

    run = escrow_disbursements_run(business_date=_business_date(business_date))
    return run.result if run is not None else None


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def transfer_notices_send_task(transfer_id: int) -> int:
    """REG-4: e-mail a servicing transfer's notices (each claimed before it is sent, so a redelivery sends none
    twice). Exits quietly when the transfer is gone."""
    from .models import ServicingTransfer
    from .transfers import transfer_notices_send

    transfer = ServicingTransfer.objects.filter(pk=transfer_id).first()
    if transfer is None:
        logger.info("transfer_notices_send_task: transfer %s no longer exists", transfer_id)
        return 0
    return transfer_notices_send(transfer=transfer)


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def installments_due_task(business_date: str | None = None) -> dict | None:
    """SRV-1: bill the scheduled installments due on the business date (ISO string; default today) into the
    ledger, so payments pay them by the waterfall. A second delivery is a no-op; returns the run's result or None."""
    from .installments import installments_due_run

    run = installments_due_run(business_date=_business_date(business_date))
    return run.result if run is not None else None


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def servicing_transfers_task(business_date: str | None = None) -> dict | None:
    """REG-4: apply the servicing transfers that take effect on the business date (ISO string; default today).
    A second delivery of the same date is a no-op; returns the run's result or None."""
    from .transfers import servicing_transfers_run

    run = servicing_transfers_run(business_date=_business_date(business_date))
    return run.result if run is not None else None


@shared_task(**_RETRY_WHILE_DATABASE_DOWN)
def collection_reminders_task(business_date: str | None = None) -> dict | None:
    """COL-3: the night's collection reminders (ISO string; default today): recorded with their outbox messages
    once per business date, then delivered from the outbox. A second delivery of the same date records nothing
    and sends nothing twice; returns the run's result or None."""
    from .collections.reminders import collection_reminders_run

    run = collection_reminders_run(business_date=_business_date(business_date))
    return run.result if run is not None else None
