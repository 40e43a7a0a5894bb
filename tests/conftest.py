import os

import pytest
from django.contrib.auth.models import Group, User

from loanregister.roles import ROLE_LABELS

from . import brokers
from .roles_support import restore_role_groups


@pytest.fixture
def make_user(db, migrated_role_permissions):
    """A user in the given roles (groups made by the roles data migrations; given back after a flush)."""

    def _make(username: str = "user", *roles: str, **fields) -> User:
        if roles and not Group.objects.filter(name__in=roles).count() == len(set(roles)):
            restore_role_groups(migrated_role_permissions)
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


# The role groups come from data migrations, and a transactional test's flush removes them: what the migrations
# gave each group is read once per session, and restored where a test needs the groups again.
@pytest.fixture(scope="session", autouse=True)
def migrated_role_permissions(django_db_setup, django_db_blocker) -> dict[str, list[tuple[str, str]]]:
    """The role groups' permissions as the migrations left them, by (app label, codename), read once."""
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        snapshot = {
            group.name: list(group.permissions.values_list("content_type__app_label", "codename"))
            for group in Group.objects.all()
        }
    # Autouse at session scope: read before the first test, so before any transactional test's flush.
    assert snapshot, "no role groups after migrate"
    return snapshot
