"""Issue 11, acceptance: a night's collection reminders on a real Celery worker on Redis. The nightly task sent with
apply_async is serialized, delivered and run by a worker subprocess against PostgreSQL (not eager mode); the worker
records the reminders with their outbox messages and delivers them from the outbox to the file e-mail backend; a
second delivery of the same night sends none.

The worker, its broker and its environment are those of tests/test_celery_worker.py (tests/brokers.py decides the
Redis), with the file e-mail backend writing to a scratch directory.
"""

import datetime
import os

import pytest

from common.models import JobRun, OutboxMessage
from servicing.models import Reminder
from servicing.tasks import collection_reminders_task

from . import test_celery_worker as base
from .servicing.collections_support import billed_loan, reference_data
from .test_compose import _database_url

broker_connection, worker = base.broker_connection, base.worker
_wait_for = base._wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

DUE = datetime.date(2026, 3, 2)
NIGHT = DUE + datetime.timedelta(days=1)


@pytest.fixture
def worker_env(tmp_path, worker_broker_url):
    """tests/test_celery_worker.py's environment, and e-mail into files in a scratch directory."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": worker_broker_url,
        "VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }


def _emails(directory) -> list[str]:
    """The messages the file backend wrote (one or more per file, each with its Subject header)."""
    if not directory.exists():
        return []
    text = "".join(path.read_text() for path in sorted(directory.iterdir()))
    return [line for line in text.splitlines() if line.startswith("To: ")]


def _done() -> bool:
    return JobRun.objects.filter(job="collection_reminders", business_date=NIGHT, state="done").exists()


def test_col3_a_nights_reminders_are_delivered_by_a_real_worker_and_a_second_delivery_sends_none(
    worker, worker_env, tmp_path
):
    # given a book with seven loans behind since DUE: five borrowers with an e-mail address, two without
    reference_data()
    for n in range(7):
        billed_loan(f"W-COL-{n}", DUE, email=f"borrower{n}@example.dk" if n < 5 else "")
    mail = tmp_path / "mail"
    # when the night's task is sent through Redis to the worker
    first = collection_reminders_task.apply_async(
        kwargs={"business_date": NIGHT.isoformat()}, queue=worker["queue"]
    )
    # then the worker recorded seven friendly reminders and delivered them: five e-mails in files, two letters
    assert _wait_for(lambda: f"{first.id}] succeeded" in worker["log"].read_text(), 90), worker[
        "log"
    ].read_text()
    assert _done()
    assert Reminder.objects.filter(state="sent", step__code="friendly").count() == 7
    assert Reminder.objects.filter(delivered_at__isnull=True).count() == 0
    assert sorted(_emails(mail)) == sorted(f"To: borrower{n}@example.dk" for n in range(5))
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    # when the same night is delivered again (a redelivered message, a second scheduler)
    again = collection_reminders_task.apply_async(
        kwargs={"business_date": NIGHT.isoformat()}, queue=worker["queue"]
    )
    assert _wait_for(lambda: f"{again.id}] succeeded" in worker["log"].read_text(), 90), worker[
        "log"
    ].read_text()
    # then nothing more was recorded or sent
    assert len(_emails(mail)) == 5
    assert Reminder.objects.count() == 7
    assert OutboxMessage.objects.count() == 7
