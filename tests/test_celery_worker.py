"""A real Celery worker on Redis: a task sent with apply_async is serialized, routed, delivered and run against
the database (eager mode skips all of that, FIELD-NOTES.md), and the containers' health checks answer.

The broker comes from the `worker_broker_url` fixture (tests/brokers.py): CELERY_TEST_BROKER_URL, else the local
Redis, else a Valkey server the tests start. Without one these tests fail, saying how to get one, rather than
skip: a skip would hide a broken setup. The worker reaches the suite's test database through DATABASE_URL.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from config.celery import app
from loanregister.models import RegisterEvent
from loanregister.tasks import register_events_sync_task

from .loanregister.register_support import loan
from .test_compose import _database_url, _healthcheck_argv, _services

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _reset_pools() -> None:
    # Forget pools made for another broker URL; kombu keeps its own per-URL pools, so nothing is closed here.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_connection(worker_broker_url):
    """The test process talks to Redis for real: the settings' embedded default has no broker and runs
    tasks in-process, so point the app at the test broker (and back afterwards)."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=worker_broker_url, task_always_eager=False)
    _reset_pools()
    try:
        with app.connection_for_write() as conn:
            yield conn
    finally:
        app.conf.update(saved)
        _reset_pools()


def _celery(*args: str, env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ping(nodename: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.control.ping(destination=[nodename], timeout=1.0):
            return True
    return False


@pytest.fixture
def worker_env(tmp_path, worker_broker_url):
    """The pytest test database (not the developer's) and the test broker, as the worker process must see them."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": worker_broker_url,
        "VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def worker(broker_connection, worker_env, tmp_path):
    """`celery -A config worker` on a queue of its own, killed at the end whatever happens."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    nodename = f"{queue}@{socket.gethostname()}"
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
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
        try:
            if not _ping(nodename, 60):
                _stop(process)
                pytest.fail("the worker did not come up:\n" + log_path.read_text())
            yield {"queue": queue, "nodename": nodename, "process": process, "log": log_path}
        finally:
            _stop(process)
            try:
                broker_connection.default_channel.queue_delete(queue)
            except Exception:  # noqa: BLE001 - tidying the broker must not hide the test's own result
                pass


def _wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_task_sent_with_apply_async_runs_on_the_worker(worker):
    # given a loan written without its register events (as a bulk write leaves it)
    the_loan = loan("L-CELERY-1", sync=False)
    assert not RegisterEvent.objects.filter(loan=the_loan).exists()
    # and a task for a loan that is gone by the time it runs (it must exit quietly)
    gone = register_events_sync_task.apply_async(args=[[987654321]], queue=worker["queue"])
    # when the sync task is sent through Redis to the worker
    sent = register_events_sync_task.apply_async(args=[[the_loan.id]], queue=worker["queue"])
    # then the worker received both and wrote the loan's register events in the database
    assert _wait_for(lambda: RegisterEvent.objects.filter(loan=the_loan).exists()), worker["log"].read_text()
    assert set(RegisterEvent.objects.filter(loan=the_loan).values_list("kind", flat=True)) == {"maturity"}
    log = worker["log"].read_text()
    assert f"{gone.id}] succeeded" in log and f"{sent.id}] succeeded" in log, log
    assert worker["process"].poll() is None, "the worker is still up"


def test_the_worker_health_check_of_the_compose_file_answers(worker, worker_env):
    # given the worker container's health check, aimed at this worker instead of celery@<container>
    argv = _healthcheck_argv(_services()["worker"])
    argv[argv.index("celery@container-host")] = worker["nodename"]
    command = [sys.executable, "-m", *argv]
    # when it runs against a live worker, then it passes
    alive = subprocess.run(command, cwd=BASE_DIR, env=worker_env, capture_output=True, text=True, timeout=60)
    assert alive.returncode == 0, alive.stdout + alive.stderr
    # when the worker is gone, then it fails
    _stop(worker["process"])
    dead = subprocess.run(command, cwd=BASE_DIR, env=worker_env, capture_output=True, text=True, timeout=60)
    assert dead.returncode != 0, dead.stdout


def test_the_beat_health_check_of_the_compose_file_answers(broker_connection, worker_env, tmp_path):
    # given beat started with the compose file's options (schedule file moved to a scratch directory)
    beat_argv = [
        arg if not arg.startswith("--schedule=") else f"--schedule={tmp_path / 'celerybeat-schedule'}"
        for arg in _services()["beat"]["command"]
    ]
    assert beat_argv[:3] == ["celery", "-A", "config"]
    nodename = f"celerybeat-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log_path = tmp_path / "beat.log"
    with open(log_path, "wb") as log:
        process = _celery(*beat_argv[3:], f"--hostname={nodename}", env=worker_env, log=log)
        try:
            # when beat is up, its health check (aimed at this beat) passes
            assert _ping(nodename, 60), log_path.read_text()
            argv = _healthcheck_argv(_services()["beat"])
            argv[argv.index("celerybeat@container-host")] = nodename
            check = subprocess.run(
                [sys.executable, "-m", *argv], cwd=BASE_DIR, env=worker_env, capture_output=True, text=True
            )
            assert check.returncode == 0, check.stdout + check.stderr
        finally:
            _stop(process)
