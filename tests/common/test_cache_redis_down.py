"""Issue 10 item 5 / issue 9 target 3: the shared cache on Redis is a shortcut, never a dependency. With the cache's
Redis unreachable (nothing listens on port 1), the register page still answers from the database, and the cache
reports misses instead of raising (common/cache.py)."""

import datetime

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.loanregister import register_support as make

DEAD_REDIS = {
    "default": {
        "BACKEND": "common.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "down",
    }
}


@override_settings(CACHES=DEAD_REDIS)
def test_an_unreachable_redis_is_a_miss_not_an_error(caplog, monkeypatch):
    from common import cache as resilient

    monkeypatch.setattr(resilient, "_last_warning", -resilient._WARN_EVERY)
    cache = caches["default"]
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("anything", 1)  # nothing raised
    assert cache.add("other", 1) is False
    assert cache.delete("anything") is False
    warnings = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(warnings) == 1  # logged once a minute at most, not once per call


@pytest.mark.django_db
@override_settings(CACHES=DEAD_REDIS)
def test_reg1_the_register_answers_from_the_database_when_redis_is_down(client, make_user):
    make.loan("DOWN-1", maturity_date=timezone.localdate() + datetime.timedelta(days=30))
    client.force_login(make_user("officer", "loan_officer"))
    response = client.get(reverse("loanregister:register"), {"q": "DOWN"})
    assert response.status_code == 200
    assert "DOWN-1" in response.content.decode()
