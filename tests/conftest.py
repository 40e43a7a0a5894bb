import os

import pytest
from django.contrib.auth.models import Group, User

from loanregister.roles import ROLE_LABELS

from . import brokers


@pytest.fixture
def make_user(db):
    """A user in the given roles (groups made by the roles data migration)."""

    def _make(username: str = "user", *roles: str, **fields) -> User:
        user = User.objects.create_user(username=username, password="a-long-test-password", **fields)
        for role in roles:
            assert role in ROLE_LABELS, role
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture(scope="session")
def worker_broker_url():
    """The Redis of the Celery worker tests (tests/brokers.py): CELERY_TEST_BROKER_URL, else the local Redis when it
    answers, else a Valkey server started for the session. Without one, the tests fail saying how to get one."""
    try:
        with brokers.broker_for_tests(os.environ) as (_, url):
            yield url
    except brokers.NoBroker as exc:
        pytest.fail(str(exc), pytrace=False)
