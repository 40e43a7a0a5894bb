"""Issue 9, target 3: one cache for every worker process, and the register's cached totals invalidated across
processes. The test process and a second Python process (tests/loanregister/cache_process.py, as another gunicorn
worker would) share the cache: the database's cache table on the embedded default, Redis when one is configured.
"""

import datetime
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from loanregister import register

from ..runner import url_of
from . import register_support as make
from .cache_process import EXACT

pytestmark = pytest.mark.django_db(transaction=True)  # the other process sees only committed rows
ROOT = Path(__file__).resolve().parents[2]


def _caches(backend: str, url: str | None, prefix: str) -> dict:
    if backend == "redis":
        return {
            "default": {
                "BACKEND": "common.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
            }
        }
    return {
        "default": {
            "BACKEND": "common.cache.UpsertDatabaseCache",
            "LOCATION": "register_cache",
            "KEY_PREFIX": prefix,
        }
    }


def _other_process(env: dict, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.loanregister.cache_process", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _totals_here() -> tuple[int, bool]:
    """(events, whether they were computed here): the exact path's sums, which the register caches."""
    filterset = register.register_filterset(data=EXACT)
    events = register.register_events(filterset=filterset)
    with CaptureQueriesContext(connection) as captured:
        totals = register.register_totals(queryset=events, filterset=filterset)
    return totals.events, any("filtered.event_date" in q["sql"] for q in captured.captured_queries)


@pytest.fixture(params=["database", "redis"])
def shared_cache(request):
    """(the environment of the other process, the backend): both processes on the same cache, with a key prefix
    of this test's own (no other run's keys are read, and nothing is flushed)."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": url_of(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CACHE_KEY_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }
    url = None
    if request.param == "redis":
        url = request.getfixturevalue("worker_broker_url")
        env["CACHE_URL"] = url
    with override_settings(CACHES=_caches(request.param, url, prefix)):
        yield env, request.param


def test_settings_choose_redis_with_a_broker_and_the_database_cache_without(tmp_path):
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"

    def backend(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            cwd=ROOT,
            env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert backend(VAR_DIR=str(tmp_path)) == "common.cache.UpsertDatabaseCache"
    assert backend(VAR_DIR=str(tmp_path), CELERY_BROKER_URL="redis://127.0.0.1:6379/0").endswith("RedisCache")
    assert backend(VAR_DIR=str(tmp_path), CACHE_URL="redis://127.0.0.1:6379/3").endswith("RedisCache")


def test_register_totals_are_shared_and_invalidated_across_processes(shared_cache):
    env, backend = shared_cache
    today = datetime.date.today()
    first = make.loan("C-1", maturity_date=today + datetime.timedelta(days=30))
    make.loan("C-2", maturity_date=today + datetime.timedelta(days=60))
    # given this process computed the totals once (and cached them)
    assert _totals_here() == (2, True)
    assert _totals_here() == (2, False)
    # then the other process reads them from the shared cache, without computing them
    assert _other_process(env, "totals") == {"events": 2, "computed": False}, backend
    # when the other process moves a loan out of the default window (its sync bumps the register's version)
    _other_process(env, "move", str(first.pk), (today + datetime.timedelta(days=3000)).isoformat())
    # then this process's cached totals are not read again: it computes the new ones
    assert _totals_here() == (1, True)
    # and the other process reads those
    assert _other_process(env, "totals") == {"events": 1, "computed": False}
    # when this process changes the register, the other process sees it at once
    make.loan("C-3", maturity_date=today + datetime.timedelta(days=90))
    assert _other_process(env, "totals") == {"events": 2, "computed": True}
    assert _totals_here() == (2, False)


def _version_reads(captured) -> int:
    return sum("FROM loanregister_register_version" in q["sql"] for q in captured.captured_queries)


def test_one_reading_reads_the_version_once_and_a_bump_forgets_it():
    from loanregister import register_cache

    with CaptureQueriesContext(connection) as captured:
        with register_cache.one_reading():
            first = register_cache.current_version()
            assert register_cache.current_version() == first
            with register_cache.one_reading():  # blocks nest
                assert register_cache.current_version() == first
            assert _version_reads(captured) == 1
            register_cache.bump_version()  # a write in the block: the next reading sees it
            assert register_cache.current_version() > first
            assert _version_reads(captured) == 2
    # outside a block every call reads
    with CaptureQueriesContext(connection) as captured:
        register_cache.current_version()
        register_cache.current_version()
    assert _version_reads(captured) == 2


def test_a_register_page_reads_the_version_once(client, make_user):
    from loanregister.roles import RETENTION_TEAM

    make.loan("V-1", maturity_date=datetime.date.today() + datetime.timedelta(days=30))
    client.force_login(make_user("retention-v", RETENTION_TEAM))
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/register/")
    assert response.status_code == 200
    assert b'id="export-leaves-out"' in response.content  # the export note was drawn (retention may export)
    assert _version_reads(captured) == 1  # the totals' and the export note's cache keys share it
