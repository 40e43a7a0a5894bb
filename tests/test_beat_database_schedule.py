"""Celery beat reads the schedule an admin edits in the database (django-celery-beat's DatabaseScheduler, issue 10
item 5), and delivers the outbox on the full stack: a real beat and a real worker on a Redis of this test's own.

The admin makes the outbox's dispatcher (the PeriodicTask `outbox_dispatch`, every minute by default) run every
second; beat sends `common.tasks.dispatch_outbox` to the worker, which publishes the task waiting in the outbox, and
the worker runs it. Nothing here calls the dispatcher in-process.
"""

import os
import socket
import uuid

import pytest
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from common import outbox
from common.models import OutboxMessage
from common.schedule import OUTBOX_DISPATCH
from loanregister.models import RegisterEvent

from .loanregister.register_support import loan
from .test_celery_worker import _celery, _stop, _wait_for
from .test_compose import _database_url
from .test_outbox_redis_down import OwnRedis, _ping

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _env(own_redis, tmp_path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": own_redis.url,
        "VAR_DIR": str(tmp_path / "var"),
    }


def test_beat_runs_the_outbox_dispatcher_as_the_admin_scheduled_it(own_redis, tmp_path, settings):
    from config.celery import app

    # given a loan without its register events, and their sync task waiting in the outbox (written by a request
    # while no broker answered: nothing was published)
    the_loan = loan("L-BEAT-1", sync=False)
    OutboxMessage.objects.all().delete()
    with transaction.atomic():
        outbox.enqueue(
            outbox.CELERY_TASK,
            {"task": "loanregister.tasks.register_events_sync_task", "args": [[the_loan.id]], "kwargs": {}},
            key="beat:sync:L-BEAT-1",
        )
    # and the admin has set the dispatcher to every second (it is every minute after migrate)
    dispatcher = PeriodicTask.objects.get(name=OUTBOX_DISPATCH)
    assert dispatcher.interval.every == 60
    dispatcher.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    dispatcher.save()
    # when a worker and one beat run on our own Redis
    env = _env(own_redis, tmp_path)
    nodename = f"beat-worker-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    saved = app.conf.broker_url
    app.conf.broker_url = own_redis.url
    with open(tmp_path / "worker.log", "wb") as worker_log, open(tmp_path / "beat.log", "wb") as beat_log:
        worker = _celery(
            "worker",
            "--pool=solo",
            f"--hostname={nodename}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            env=env,
            log=worker_log,
        )
        beat = None
        try:
            assert _ping(nodename, 60), (tmp_path / "worker.log").read_text()
            beat = _celery(
                "beat", "--loglevel=DEBUG", f"--schedule={tmp_path / 'beat-schedule'}", env=env, log=beat_log
            )
            # then beat sent the dispatcher, the worker published the waiting task and ran it
            done = _wait_for(lambda: RegisterEvent.objects.filter(loan=the_loan).exists(), 90)
            logs = (tmp_path / "beat.log").read_text() + (tmp_path / "worker.log").read_text()
            assert done, logs
        finally:
            if beat is not None:
                _stop(beat)
            _stop(worker)
            app.conf.broker_url = saved
    beat_text = (tmp_path / "beat.log").read_text()
    assert "NightlyScheduler" in beat_text or "DatabaseScheduler" in beat_text, beat_text[:2000]
    assert "Scheduler: Sending due task outbox_dispatch (common.tasks.dispatch_outbox)" in beat_text
    assert OutboxMessage.objects.get(key="beat:sync:L-BEAT-1").state == "sent"
    assert "register_events_sync_task" in (tmp_path / "worker.log").read_text()
