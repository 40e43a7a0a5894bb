"""Origination in the admin: every page of its models renders with objects in them; products are edited there,
applications and their records are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from origination import services
from origination.models import Application, Product

from . import support

pytestmark = pytest.mark.django_db


def test_every_origination_admin_page_renders_with_objects(lpo, client, make_user):
    # given an application with a document, a message and its records
    application = support.walk(
        support.new_application(lpo["processor"], lpo["offices"]["LPO"]),
        "recommended",
        processor=lpo["processor"],
        manager=lpo["manager"],
        decider=None,
    )
    services.application_message_add(
        application=application,
        applicant=application.applicants.get(),
        user=lpo["processor"],
        channel="email",
        direction="in",
        note="Payslips attached.",
    )
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    failures = []
    for model in list(admin.site._registry):
        if model._meta.app_label != "origination":
            continue
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        info = (model._meta.app_label, model._meta.model_name)
        for url in (
            reverse("admin:{}_{}_changelist".format(*info)) + "?q=A",
            reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
            reverse("admin:{}_{}_history".format(*info), args=[obj.pk]),
        ):
            if client.get(url).status_code != 200:
                failures.append(url)
    assert failures == []
    # products are edited in the admin, applications are not
    product = Product.objects.get()
    assert admin.site._registry[Product].has_change_permission(_request(client), product)
    assert not admin.site._registry[Application].has_change_permission(_request(client), application)


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    from django.contrib.auth.models import User

    request.user = User.objects.get(username="root")
    return request
