"""Settings from the environment: the readers refuse bad values, and production mode is hardened.

Production settings are loaded in a subprocess (settings are read once per process), with a clean environment
so that nothing from the developer's shell leaks in.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_PRODUCTION": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "register.example.dk",
        "DATABASE_URL": "postgres://loanregister:secret@db.example.dk:5432/loanregister",
        "CELERY_BROKER_URL": "redis://redis.example.dk:6379/0",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


# -- the readers of config/env.py ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), ("yes", True), ("1", True), ("on", True), (" True ", True)]
    + [("false", False), ("no", False), ("0", False), ("off", False), ("", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    # given
    monkeypatch.setenv("LR_TEST_FLAG", raw)
    # when / then
    assert env_bool("LR_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "2", "y", "enabled", "falsch"])
def test_env_bool_refuses_what_is_not_a_boolean(monkeypatch, raw):
    # given a typo that a lenient reader would take as false (or true)
    monkeypatch.setenv("LR_TEST_FLAG", raw)
    # when / then the start stops, naming the variable
    with pytest.raises(ImproperlyConfigured, match="LR_TEST_FLAG"):
        env_bool("LR_TEST_FLAG", False)


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("LR_TEST_FLAG", raising=False)
    assert env_bool("LR_TEST_FLAG", True) is True
    assert env_bool("LR_TEST_FLAG", False) is False


def test_env_int_reads_integers_and_refuses_the_rest(monkeypatch):
    monkeypatch.setenv("LR_TEST_INT", "31536000")
    assert env_int("LR_TEST_INT", 0) == 31536000
    monkeypatch.setenv("LR_TEST_INT", "  ")
    assert env_int("LR_TEST_INT", 7) == 7, "blank means the default"
    monkeypatch.delenv("LR_TEST_INT")
    assert env_int("LR_TEST_INT", 7) == 7
    for bad in ["1e6", "ten", "3.5", "60s"]:
        monkeypatch.setenv("LR_TEST_INT", bad)
        with pytest.raises(ImproperlyConfigured, match="LR_TEST_INT"):
            env_int("LR_TEST_INT", 0)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("LR_TEST_LIST", " a.example.dk, ,b.example.dk ,")
    assert env_list("LR_TEST_LIST", ["default"]) == ["a.example.dk", "b.example.dk"]
    monkeypatch.setenv("LR_TEST_LIST", "")
    assert env_list("LR_TEST_LIST", ["default"]) == [], "set but empty is empty, not the default"
    monkeypatch.delenv("LR_TEST_LIST")
    assert env_list("LR_TEST_LIST", ["default"]) == ["default"]


def test_env_str_default_only_when_unset(monkeypatch):
    monkeypatch.delenv("LR_TEST_STR", raising=False)
    assert env_str("LR_TEST_STR") is None
    assert env_str("LR_TEST_STR", "x") == "x"
    monkeypatch.setenv("LR_TEST_STR", "value")
    assert env_str("LR_TEST_STR", "x") == "value"


def test_env_secret_has_no_default_and_refuses_short_values(monkeypatch):
    monkeypatch.delenv("LR_TEST_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="LR_TEST_SECRET"):
        env_secret("LR_TEST_SECRET")
    monkeypatch.setenv("LR_TEST_SECRET", "x" * 49)
    with pytest.raises(ImproperlyConfigured, match="at least 50"):
        env_secret("LR_TEST_SECRET")
    key = secrets.token_urlsafe(50)
    monkeypatch.setenv("LR_TEST_SECRET", key)
    assert env_secret("LR_TEST_SECRET") == key


# -- production mode -------------------------------------------------------------------------------------------


def test_production_mode_passes_check_deploy_without_warnings():
    # given production mode with its required settings
    # when Django's deployment checklist runs, failing on any warning
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production_env())
    # then it passes
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_mode_fails_check_deploy():
    # given the embedded default (this proves the check above can fail)
    # (check connects to no database: the URL needs no server behind it)
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/loanregister",
    )
    # then the checklist names what is not hardened
    assert result.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016", "security.W018"]:
        assert warning in result.stderr, warning


@pytest.mark.parametrize("secret_key", [None, "", "too-short-0123456789"])
def test_production_refuses_to_start_without_a_secret_key(secret_key):
    # given production mode with no (or a weak) SECRET_KEY
    # when anything starts
    result = _manage("check", **_production_env(SECRET_KEY=secret_key))
    # then it stops with a message naming the setting
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_bad_boolean():
    # given a typo in a boolean setting
    result = _manage("check", **_production_env(SECURE_SSL_REDIRECT="ture"))
    # then the start stops rather than guess
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT='ture' is not a boolean" in result.stderr


def test_production_without_allowed_hosts_fails_check_deploy():
    # given production mode and no ALLOWED_HOSTS (there is no default in production)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production_env(ALLOWED_HOSTS=None))
    # then the checklist refuses it
    assert result.returncode != 0
    assert "security.W020" in result.stderr


def test_production_settings_values():
    # given production mode
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.STORAGES['staticfiles']['BACKEND'], s.EMAIL_BACKEND, "
        "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    # when its settings are read
    result = _manage("shell", "-v", "0", "-c", code, **_production_env())
    # then debug is off, cookies are secure, static files are hashed, mail is real, tasks go to the broker
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "django.core.mail.backends.smtp.EmailBackend",
        "django.db.backends.postgresql",
        "False",
    ]


def test_embedded_default_needs_no_environment(tmp_path):
    # given no environment at all (a small lender's one box), with its files in a scratch VAR_DIR
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['NAME'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    result = _manage("shell", "-v", "0", "-c", code, VAR_DIR=str(tmp_path))
    # then it runs on the embedded PostgreSQL, on its socket in VAR_DIR/pgdata, with tasks in-process
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        str(tmp_path.resolve() / "pgdata"),
        "loanregister",
        "True",
        "True",
    ]
    # and reading the settings started no server (make run starts it; tests/test_embedded_postgres.py)
    assert not (tmp_path / "pgdata").exists()
