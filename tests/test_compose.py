"""docker-compose.yml and the Dockerfile refer only to things that exist, and the stack they describe is sound.

There is no Docker engine on the build machine, so the file is parsed and every command is checked against the
project with the tools' own argument parsers: manage.py subcommands through Django's, `celery -A config …`
through Celery's click commands with our app, gunicorn's options through gunicorn's parser and its WSGI path by
importing it. The last test runs the web service's own command (gunicorn, production mode, the compose
environment) and its health check for real.
"""

import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
import yaml
from django.core.management import get_commands, load_command_class

from .runner import url_of

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = BASE_DIR / ".env.example"

# Variables in the env file that settings do not read, and who reads them instead.
READ_OUTSIDE_SETTINGS = {
    "POSTGRES_DB": "the db image, and compose builds DATABASE_URL from it",
    "POSTGRES_USER": "the db image, and compose builds DATABASE_URL from it",
    "POSTGRES_PASSWORD": "the db image, and compose builds DATABASE_URL from it",
    "WEB_CONCURRENCY": "gunicorn's worker count",
}
# What the app needs in a container: without these it would look for the embedded PostgreSQL (which no container
# starts), run tasks in-process, or refuse to start (production without SECRET_KEY or ALLOWED_HOSTS).
REQUIRED_BY_APP = {"DJANGO_PRODUCTION", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"}
LONG_RUNNING = {"db", "redis", "web", "worker", "beat"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _operator_env() -> dict[str, str]:
    """.env as an operator fills it in from .env.example: the empty secrets given values."""
    values = _env_file(ENV_EXAMPLE)
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["POSTGRES_PASSWORD"] = "a-test-password"
    return values


_VARIABLE = re.compile(r"\$\$|\$\{(?P<braced>[^}]+)\}|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        expression = match.group("braced") or match.group("plain")
        name_match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", expression)
        name, modifier = name_match.group(0), expression[name_match.end() :]
        value = env.get(name)
        if modifier.startswith(":?") and not value or modifier.startswith("?") and value is None:
            raise ValueError(f"compose refuses to start: {name}: {modifier.lstrip(':?')}")
        if modifier.startswith(":-") and not value:
            return modifier[2:]
        if modifier.startswith("-") and value is None:
            return modifier[1:]
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _interpolated(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, env) for key, value in node.items()}
    return node


def _services(env: dict[str, str] | None = None) -> dict[str, dict]:
    return _interpolated(_compose()["services"], env or _operator_env())


def _app_services() -> dict[str, dict]:
    return {name: service for name, service in _services().items() if "build" in service}


def _argv(command) -> list[str]:
    return list(command) if isinstance(command, list) else shlex.split(command)


def _container_env(service: dict, env: dict[str, str]) -> dict[str, str]:
    """What a container of this service sees: its env_file, then its environment (which wins)."""
    values: dict[str, str] = {}
    env_files = service.get("env_file", [])
    for env_file in [env_files] if isinstance(env_files, str) else env_files:
        assert env_file == ".env", "settings come from .env, the operator's copy of .env.example"
        values.update({key: env[key] for key in _env_file(ENV_EXAMPLE)})
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    values.update({key: str(value) for key, value in environment.items()})
    return values


def _healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1].replace("$HOSTNAME", "container-host"))
    assert test[0] == "CMD", test
    return list(test[1:])


# -- checking one command against the project ------------------------------------------------------------------


def check_manage_py(argv: list[str]) -> None:
    assert argv[:2] == ["python", "manage.py"], argv
    name, args = argv[2], argv[3:]
    commands = get_commands()
    assert name in commands, f"manage.py {name}: no such command"
    command = load_command_class(commands[name], name)
    command.create_parser("manage.py", name).parse_args(args)  # CommandError on an unknown option


def check_celery(argv: list[str]) -> None:
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as celery_cli

    assert argv[0] == "celery", argv
    context = celery_cli.make_context("celery", argv[1:])
    app_path = context.params["app"]
    assert app_path == "config", f"-A {app_path}: the project's Celery app is `config`"
    app = find_app(app_path)
    assert app.main == "loanregister", app
    rest = [*getattr(context, "_protected_args", []), *context.args]
    name, args = rest[0], rest[1:]
    assert name in celery_cli.commands, f"celery {name}: no such command"
    parent = click.Context(celery_cli, obj=CLIContext(app=app, no_color=True, workdir=None))
    celery_cli.commands[name].make_context(name, args, parent=parent)  # UsageError on an unknown option


def check_gunicorn(argv: list[str]) -> None:
    from gunicorn.config import Config

    assert argv[0] == "gunicorn", argv
    parsed = Config(usage="%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn").parser().parse_args(argv[1:])
    assert parsed.args == ["config.wsgi:application"], parsed.args
    module_name, _, attribute = parsed.args[0].partition(":")
    application = getattr(__import__(module_name, fromlist=[attribute]), attribute)
    assert callable(application)


def check_python_module(argv: list[str]) -> None:
    assert argv[:2] == ["python", "-m"], argv
    module = argv[2]
    assert (BASE_DIR / (module.replace(".", "/") + ".py")).is_file(), f"python -m {module}: no such module"


def check_command(argv: list[str]) -> None:
    """Raise AssertionError unless the command exists and its parser takes these arguments."""
    try:
        _check_command(argv)
    except AssertionError:
        raise
    except (Exception, SystemExit) as exc:  # parsers raise CommandError, UsageError, SystemExit, ImportError
        raise AssertionError(f"{shlex.join(argv)}: {exc!r}") from exc


def _check_command(argv: list[str]) -> None:
    if argv[:2] == ["python", "manage.py"]:
        check_manage_py(argv)
    elif argv[:2] == ["python", "-m"]:
        check_python_module(argv)
    elif argv[0] == "celery":
        check_celery(argv)
    elif argv[0] == "gunicorn":
        check_gunicorn(argv)
    else:
        raise AssertionError(f"unknown program in an app service: {argv}")


# -- the compose file ------------------------------------------------------------------------------------------


def test_compose_services_are_the_full_stack():
    # given the compose file
    services = _compose()["services"]
    # then it has the stack of the README: PostgreSQL 15/16, Redis 7, the app image four ways
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert re.fullmatch(r"postgres:1[56](\.\d+)*(-\w+)?", services["db"]["image"])
    assert re.fullmatch(r"redis:7(\.\d+)*(-\w+)?", services["redis"]["image"])
    assert all(services[name]["build"] == "." for name in ("migrate", "web", "worker", "beat"))
    assert (BASE_DIR / "Dockerfile").is_file()


@pytest.mark.django_db
def test_every_app_service_command_exists_in_the_project():
    # given the app services, their commands and health checks as a container runs them
    for name, service in _app_services().items():
        commands = [_argv(service["command"])]
        if "healthcheck" in service:
            commands.append(_healthcheck_argv(service))
        for argv in commands:
            # then each is a real command of the project, with options its parser accepts
            try:
                check_command(argv)
            except AssertionError as exc:
                raise AssertionError(f"service {name}: {exc}") from exc


def test_the_command_checker_refuses_what_does_not_exist():
    # the checks above can fail: each of these is a mistake they must catch
    bad = [
        ["python", "manage.py", "migrat"],
        ["python", "manage.py", "migrate", "--no-such-option"],
        ["celery", "-A", "configg", "worker"],
        ["celery", "-A", "config", "wrker"],
        ["celery", "-A", "config", "worker", "--concurency=2"],
        ["gunicorn", "config.wsgi:app"],
        ["gunicorn", "config.wsgi:application", "--bnd=0.0.0.0:8000"],
        ["python", "-m", "config.no_such_module"],
    ]
    for argv in bad:
        with pytest.raises(AssertionError):
            check_command(argv)


def test_exactly_one_beat():
    # given every service's command
    beats = []
    for name, service in _services().items():
        argv = _argv(service.get("command", []))
        if argv[:1] == ["celery"] and "beat" in argv:
            beats.append(name)
        # a worker with an embedded beat (-B) would be a second beat for every worker replica
        if argv[:1] == ["celery"] and "worker" in argv:
            assert not {"-B", "--beat"} & set(argv), f"{name}: worker with an embedded beat"
    # then exactly one service runs beat, and it is not replicated
    assert beats == ["beat"]
    assert _compose()["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_health_checks_restart_policies_and_start_order():
    services = _services()
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], f"{name} has no health check"
        assert services[name]["restart"] in {"unless-stopped", "always"}, name
    # migrate runs once, after the database is up; everything of ours waits for it and for healthy services
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    # the web health check is the login-exempt endpoint (tests/test_access.py proves it is exempt)
    assert _healthcheck_argv(services["web"]) == ["python", "-m", "config.healthcheck"]


def test_volumes_are_named_and_hold_the_state():
    compose = _compose()
    declared = set(compose["volumes"])
    mounts = {}
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source, _, target = volume.partition(":")
            assert source in declared, f"{name}: {source} is not a named volume"
            mounts.setdefault(name, {})[target] = source
    assert mounts["db"] == {"/var/lib/postgresql/data": "pgdata"}
    assert mounts["redis"] == {"/data": "redisdata"}
    # exports written by a worker are downloaded through the web app: one shared volume for the app's files
    assert {mounts[name]["/app/var"] for name in ("web", "worker", "beat", "migrate")} == {"appdata"}


def _settings_variables() -> set[str]:
    """Every environment variable config/settings.py reads through config/env.py's readers or os.environ."""
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return set(re.findall(r"\benv_(?:str|bool|int|list|secret)\(\s*\"([A-Z0-9_]+)\"", source)) | set(
        re.findall(r"os\.environ(?:\.get)?[\[(]\s*\"([A-Z0-9_]+)\"", source)
    )


def test_env_file_is_committed_and_its_variables_are_the_ones_settings_read():
    # given the committed example and the ignored real file
    assert ENV_EXAMPLE.is_file()
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env.example"], cwd=BASE_DIR, capture_output=True
    )
    assert tracked.returncode == 0, ".env.example must be committed"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=BASE_DIR)
    assert ignored.returncode == 0, ".env holds secrets and must be git-ignored"
    settings_variables = _settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"} <= settings_variables, "the reader found nothing"
    env = _operator_env()
    for name, service in _app_services().items():
        provided = _container_env(service, env)
        # then every variable given to the app is one settings read (no typo like DJANGO_SECRET_KEY) ...
        unknown = set(provided) - settings_variables - set(READ_OUTSIDE_SETTINGS)
        assert not unknown, f"{name}: variables nobody reads: {sorted(unknown)}"
        # ... and every variable the app needs in a container is given
        assert REQUIRED_BY_APP <= set(provided), f"{name}: missing {sorted(REQUIRED_BY_APP - set(provided))}"
        assert provided["DJANGO_PRODUCTION"] == "true"
        assert provided["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in provided["DATABASE_URL"]
        assert provided["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_compose_refuses_to_start_with_the_example_secrets_empty():
    # given .env copied from .env.example and not filled in
    env = _env_file(ENV_EXAMPLE)
    assert env["SECRET_KEY"] == "" and env["POSTGRES_PASSWORD"] == ""
    # then interpolation fails on the empty password, as `docker compose up` does
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        _services(env)
    # and the app's production settings refuse the empty SECRET_KEY (tests/test_settings.py)


def test_compose_environment_passes_check_deploy():
    # given the environment a web container gets
    web_env = _container_env(_services()["web"], _operator_env())
    # when Django's deployment checks run with it
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], **web_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then they pass without a warning
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# -- the Dockerfile --------------------------------------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_with_translations_and_static_files():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n\s*", " ", dockerfile)
    assert re.search(r"^FROM python:3\.11-slim\b", instructions, re.M)
    # translations compile with polib (compile_translations): the image needs no system package for them
    commands = "\n".join(line for line in instructions.splitlines() if not line.lstrip().startswith("#"))
    assert "gettext" not in commands and "compilemessages" not in commands
    assert re.search(r"^RUN pip install \.$", instructions, re.M)
    user = re.findall(r"^USER (\S+)", instructions, re.M)
    assert user and user[-1] not in {"root", "0"}, "the app runs as a non-root user"
    # every manage.py command of the build exists and takes its options
    for command in re.findall(r"python manage\.py ([^&\n]+)", instructions):
        check_command(["python", "manage.py", *shlex.split(command)])
    assert "manage.py compile_translations" in instructions and "manage.py collectstatic" in instructions
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored), "secrets and local state stay out of the image"


# -- the web service for real ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _database_url(name: str | None = None) -> str:
    """DATABASE_URL of the suite's PostgreSQL for a process the tests start (tests/runner.py's url_of)."""
    from django.db import connection

    return url_of(connection.settings_dict, name)


def test_web_service_serves_health_and_static_files_under_gunicorn_in_production(tmp_path):
    # given the web container's environment, with the suite's PostgreSQL instead of the db service (the health
    # check only asks the database to answer: the `postgres` database, which every server has, will do)
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        **_container_env(_services()["web"], _operator_env()),
        "DATABASE_URL": _database_url("postgres"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    # and static files collected as the image build does
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    argv = [
        arg if not arg.startswith("--bind=") else f"--bind=127.0.0.1:{port}"
        for arg in _argv(_services()["web"]["command"])
    ]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / argv[0]), *argv[1:]],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # when the container's health check runs
        for _ in range(100):
            health = subprocess.run(
                [sys.executable, *_healthcheck_argv(_services()["web"])[1:]],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
            )
            if health.returncode == 0 or server.poll() is not None:
                break
            time.sleep(0.2)
        # then it passes
        assert health.returncode == 0, health.stdout + health.stderr
        host = {"Host": env["ALLOWED_HOSTS"].split(",")[0]}
        https = {**host, "X-Forwarded-Proto": "https"}
        base = f"http://127.0.0.1:{port}"
        # plain HTTP is redirected to HTTPS; the app itself needs a login
        status, headers, _ = _get(f"{base}/health/", host)
        assert status == 301 and headers["Location"].startswith("https://"), (status, headers)
        status, headers, _ = _get(f"{base}/", https)
        assert status == 302 and headers["Location"].startswith("/accounts/login/?next=/"), (status, headers)
        # static files come from whitenoise with their hashed names, cached for ever
        manifest = (tmp_path / "static" / "staticfiles.json").read_text()
        hashed_css = re.search(r'"css/app\.css": "([^"]+)"', manifest).group(1)
        status, headers, body = _get(f"{base}/static/{hashed_css}", https)
        assert status == 200 and body, status
        assert "immutable" in headers.get("Cache-Control", ""), headers
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
