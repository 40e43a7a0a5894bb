"""REG-2 export through COPY: the same bytes as the Python writer for both dialects (tricky values
included), the row count from COPY in the audit log, and a web stream whose client goes away stops its COPY
thread and closes that thread's connection."""

import csv
import datetime
import io
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from common.models import ExportLog
from loanregister import exports_copy
from loanregister.exports import DIALECTS, export_start, export_to_file
from loanregister.models import Borrower, RegisterEvent
from loanregister.register import register_events, register_filterset

from . import register_support as make

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
TRICKY_NAMES = [
    "Hansen; Jensen & Co",
    "Møller, Ærø",
    'Anders "Store" And',
    "Line one\nline two",
    "Carriage\rreturn",
    "Windows\r\nline",
    " leading and trailing ",
    "Ødegård Åsø",
    "\\.",
    "",
]


def _tricky_book() -> None:
    office = make.office("ÅRH", name='Århus; syd, "nord"')
    for index, name in enumerate(TRICKY_NAMES):
        make.loan(
            f"T-{index:02d}",
            maturity_date=D(2030, 1, 1 + index),
            office=office,
            currency="EUR" if index % 2 else "DKK",
            outstanding_balance=Decimal("1234567.89") if index % 3 else Decimal("0.00"),
            borrower=make.borrower(name, address="Vej 1;\n8000 Aarhus", email="", phone=""),
        )
    Borrower.objects.filter(name__startswith="Borrower ").update(name="")  # the empty name (make fills it in)
    make.loan("T-dnc", maturity_date=D(2030, 2, 1), borrower=make.borrower("Nej Tak", do_not_contact=True))
    # the register's copies may hold what a loan may not (a negative balance after a write-off correction)
    RegisterEvent.objects.filter(loan_number="T-01").update(outstanding_balance=Decimal("-10.50"))
    RegisterEvent.objects.filter(loan_number="T-02").update(outstanding_balance=Decimal("0.05"))


def _export(*, use_copy: bool, dialect: str, contact_details: bool, include_do_not_contact: bool = False):
    return export_start(
        events=register_events(filterset=register_filterset(data=WIDE)),
        user=None,
        fmt="csv",
        dialect=dialect,
        contact_details=contact_details,
        include_do_not_contact=include_do_not_contact,
        use_copy=use_copy,
    )


def _stream(**options) -> tuple[bytes, int]:
    export = _export(**options)
    payload = b"".join(export.chunks)
    return payload, ExportLog.objects.get(pk=export.log.pk).row_count


def _file(tmp_path, **options) -> tuple[bytes, int]:
    export = _export(**options)
    path = tmp_path / "out.csv"
    rows = export_to_file(export, path)
    assert ExportLog.objects.get(pk=export.log.pk).row_count == rows
    return path.read_bytes(), rows


@pytest.mark.django_db(transaction=True)  # committed rows, so that the web stream's COPY thread sees them
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("contact_details", [True, False])
def test_reg2_copy_and_python_csv_are_byte_identical(tmp_path, dialect, contact_details):
    # given loans with names and addresses full of delimiters, quotes, newlines and æøå, EUR and DKK, zero,
    # negative and positive balances
    _tricky_book()
    options = {"dialect": dialect, "contact_details": contact_details}
    # when the Python writer, the COPY stream (the web) and COPY into a file (the command) export the same list
    python, python_rows = _stream(use_copy=False, **options)
    web, web_rows = _stream(use_copy=True, **options)
    command, command_rows = _file(tmp_path, use_copy=True, **options)
    # then the bytes and the logged row counts are the same
    assert web == python
    assert command == python
    assert python_rows == web_rows == command_rows == len(TRICKY_NAMES)
    # and the file reads back to the values stored (so the sameness is not that of two empty files)
    dialect_spec = DIALECTS[dialect]
    text = python.decode("utf-8-sig" if dialect_spec.bom else "utf-8")
    assert text.startswith("loan_number") and python.startswith(b"\xef\xbb\xbf") is dialect_spec.bom
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=dialect_spec.delimiter))
    assert [r["borrower_name"] for r in rows] == TRICKY_NAMES
    assert rows[0]["office_name"] == 'Århus; syd, "nord"'
    by_number = {r["loan_number"]: r for r in rows}
    assert by_number["T-01"]["outstanding_balance"] == "-10.50".replace(".", dialect_spec.decimal)
    assert by_number["T-02"]["outstanding_balance"] == "0.05".replace(".", dialect_spec.decimal)
    assert by_number["T-00"]["outstanding_balance"] == "0.00".replace(".", dialect_spec.decimal)
    assert by_number["T-04"]["outstanding_balance"] == "1234567.89".replace(".", dialect_spec.decimal)
    assert by_number["T-01"]["currency"] == "EUR"
    assert by_number["T-00"]["borrower_address"] == ("Vej 1;\n8000 Aarhus" if contact_details else "")
    assert "T-dnc" not in by_number


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_reg2_copy_inside_a_transaction_gives_the_python_bytes(tmp_path, dialect):
    # given uncommitted rows (a thread's own connection could not see them)
    _tricky_book()
    options = {"dialect": dialect, "contact_details": True, "include_do_not_contact": True}
    # when / then the COPY on the caller's connection gives the Python writer's bytes
    python, rows = _stream(use_copy=False, **options)
    assert _stream(use_copy=True, **options) == (python, rows)
    assert _file(tmp_path, use_copy=True, **options) == (python, rows)
    assert rows == len(TRICKY_NAMES) + 1


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_reg2_broken_off_copy_stream_stops_its_thread_and_closes_its_connection(monkeypatch):
    # given a COPY stream with a small queue and one row per chunk, so that the thread waits on the client
    _tricky_book()
    monkeypatch.setattr(exports_copy, "CHUNK_BYTES", 1)
    monkeypatch.setattr(exports_copy, "QUEUE_CHUNKS", 2)
    before = _backends()
    export = _export(use_copy=True, dialect="plain", contact_details=True)
    next(export.chunks)  # the header
    next(export.chunks)  # the first row: the COPY thread runs
    assert any(t.name == "register-export-copy" for t in threading.enumerate())
    # when the client goes away
    export.chunks.close()
    # then the thread has ended, its connection is closed and the log says incomplete
    assert not any(t.name == "register-export-copy" for t in threading.enumerate())
    deadline = time.monotonic() + 5
    while _backends() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends() == before
    log = ExportLog.objects.get(pk=export.log.pk)
    assert log.completed is False and log.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_reg2_web_download_through_copy_equals_the_python_writer(client, make_user):
    # given a user who may export and see contact details (permissions given directly: a transactional test
    # must not rely on the role groups of a data migration, which an earlier flush may have removed)
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    # An earlier transactional test's flush may have left stale content types in the cache: make sure the
    # permissions exist in this database before granting them.
    ContentType.objects.clear_cache()
    create_permissions(apps.get_app_config("loanregister"), verbosity=0)
    _tricky_book()
    user = make_user("exporter")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["export_register", "view_loan", "view_contact_details"])
    )
    assert user.has_perm("loanregister.export_register")
    client.force_login(user)
    # when the register's export URL is downloaded (committed rows: the COPY runs in its thread)
    response = client.get(reverse("loanregister:export"), {**WIDE, "format": "csv", "dialect": "excel_da"})
    payload = b"".join(response.streaming_content)
    # then it is the Python writer's file, and the log has COPY's row count
    python, rows = _stream(use_copy=False, dialect="excel_da", contact_details=True)
    assert payload == python
    assert ExportLog.objects.get(user=user).row_count == rows == len(TRICKY_NAMES)
