"""Quiet commands and one log line per sign-in attempt (issue: "no AXES: BEGIN … on every command's stderr; one
line per login, not four")."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def test_a_management_command_prints_no_axes_banner():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "AXES" not in result.stderr and "AXES" not in result.stdout


def _records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("axes", "loanregister.signin"))]


@pytest.mark.django_db
def test_a_sign_in_logs_one_line_with_user_and_address(client, make_user, caplog):
    make_user("louise")
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("login"), {"username": "louise", "password": "a-long-test-password"})
    assert response.status_code == 302
    assert [r.getMessage() for r in _records(caplog)] == ["sign-in ok: user=louise ip=127.0.0.1"]


@pytest.mark.django_db
def test_a_failed_sign_in_logs_one_warning_without_the_password(client, make_user, caplog):
    make_user("louise")
    with caplog.at_level(logging.INFO):
        client.post(reverse("login"), {"username": "louise", "password": "wrong-password-123"})
    records = _records(caplog)
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "sign-in failed: user=louise ip=127.0.0.1")
    ]
    assert "wrong-password-123" not in caplog.text


@pytest.mark.django_db
def test_a_lock_out_is_logged_once(client, make_user, caplog, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user("louise")
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            client.post(reverse("login"), {"username": "louise", "password": "wrong-password-123"})
    messages = [r.getMessage() for r in _records(caplog)]
    assert messages.count("sign-in locked out: user=louise ip=127.0.0.1") == 1


@pytest.mark.django_db
def test_a_session_is_kept_in_the_database_and_outlives_its_cached_copy(client, make_user):
    # given a signed-in user, whose session is read through the shared cache (Django's cached_db)
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    client.force_login(make_user("anna", "loan_officer"))
    assert client.get(reverse("loanregister:register")).status_code == 200
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    # when the cache loses it (Redis restarted, the database cache culled)
    cache.clear()
    # then the next page reads the session's row: still signed in
    assert client.get(reverse("loanregister:register")).status_code == 200
    # and signing out deletes the row, not only the cached copy
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("loanregister:register")).status_code == 302
