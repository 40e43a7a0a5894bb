"""Two workers making and sending payment notices at the same moment: no notice twice, no e-mail twice (SRV-2).

Real PostgreSQL, real transactions: each thread has its own connection; a barrier releases them together.
"""

import threading

import pytest
from django.core import mail
from django.db import connections

from loanregister.models import Borrower, Loan
from servicing.models import PaymentNotice
from servicing.notices import SEND_BATCH, payment_notices_generate, payment_notices_send

from .test_notices import TODAY, _loan


def _run_at_once(*calls) -> tuple[list, list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list[BaseException] = []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_srv2_two_workers_at_once_make_and_send_each_notice_once():
    # given more loans due than one send batch holds, so the workers really interleave
    count = SEND_BATCH * 3 + 7
    template = _loan("C-TEMPLATE")  # the fixture's terms: due 11 May 2026
    Loan.objects.filter(pk=template.pk).update(status="paid_off")
    borrowers = Borrower.objects.bulk_create(
        [Borrower(name=f"C {i}", email=f"c{i}@example.dk", preferred_language="en") for i in range(count)]
    )
    fields = {
        f.attname: getattr(template, f.attname) for f in Loan._meta.concrete_fields if not f.primary_key
    }
    Loan.objects.bulk_create(
        [
            Loan(**{**fields, "loan_number": f"C-{i:04d}", "borrower_id": b.pk, "status": "active"})
            for i, b in enumerate(borrowers)
        ]
    )
    # when two workers generate at the same moment
    made, errors = _run_at_once(
        lambda: payment_notices_generate(business_date=TODAY),
        lambda: payment_notices_generate(business_date=TODAY),
    )
    # then each loan has one notice
    assert errors == []
    assert PaymentNotice.objects.count() == count
    assert sum(made) >= count  # each counts what it offered; the database kept one of each
    # when two workers send at the same moment
    sent, errors = _run_at_once(
        lambda: payment_notices_send(business_date=TODAY),
        lambda: payment_notices_send(business_date=TODAY),
    )
    # then every notice went out exactly once, shared between them
    assert errors == []
    assert sum(result["emailed"] for result in sent) == count
    recipients = [message.to[0] for message in mail.outbox]
    assert len(recipients) == count and len(set(recipients)) == count
    assert PaymentNotice.objects.filter(state="sent").count() == count
