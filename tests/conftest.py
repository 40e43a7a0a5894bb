import pytest
from django.contrib.auth.models import Group, User

from loanregister.roles import ROLE_LABELS


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
