"""Django admin for every model: each page a superuser opens renders, each list can be searched and filtered.

Generic over `admin.site._registry`, so models other apps register later are covered without editing this file.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse

from common.models import ImportRun, JobRun
from loanregister.models import ServicerAssignment, UserPreference

from .loanregister.register_support import loan

OUR_APPS = ["common", "loanregister", "servicing", "origination", "stats"]

# ModelAdmins allowed without search_fields or list_filter, and why.
EXEMPT_FROM_SEARCH_AND_FILTERS = {
    "auth.Group": "a handful of role groups, made by migrations; the list fits on one screen",
    "loanregister.RadarHorizon": "one row per register event kind (three), made by a migration",
    "django_celery_beat.CrontabSchedule": "the nightly jobs' times, one row per job (common/schedule.py)",
    "django_celery_beat.IntervalSchedule": "a row or two (the outbox's every minute), made by migrate",
    "loanregister.ContactGovernor": "one row (the contact cap), made by a migration; no rows added or deleted",
    "loanregister.ConversionRule": "one row (when refinancing pays), made by a migration; no rows added or deleted",
}


def _label(model: type[Model]) -> str:
    return model._meta.label


def _our_concrete_models() -> list[type[Model]]:
    models = []
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            meta = model._meta
            if meta.abstract or meta.proxy or meta.auto_created:
                continue
            if model.__name__.startswith(
                "Historical"
            ):  # simple-history's shadow tables: shown in the admin history
                continue
            models.append(model)
    return models


@pytest.fixture
def superuser_client(client, make_user):
    user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def some_objects(db, make_user):
    """One object of the loan book's models, so change pages have something to show."""
    the_loan = loan("L-ADMIN-1", rate_reset_date=datetime.date(2030, 1, 1))
    ServicerAssignment.objects.create(
        loan=the_loan, servicer=the_loan.servicer, since=the_loan.servicer_since
    )
    JobRun.objects.create(job="maturity_radar", business_date=datetime.date(2026, 11, 20))
    ImportRun.objects.create(kind="loans", file_name="book.csv", ok=True, rows=1)
    UserPreference.objects.get_or_create(user=make_user("someone"))
    return the_loan


def test_every_model_of_our_apps_is_in_the_admin():
    # given every concrete model of our four apps
    models = _our_concrete_models()
    assert len(models) >= 10, "the loan book alone has ten models"
    # then each has an admin (admins run everything through Django admin, docs/requirements.md §1)
    missing = [_label(model) for model in models if model not in admin.site._registry]
    assert not missing, f"models without an admin: {missing}"


def test_every_admin_list_can_be_searched_and_filtered():
    problems = []
    for model, model_admin in admin.site._registry.items():
        if _label(model) in EXEMPT_FROM_SEARCH_AND_FILTERS:
            continue
        if not model_admin.search_fields:
            problems.append(f"{_label(model)}: no search_fields")
        if not model_admin.list_filter:
            problems.append(f"{_label(model)}: no list_filter")
    assert not problems, "\n".join(problems)
    assert set(EXEMPT_FROM_SEARCH_AND_FILTERS) <= {_label(m) for m in admin.site._registry}, "stale exemption"


def test_every_admin_page_renders_for_a_superuser(superuser_client, some_objects):
    # given every registered model, and one object of each where there is one
    request = RequestFactory().get("/admin/")
    request.user = superuser_client.user
    failures = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls = [
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_changelist".format(*info)) + "?q=1",  # search_fields name real lookups
        ]
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
        # when the superuser opens each page
        for url in urls:
            response = superuser_client.get(url)
            # then it renders
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_loan_books_objects_were_there_to_open(some_objects):
    # the page test above opened change pages of these (it would pass vacuously on an empty book)
    for model in (
        type(some_objects),
        type(some_objects.borrower),
        type(some_objects.servicer),
        ServicerAssignment,
        JobRun,
        ImportRun,
    ):
        assert model._default_manager.exists(), _label(model)
