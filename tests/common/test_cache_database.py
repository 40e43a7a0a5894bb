"""Issue 9, target 4: the embedded default's database cache files an entry in one statement (common/cache.py,
`UpsertDatabaseCache`) and still behaves as Django's database cache: overwrite, expiry, add, touch, culling, and
a failed write that raises nothing and leaves the caller's transaction usable."""

import time
import uuid

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _settings(**options) -> dict:
    return {
        "default": {
            "BACKEND": "common.cache.UpsertDatabaseCache",
            "LOCATION": "register_cache",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": options,
        }
    }


def _rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM register_cache")
        return cursor.fetchone()[0]


@pytest.mark.django_db(
    transaction=True
)  # autocommit, as a page's request runs: no savepoint around the write
def test_a_set_is_one_statement_and_overwrites():
    with override_settings(CACHES=_settings()):
        cache = caches["default"]
        cache.set("warm-up", 0)  # the process's first set also counts the table (the culling check)
        with CaptureQueriesContext(connection) as captured:
            cache.set("totals", {"events": 2})
        assert len(captured.captured_queries) == 1
        assert "ON CONFLICT" in captured.captured_queries[0]["sql"]
        assert cache.get("totals") == {"events": 2}
        cache.set("totals", {"events": 3})
        assert cache.get("totals") == {"events": 3}
        assert cache.get_many(["totals", "missing"]) == {"totals": {"events": 3}}


def test_expiry_add_and_touch_behave_as_djangos_database_cache():
    with override_settings(CACHES=_settings()):
        cache = caches["default"]
        cache.set("short", "x", timeout=1)
        assert cache.add("short", "y") is False  # present and not yet expired
        time.sleep(2.1)
        assert cache.get("short") is None
        assert cache.add("short", "y") is True  # expired: add takes the key
        assert cache.get("short") == "y"
        assert cache.touch("short", timeout=None) is True
        cache.set("forever", "z", timeout=None)
        assert cache.get("forever") == "z"
        cache.set("gone", "z", timeout=0)  # Django: a timeout of 0 expires at once
        assert cache.get("gone") is None


def test_the_table_is_culled_on_the_periodic_check(monkeypatch):
    from common.cache import UpsertDatabaseCache

    monkeypatch.setattr(UpsertDatabaseCache, "CULL_CHECK_EVERY", 5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM register_cache")
    with override_settings(CACHES=_settings(MAX_ENTRIES=10, CULL_FREQUENCY=2)):
        cache = caches["default"]
        for n in range(40):
            cache.set(f"k{n}", n)
            # between checks the table may pass MAX_ENTRIES by at most CULL_CHECK_EVERY rows
            assert _rows() <= 10 + 5
        assert cache.get("k39") == 39  # the newest entry is kept


def test_a_failed_set_answers_false_and_leaves_the_transaction_usable():
    with override_settings(CACHES=_settings()):
        cache = caches["default"]
        with transaction.atomic():
            # a key longer than the table's column (255): PostgreSQL refuses the row
            with pytest.warns(Warning):
                cache.set("x" * 300, 1)  # nothing raised (Django's `set` answers nothing)
            with pytest.warns(Warning):
                assert cache.get("x" * 300) is None
            cache.set("after", 2)  # the transaction goes on
            assert cache.get("after") == 2
