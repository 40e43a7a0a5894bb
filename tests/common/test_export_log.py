"""The export log (docs/requirements.md §5): every export goes through one function that records who, when, what
kind, its parameters and its row count, and no other module writes the log."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.sites import site

from common.exports import export_log_finish, export_log_start
from common.models import ExportLog

ROOT = Path(settings.BASE_DIR)
APPS = ("common", "loanregister", "servicing", "origination", "stats", "config")
THE_ONE_WRITER = Path("common/exports.py")
# What writes rows: a manager's or queryset's create/update/delete, or an instance's save.
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update", "delete"}


def _rooted_at_export_log(node: ast.AST) -> bool:
    """`ExportLog.objects…` however long the chain (`ExportLog.objects.filter(pk=…).update(…)`)."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "ExportLog" and node.attr == "objects":
                return True
            node = node.value
        else:
            return False


def _log_writes(path: Path) -> list[tuple[int, str]]:
    """(line, method) of every write of the log in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and _rooted_at_export_log(node.func.value)
    ]


def test_only_common_exports_writes_the_export_log():
    # given every module of every app (migrations are history, not writers)
    modules = [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path.relative_to(ROOT) != THE_ONE_WRITER
    ]
    # when we look for writes of the log
    writes = [
        f"{path.relative_to(ROOT)}:{line}: ExportLog.objects….{method}(…)"
        for path in modules
        for line, method in _log_writes(path)
    ]
    # then there are none: an export logs through common.exports.export_log_start / export_log_finish
    assert modules and writes == []


def test_the_check_finds_a_write_in_any_shape(tmp_path):
    # the test above would pass on nothing if it saw nothing: it sees each way of writing the log
    source = tmp_path / "x.py"
    source.write_text(
        "ExportLog.objects.create(file_name='x')\n"
        "ExportLog.objects.filter(pk=1).update(row_count=2)\n"
        "ExportLog.objects.bulk_create([])\n"
        "Other.objects.create()\n"
        "ExportLog.objects.filter(pk=1).first()\n"
    )
    assert sorted(_log_writes(source)) == [(1, "create"), (2, "update"), (3, "bulk_create")]


@pytest.mark.django_db
def test_an_export_is_logged_with_who_what_kind_parameters_and_rows(make_user):
    # given a user
    user = make_user("mail", "servicing")
    # when an export starts and ends
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.LETTERS,
        source=ExportLog.Source.WEB,
        fmt=ExportLog.Format.CSV,
        params={"letter_batch": "2026-05-01"},
        file_name="letters.csv",
        with_contact_details=True,
    )
    export_log_finish(log, rows=3)
    # then the log says who, what kind, with which parameters, and how many rows
    stored = ExportLog.objects.get(pk=log.pk)
    assert (stored.user, stored.kind, stored.source, stored.format) == (user, "letters", "web", "csv")
    assert (stored.filters, stored.file_name, stored.with_contact_details) == (
        {"letter_batch": "2026-05-01"},
        "letters.csv",
        True,
    )
    assert (stored.row_count, stored.completed, stored.error) == (3, True, "")
    assert stored.finished_at is not None and stored.finished_at >= stored.created_at
    assert (log.row_count, log.completed) == (3, True)


@pytest.mark.django_db
def test_a_failed_export_is_logged_as_incomplete_with_its_error():
    log = export_log_start(
        user=None, kind="register", source="command", fmt="csv", params={}, file_name="r.csv", dialect="plain"
    )
    export_log_finish(log, rows=10, completed=False, error="disk full")
    stored = ExportLog.objects.get(pk=log.pk)
    assert (stored.user, stored.dialect, stored.row_count, stored.completed, stored.error) == (
        None,
        "plain",
        10,
        False,
        "disk full",
    )


@pytest.mark.django_db
def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        export_log_start(user=None, kind="bogus", source="web", fmt="csv", params={}, file_name="x.csv")
    assert not ExportLog.objects.exists()


def test_the_kinds_are_the_ones_requirements_name_and_old_rows_are_register_exports():
    assert ExportLog.Kind.values == [
        "register",
        "leads",
        "campaign",
        "delinquency",
        "reminders",
        "pipeline",
        "statistics",
        "letters",
    ]
    assert ExportLog._meta.get_field("kind").default == "register"


def test_the_admin_filters_the_log_by_kind():
    admin = site._registry[ExportLog]
    assert "kind" in admin.list_filter and "kind" in admin.list_display
