"""The maturity radar on a real Celery worker on Redis (issue 10, acceptance): the nightly task sent with apply_async
is serialized, delivered and run by a worker subprocess against PostgreSQL (not eager mode); and a worker killed
with SIGKILL in the middle of a run leaves nothing half done: the run is resumed, and there is exactly one lead per
due event.

The worker, its broker and its environment are those of tests/test_celery_worker.py (tests/brokers.py decides the
Redis); the worker reaches the suite's test database through DATABASE_URL.
"""

import datetime
import signal
import socket
import uuid

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from common.jobs import STALE_AFTER
from common.models import JobRun
from loanregister.leads.radar import DEFAULT_HORIZONS, JOB_NAME
from loanregister.models import Lead, RadarHorizon, RegisterEvent
from loanregister.tasks import maturity_radar_task

from . import test_celery_worker as base
from .loanregister import register_support as make

# The worker, its broker connection and its environment: tests/test_celery_worker.py's fixtures.
broker_connection, worker, worker_env = base.broker_connection, base.worker, base.worker_env
_celery, _ping, _stop, _wait_for = base._celery, base._ping, base._stop, base._wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

D = datetime.date(2027, 3, 1)
DAY = datetime.timedelta(days=1)


def _book(loans: int = 60) -> set[tuple[int, str]]:
    """Loans with events due on D (maturities, rate resets) and some that are not; returns the due (loan, event)."""
    # the horizons of a fresh database (a transactional test before this one may have flushed migration 0013's)
    for event, days in DEFAULT_HORIZONS.items():
        RadarHorizon.objects.get_or_create(event=event, defaults={"days": days})
    for n in range(loans):
        make.loan(
            f"W-{n:04d}",
            maturity_date=D + (n * 5) * DAY,  # up to 295 days ahead: those within 180 days are due
            loan_type="adjustable" if n % 3 == 0 else "fixed",
            rate_reset_date=D + n * DAY if n % 3 == 0 else None,
        )
    horizons = dict(RadarHorizon.objects.values_list("event", "days"))
    return {
        (loan_id, kind)
        for loan_id, kind, date in RegisterEvent.objects.values_list("loan_id", "kind", "event_date")
        if D <= date <= D + datetime.timedelta(days=horizons[kind])
    }


def _leads() -> list[tuple[int, str]]:
    return list(Lead.objects.values_list("loan_id", "event"))


def _run_state() -> str | None:
    return JobRun.objects.filter(job=JOB_NAME, business_date=D).values_list("state", flat=True).first()


def test_reg2_the_radar_sent_to_a_real_worker_finds_its_leads_in_postgresql(worker):
    # given a book with events due on D
    due = _book()
    assert len(due) > 20
    # when the nightly task is sent through Redis to the worker
    sent = maturity_radar_task.apply_async(kwargs={"business_date": D.isoformat()}, queue=worker["queue"])
    # then the worker ran it: one lead per due event, and the run's counts stored
    assert _wait_for(lambda: _run_state() == "done", 60), worker["log"].read_text()
    assert sorted(_leads()) == sorted(due)
    assert JobRun.objects.get(job=JOB_NAME, business_date=D).result == {
        "created": len(due),
        "updated": 0,
        "closed": 0,
    }
    assert f"{sent.id}] succeeded" in worker["log"].read_text()


def _lock_the_leads():
    """Another session holds the lead table, so that the radar's first write waits: the run is then surely under
    way (its job run claimed, its transaction open) when the worker is killed."""
    lock = psycopg2.connect(**_dsn())
    lock.cursor().execute("LOCK TABLE loanregister_lead IN EXCLUSIVE MODE")
    return lock


def _dsn() -> dict:
    settings = connection.settings_dict
    return {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
    }


def _backend_waiting_on_the_leads() -> int | None:
    with psycopg2.connect(**_dsn()) as probe, probe.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query ILIKE '%%loanregister_lead%%'"
        )
        row = cursor.fetchone()
    probe.close()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with psycopg2.connect(**_dsn()) as probe, probe.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        alive = cursor.fetchone() is not None
    probe.close()
    return alive


@pytest.fixture
def second_worker(broker_connection, worker_env, tmp_path):
    """Another worker, started when the test asks: the night's first one is dead."""
    started = []

    def start() -> dict:
        queue = f"test-{uuid.uuid4().hex[:12]}"
        nodename = f"{queue}@{socket.gethostname()}"
        log_path = tmp_path / "second-worker.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
        process = _celery(
            "worker",
            "--pool=solo",
            f"--queues={queue}",
            f"--hostname={nodename}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            env=worker_env,
            log=log,
        )
        started.append((process, log, queue))
        if not _ping(nodename, 60):
            pytest.fail("the second worker did not come up:\n" + log_path.read_text())
        return {"queue": queue, "process": process, "log": log_path}

    yield start
    for process, log, queue in started:
        _stop(process)
        log.close()
        try:
            broker_connection.default_channel.queue_delete(queue)
        except Exception:  # noqa: BLE001 - tidying the broker must not hide the test's own result
            pass


def test_reg2_a_worker_killed_mid_run_leaves_nothing_half_done_and_the_run_again_makes_one_lead_per_event(
    worker, second_worker
):
    # given a book with events due on D, and the lead table held by another session
    due = _book()
    lock = _lock_the_leads()
    try:
        # when the worker starts the night's run and is waiting to write its leads
        maturity_radar_task.apply_async(kwargs={"business_date": D.isoformat()}, queue=worker["queue"])
        assert _wait_for(lambda: _backend_waiting_on_the_leads() is not None, 60), worker["log"].read_text()
        orphan = _backend_waiting_on_the_leads()
        assert _run_state() == "running"
        # and the worker is killed there (SIGKILL: no clean-up of any kind)
        worker["process"].send_signal(signal.SIGKILL)
        worker["process"].wait(timeout=10)
        assert worker["process"].returncode == -signal.SIGKILL
    finally:
        lock.rollback()
        lock.close()
    # then its database session ends without committing anything (its client is gone), and no lead was written
    assert _wait_for(lambda: not _backend_alive(orphan), 30), "the killed worker's session stayed"
    assert _leads() == []
    # the run is left claimed: a second delivery within the hour does not start a second run beside it
    assert _run_state() == "running"
    # when, hours later, the night's run is started again (the claim has gone stale), on another worker
    JobRun.objects.filter(job=JOB_NAME, business_date=D).update(started_at=timezone.now() - STALE_AFTER - DAY)
    again = second_worker()
    maturity_radar_task.apply_async(kwargs={"business_date": D.isoformat()}, queue=again["queue"])
    # then it finishes the work: exactly one lead per due event
    assert _wait_for(lambda: _run_state() == "done", 60), again["log"].read_text()
    assert sorted(_leads()) == sorted(due)
    assert len(_leads()) == len(set(_leads()))
    # and a forced run once more changes nothing
    maturity_radar_task.apply_async(
        kwargs={"business_date": D.isoformat(), "force": True}, queue=again["queue"]
    )
    nothing = {"created": 0, "updated": 0, "closed": 0}
    assert _wait_for(lambda: JobRun.objects.get(job=JOB_NAME, business_date=D).result == nothing, 60)
    assert sorted(_leads()) == sorted(due)
