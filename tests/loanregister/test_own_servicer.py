"""A fresh installation can import its book (issue 8 item 2; docs/import_loans.md): `migrate` gives it our own
servicer, named from the settings, so a file with only the required columns imports; exactly one servicer can be
our own (a database constraint, refused in admin with a clear error); seed_demo uses that one."""

import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from loanregister.loan_import import REQUIRED_COLUMNS, loans_import
from loanregister.models import Loan, Servicer, ServicerAssignment
from loanregister.services import own_servicer_get_or_create

from . import register_support as make

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "loans_required.csv"
MIGRATION = importlib.import_module("loanregister.migrations.0010_own_servicer")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _migrate_own_servicer(capsys) -> str:
    """Run migration 0010's data step again on the database as the test left it; returns what it printed."""
    MIGRATION.own_servicer(apps, connection.schema_editor())
    return capsys.readouterr().out


def test_migrate_gives_a_fresh_database_our_own_servicer_named_from_the_settings():
    own = Servicer.objects.get(is_own=True)
    assert (own.code, own.name, own.active) == (settings.OWN_SERVICER_CODE, settings.OWN_SERVICER_NAME, True)
    assert (settings.OWN_SERVICER_CODE, settings.OWN_SERVICER_NAME) == ("OWN", "Egen administration")


def test_a_file_with_only_the_required_columns_imports_on_a_fresh_database():
    # given the database as migrate leaves it, and the sample with the required columns and nothing else
    assert SAMPLE.read_text().splitlines()[0].split(",") == list(REQUIRED_COLUMNS)
    own = Servicer.objects.get()
    # when
    result = loans_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name)
    # then every loan is ours, with its open servicer assignment
    assert result.ok, result.errors
    assert result.created == 3
    assert set(Loan.objects.values_list("servicer", flat=True)) == {own.pk}
    assert ServicerAssignment.objects.filter(servicer=own, until__isnull=True).count() == 3


def test_the_own_servicer_renamed_in_admin_is_still_the_one_a_blank_servicer_means(admin_client):
    own = Servicer.objects.get(is_own=True)
    response = admin_client.post(
        reverse("admin:loanregister_servicer_change", args=[own.pk]),
        {"code": "NRK", "name": "Nordisk Realkredit A/S", "is_own": "on", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    assert loans_import(file=SAMPLE.read_bytes(), user=None, file_name=SAMPLE.name).ok
    assert set(Loan.objects.values_list("servicer__code", flat=True)) == {"NRK"}


def test_the_database_refuses_a_second_own_servicer():
    with pytest.raises(IntegrityError, match="loanregister_servicer_one_own"), transaction.atomic():
        Servicer.objects.create(code="NMS", name="Nordic Mortgage Servicing ApS", is_own=True)
    # and model validation says it in words
    with pytest.raises(ValidationError, match="Only one servicer can be our own"):
        Servicer(code="NMS", name="Nordic Mortgage Servicing ApS", is_own=True).full_clean()
    # while a third party is fine
    Servicer(code="NMS", name="Nordic Mortgage Servicing ApS").full_clean()


def test_admin_refuses_a_second_own_servicer_naming_the_one_that_is(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the reason is checked in English
    # when an administrator adds a servicer marked as our own
    response = admin_client.post(
        reverse("admin:loanregister_servicer_add"),
        {"code": "NMS", "name": "Nordic Mortgage Servicing ApS", "is_own": "on", "active": "on"},
    )
    # then the form comes back with the reason on the field, and nothing is saved
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["is_own"] == [
        "Only one servicer can be our own, and Egen administration (OWN) already is. To make this one our own, "
        "untick OWN first."
    ]
    assert not Servicer.objects.filter(code="NMS").exists()
    # and the same servicer as a third party is saved
    response = admin_client.post(
        reverse("admin:loanregister_servicer_add"),
        {"code": "NMS", "name": "Nordic Mortgage Servicing ApS", "active": "on"},
    )
    assert response.status_code == 302
    # and saving our own servicer again (marked) is no conflict with itself
    own = Servicer.objects.get(is_own=True)
    response = admin_client.post(
        reverse("admin:loanregister_servicer_change", args=[own.pk]),
        {"code": own.code, "name": own.name, "is_own": "on", "active": "on"},
    )
    assert response.status_code == 302


def test_seed_demo_uses_our_own_servicer_and_makes_no_other():
    # given our own servicer under the lender's own code and name (changed in admin)
    own = Servicer.objects.get(is_own=True)
    Servicer.objects.filter(pk=own.pk).update(code="NRK", name="Nordisk Realkredit A/S")
    # when
    call_command("seed_demo", loans=200, seed=7, without_ledger=True, stdout=io.StringIO())
    # then its loans are serviced by that one, and no second own servicer (nor an "OWN") was made
    assert list(Servicer.objects.filter(is_own=True).values_list("pk", "code", "name")) == [
        (own.pk, "NRK", "Nordisk Realkredit A/S")
    ]
    assert not Servicer.objects.filter(code="OWN").exists()
    assert Loan.objects.filter(servicer=own).count() > 150
    assert set(Servicer.objects.filter(is_own=False).values_list("code", flat=True)) == {"LSD", "NMS"}


def test_own_servicer_get_or_create_makes_it_again_on_a_database_without_one():
    Servicer.objects.all().delete()
    own = own_servicer_get_or_create()
    assert (own.code, own.name, own.is_own) == ("OWN", "Egen administration", True)
    assert own_servicer_get_or_create() == own


# --- the data migration on what it may find (docs/deployment.md, "Upgrades") -------------------------------------


@override_settings(OWN_SERVICER_CODE="NRK", OWN_SERVICER_NAME="Nordisk Realkredit A/S")
def test_the_migration_creates_our_own_servicer_from_the_settings(capsys):
    Servicer.objects.all().delete()
    assert _migrate_own_servicer(capsys) == ""
    assert list(Servicer.objects.values_list("code", "name", "is_own")) == [
        ("NRK", "Nordisk Realkredit A/S", True)
    ]


def test_the_migration_leaves_one_own_servicer_as_it_is(capsys):
    Servicer.objects.filter(is_own=True).update(code="NRK", name="Nordisk Realkredit A/S")
    assert _migrate_own_servicer(capsys) == ""
    assert list(Servicer.objects.values_list("code", "is_own")) == [("NRK", True)]


def test_the_migration_marks_the_servicer_with_the_settings_code_when_none_is_marked(capsys):
    Servicer.objects.update(is_own=False, name="Vores administration")
    out = _migrate_own_servicer(capsys)
    assert list(Servicer.objects.values_list("code", "name", "is_own")) == [
        ("OWN", "Vores administration", True)
    ]
    assert "OWN (Vores administration) is now marked as our own servicer" in out


def test_the_migration_keeps_the_own_servicer_with_the_most_loans_when_several_are_marked(capsys):
    # given a database from before the constraint, with two servicers marked as our own
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX loanregister_servicer_one_own")  # rolled back with the test
    few = Servicer.objects.get(is_own=True)
    many = Servicer.objects.create(code="NRK", name="Nordisk Realkredit A/S", is_own=True)
    make.loan(servicer=few, sync=False)
    for _ in range(2):
        make.loan(servicer=many, sync=False)
    # when migrate runs
    out = _migrate_own_servicer(capsys)
    # then it does not fail: the one with the most loans stays our own, the other is unmarked and named
    assert list(Servicer.objects.filter(is_own=True).values_list("code", flat=True)) == ["NRK"]
    assert "kept NRK (Nordisk Realkredit A/S; loans: 2)" in out
    assert "OWN (Egen administration; loans: 1) is no longer marked as our own" in out
