"""The sign-in backend (loanregister/auth.py): Django's ModelBackend with the user read together with their
language preference, and their own and their groups' permissions read in one statement (issue 9). What a user may
do is exactly what Django's backend says, and a change counts from the next request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loanregister.auth import RegisterModelBackend
from loanregister.services import user_language_set

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a new request's user: nothing cached on it


def _django_says(user: User) -> tuple[set, set, set]:
    backend, fresh = ModelBackend(), _fresh(user)
    return (
        backend.get_user_permissions(fresh),
        backend.get_group_permissions(fresh),
        backend.get_all_permissions(fresh),
    )


def _we_say(user: User) -> tuple[set, set, set]:
    backend, fresh = RegisterModelBackend(), _fresh(user)
    return (
        backend.get_user_permissions(fresh),
        backend.get_group_permissions(fresh),
        backend.get_all_permissions(fresh),
    )


def test_the_permissions_are_djangos_own_and_groups_and_superuser(make_user):
    officer = make_user("officer", "loan_officer", "retention_team")
    officer.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    assert _we_say(officer) == _django_says(officer)
    own, groups, everything = _we_say(officer)
    assert own == {"loanregister.add_campaign"} and "loanregister.view_loan" in groups
    assert everything == own | groups
    admin = make_user("root", is_superuser=True)
    assert _we_say(admin) == _django_says(admin)
    assert len(_we_say(admin)[2]) == Permission.objects.count()
    nobody = make_user("nobody")
    assert _we_say(nobody) == (set(), set(), set())


def test_a_permission_taken_away_counts_from_the_next_request(make_user, client):
    officer = make_user("officer", "loan_officer")
    client.force_login(officer)
    assert client.get(reverse("loanregister:register")).status_code == 200
    for group in officer.groups.all():
        group.permissions.remove(Permission.objects.get(codename="view_loan"))
    assert client.get(reverse("loanregister:register")).status_code == 403
    officer.groups.clear()
    officer.user_permissions.add(Permission.objects.get(codename="view_loan"))
    assert client.get(reverse("loanregister:register")).status_code == 200


def test_an_inactive_user_has_no_permissions_and_is_signed_out(make_user, client):
    officer = make_user("officer", "loan_officer")
    client.force_login(officer)
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert RegisterModelBackend().get_all_permissions(_fresh(officer)) == set()
    assert RegisterModelBackend().get_user(officer.pk) is None
    response = client.get(reverse("loanregister:register"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_request_reads_the_user_with_the_preference_and_the_permissions_in_one_statement_each(
    make_user, client
):
    officer = make_user("officer", "loan_officer")
    user_language_set(user=officer, language="en")
    client.force_login(officer)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200 and response.wsgi_request.LANGUAGE_CODE == "en"
    statements = [q["sql"] for q in queries.captured_queries]
    users = [s for s in statements if 'FROM "auth_user"' in s and '"auth_user"."password"' in s]
    assert len(users) == 1 and "loanregister_userpreference" in users[0]
    assert not any(s.lstrip().startswith('SELECT "loanregister_userpreference"') for s in statements)
    permissions = [s for s in statements if "auth_permission" in s]
    assert len(permissions) == 1, permissions


def test_a_user_without_a_saved_preference_gets_the_default_language(make_user, client):
    officer = make_user("officer", "loan_officer")
    client.force_login(officer)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 200 and response.wsgi_request.LANGUAGE_CODE == "da"
