"""Smoke of the embedded default (SQLite, tasks in-process): migrate, seed a small book, render the home page.

Run by `.ci/run` through `make smoke` so that the no-services path a small lender uses cannot rot.
"""

import os
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    assert not os.environ.get("DATABASE_URL"), "the smoke runs on the embedded default"
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CELERY_TASK_ALWAYS_EAGER
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", loans=300)
    call_command("create_demo_users")
    call_command("run_scheduler", once=True)

    from django.contrib.auth.models import User

    from loanregister.models import Loan

    assert Loan.objects.count() == 300, Loan.objects.count()
    client = Client()
    assert client.get("/health/").status_code == 200
    assert client.get("/").status_code == 302, "anonymous users go to the login page"
    client.force_login(User.objects.get(username="demo"))
    for path in ["/", "/admin/", "/admin/loanregister/loan/"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    print("smoke: embedded default OK (migrate, seed 300 loans, scheduler, pages render)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
