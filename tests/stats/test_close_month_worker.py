"""The monthly close delivered by a real Celery worker on Redis (issue 13 item 4): sent twice on the first bank
day, it stores the previous month once; sent on another day it does nothing."""

from decimal import Decimal

import pytest

from stats.models import Computation, StatsMonth
from stats.tasks import close_month_task
from tests.test_celery_worker import (  # noqa: F401 - the worker fixtures
    _wait_for,
    broker_connection,
    worker,
    worker_env,
)

from .support import D, loan, opening, post, prop

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_monthly_close_runs_on_a_real_worker_once(worker):  # noqa: F811 - the imported fixture
    # given April's flows
    old = loan("OLD", on=prop("P1"))
    opening(old, "200000.00")
    post(old, "redemption", "50000.00", D(2026, 4, 1), price="99.50")
    # when the task is sent through Redis for 30 April (not a first bank day), then twice for 1 May
    other_day = close_month_task.apply_async(args=["2026-04-30"], queue=worker["queue"])
    first = close_month_task.apply_async(args=["2026-05-01"], queue=worker["queue"])
    again = close_month_task.apply_async(args=["2026-05-01"], queue=worker["queue"])
    log = lambda: worker["log"].read_text()  # noqa: E731
    assert _wait_for(lambda: all(f"{t.id}] succeeded" in log() for t in (other_day, first, again))), log()
    # then April is closed once, by the task, with its figures
    stored = StatsMonth.objects.get()
    assert stored.month == D(2026, 4, 1) and stored.closed
    assert Computation.objects.count() == 1 and stored.computation.source == Computation.Source.TASK
    assert stored.computation.figures.get().extraordinary_redemptions == Decimal("49750.00")
