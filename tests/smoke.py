"""Smoke of the embedded default (PostgreSQL from the wheel, tasks in-process), as `make run` runs it: the embedded
server starts in VAR_DIR, migrate, seed a small book, the scheduler's nightly jobs, pages render, and the web server
really serves the login page over HTTP; then the database server stops.

Run by `.ci/run` through `make smoke` (on a throw-away VAR_DIR) so that the no-services path a small lender uses
cannot rot. Run as root, embedded-postgres makes the directories above VAR_DIR traversable by everyone.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def serve_and_get(paths: list[str]) -> dict[str, int]:
    """Start `manage.py runserver` (what `make run` serves with) on a free port, GET the paths, stop it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "runserver did not come up:\n" + (server.stdout.read() or "")
                    ) from None
                time.sleep(0.2)
        return {path: _get(f"http://127.0.0.1:{port}{path}") for path in paths}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    assert not os.environ.get("DATABASE_URL"), "the smoke runs on the embedded default"
    assert os.environ.get("VAR_DIR"), "the smoke runs on a throw-away VAR_DIR (make smoke makes one)"
    from config import embedded_postgres

    var_dir = embedded_postgres.settings_var_dir()
    started = time.monotonic()
    url = embedded_postgres.start(var_dir)
    print(f"smoke: embedded PostgreSQL up in {time.monotonic() - started:.1f}s ({url})")
    try:
        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        assert Path(settings.DATABASES["default"]["HOST"]).is_relative_to(var_dir.resolve()), (
            settings.DATABASES
        )
        assert settings.CELERY_TASK_ALWAYS_EAGER
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", loans=300)
        call_command("create_demo_users")
        call_command("run_scheduler", once=True)

        from django.contrib.auth.models import User

        from loanregister.models import Loan

        # the 300 loans of the book, plus the statistics' back book and its year of new loans (stats/demo.py)
        assert Loan.objects.count() >= 300, Loan.objects.count()
        for path in [
            "/register/",
            "/applications/",
            "/servicing/collections/",
            "/statistics/",
            "/operations/",
        ]:
            response = Client().get(path)
            assert response.status_code == 302, (path, response.status_code)  # to the login page
        client = Client()
        assert client.get("/health/").status_code == 200
        assert client.get("/").status_code == 302, "anonymous users go to the login page"
        client.force_login(User.objects.get(username="demo"))
        for path in [
            "/",
            "/admin/",
            "/admin/loanregister/loan/",
            "/register/",
            "/register/leads/",
            "/register/campaigns/",
            "/applications/",
            "/servicing/collections/",
            "/statistics/",
            "/operations/",
        ]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        connection.close()

        served = serve_and_get(["/accounts/login/", "/health/"])
        assert served == {"/accounts/login/": 200, "/health/": 200}, served
    finally:
        embedded_postgres.stop(var_dir)
    assert not embedded_postgres.is_running(var_dir)
    print(
        "smoke: embedded default OK (PostgreSQL from the wheel, migrate, seed 300 loans, scheduler, pages render, "
        "runserver serves the login page, server stopped)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
