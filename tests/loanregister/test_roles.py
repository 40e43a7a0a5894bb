"""The thirteen roles of docs/requirements.md §5 exist after migrations, as groups with the permissions each needs and
no more."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from loanregister import roles
from loanregister.roles import ROLE_LABELS, ROLE_PERMISSIONS, sync_role_permissions, user_roles

pytestmark = pytest.mark.django_db

ROLES = {
    "loan_officer",
    "sales_manager",
    "retention_team",
    "retention_manager",
    "servicing",
    "collections",
    "collections_manager",
    "lpo_processor",
    "lpo_manager",
    "branch_lender",
    "home_office_underwriter",
    "reporting",
    "admin",
}


def _groups_with(permission: str) -> set[str]:
    app_label, codename = permission.split(".")
    return set(
        Group.objects.filter(
            permissions__content_type__app_label=app_label, permissions__codename=codename
        ).values_list("name", flat=True)
    )


def _group_permissions(role: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_role_groups_of_the_requirements_exist_after_migrations():
    # given a database built by the migrations (pytest-django runs them)
    # then there is one group per role of docs/requirements.md
    assert set(ROLE_LABELS) == ROLES
    assert ROLES <= set(Group.objects.values_list("name", flat=True))


def test_each_group_has_the_permissions_roles_py_gives_it():
    for role, permissions in ROLE_PERMISSIONS.items():
        missing = set(permissions) - _group_permissions(role)
        assert not missing, f"{role} lacks {sorted(missing)}"


def test_export_of_the_register_only_for_retention_team_and_admin():
    # exports carry personal data and are logged (docs/requirements.md §4): only the campaign builders (and their
    # manager, who exports campaigns) and admins export
    assert _groups_with("loanregister.export_register") == {"retention_team", "retention_manager", "admin"}


def test_leads_are_worked_by_officers_and_managed_by_sales_managers():
    # REG-2: an officer works their own leads; a sales manager reassigns them, works the unassigned queue and exports
    assert _groups_with("loanregister.work_lead") == {"loan_officer", "sales_manager", "admin"}
    for permission in ("reassign_lead", "export_leads", "preview_radar"):
        assert _groups_with(f"loanregister.{permission}") == {"sales_manager", "admin"}, permission


def test_full_cpr_numbers_only_where_roles_py_gives_them():
    # the roles that work with the person (servicing, collections, the underwriter deciding) and admins
    expected = {role for role, perms in ROLE_PERMISSIONS.items() if "loanregister.view_national_id" in perms}
    assert expected == {"servicing", "collections", "collections_manager", "home_office_underwriter", "admin"}
    assert _groups_with("loanregister.view_national_id") == expected
    assert "loan_officer" not in expected and "retention_team" not in expected


def test_loan_book_import_only_for_admin():
    assert _groups_with("loanregister.import_loans") == {"admin"}


def test_only_servicing_and_admin_change_loans_and_borrowers():
    for permission in ("loanregister.change_loan", "loanregister.change_borrower"):
        assert _groups_with(permission) == {"servicing", "admin"}, permission


def test_read_only_roles_cannot_write_the_loan_book():
    # LPO-3: the LPO does not set terms; the loan officer and reporting read the book
    read_only = ("loan_officer", "sales_manager", "retention_team", "retention_manager", "reporting")
    for role in (*read_only, "lpo_processor", "lpo_manager", "branch_lender", "collections_manager"):
        writes = {
            perm
            for perm in _group_permissions(role)
            if perm.startswith("loanregister.")
            and perm.split(".")[1].split("_")[0] in {"add", "change", "delete"}
            # retention roles build campaigns and set the contact cap (issue 10): not the loan book
            and perm.split(".")[1].split("_", 1)[1] not in {"campaign", "contactgovernor"}
        }
        assert not writes, f"{role} may write {sorted(writes)}"


def test_nobody_deletes_loans_or_borrowers():
    # the book is audited; a loan leaves the register by its status, never by deletion
    for permission in ("loanregister.delete_loan", "loanregister.delete_borrower"):
        assert _groups_with(permission) == set(), permission


def test_a_user_has_the_permissions_of_their_role(make_user):
    # given
    officer = make_user("officer", roles.LOAN_OFFICER)
    servicer = make_user("servicer", roles.SERVICING)
    # then
    assert user_roles(officer) == ["loan_officer"]
    assert officer.has_perm("loanregister.view_loan")
    assert not officer.has_perm("loanregister.view_national_id")
    assert servicer.has_perm("loanregister.view_national_id")
    assert servicer.has_perm("loanregister.change_loan")


def test_sync_role_permissions_is_idempotent_for_later_migrations():
    # given the state the migrations leave
    before = {role: _group_permissions(role) for role in ROLES}
    # when a later data migration runs the helper again with the same map (as apps do to extend roles)
    apps = MigrationExecutor(connection).loader.project_state().apps
    sync_role_permissions(apps, ROLE_PERMISSIONS)
    sync_role_permissions(apps, ROLE_PERMISSIONS)
    # then nothing changed and nothing was duplicated
    assert {role: _group_permissions(role) for role in ROLES} == before
    assert Permission.objects.filter(codename="view_national_id").count() == 1
