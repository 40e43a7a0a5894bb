"""Two schedulers running the same night's collection reminders at the same moment (COL-3, issue 11 item 3): each
step is recorded once per loan and due date and each message is sent once.

Real PostgreSQL, real transactions: each thread has its own connection; a barrier releases them together. Both
runs are forced past the once-per-date claim, so the unique constraint and the outbox's claim are what is tested.
"""

import datetime

import pytest
from django.core import mail

from servicing.collections.reminders import collection_reminders_run
from servicing.models import Reminder

from .collections_support import billed_loan, reference_data
from .test_notices_concurrency import _run_at_once

DUE = datetime.date(2026, 3, 2)


@pytest.mark.django_db(transaction=True)
def test_col3_two_schedulers_at_once_send_each_step_once(settings):
    # given twelve loans behind since DUE, each borrower with an e-mail address
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reference_data()
    for n in range(12):
        billed_loan(f"C3-TWO-{n:02d}", DUE, email=f"b{n}@example.dk")
    mail.outbox = []
    night = DUE + datetime.timedelta(days=1)
    # when two schedulers run the night at the same moment
    results, errors = _run_at_once(
        lambda: collection_reminders_run(business_date=night, force=True),
        lambda: collection_reminders_run(business_date=night, force=True),
    )
    # then both finished, each step is recorded once and each e-mail went once
    assert errors == []
    sent = sorted(run.result["reminders"]["sent"] for run in results if run is not None)
    assert sum(sent) == 12
    assert Reminder.objects.filter(state="sent").count() == 12
    assert Reminder.objects.filter(state="skipped").count() == 0
    assert sorted(message.to[0] for message in mail.outbox) == sorted(f"b{n}@example.dk" for n in range(12))
