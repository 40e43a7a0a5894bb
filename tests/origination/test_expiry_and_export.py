"""The nightly expiry (after 90 days without activity, admin-set per product; once per business date) and
export_pipeline (the exact header and order, logged, neutralized)."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from common.models import ExportLog, JobRun
from origination.export import HEADER
from origination.models import Application, ApplicationTransition
from origination.tasks import application_expiry_run

from . import support

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_applications_expire_on_the_ninetieth_day_without_activity_once_per_night(lpo):
    # given two open applications, last touched on 1 March and 2 March, and a funded one touched long ago
    first = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    second = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    Application.objects.filter(pk=first.pk).update(last_activity_at=_at(datetime.date(2026, 3, 1), 23))
    Application.objects.filter(pk=second.pk).update(last_activity_at=_at(datetime.date(2026, 3, 2), 0))
    # when the nightly job runs on 30 May (90 days after 1 March)
    run = application_expiry_run(business_date=datetime.date(2026, 5, 30))
    # then the first expired, with its record by the system, and the second not yet
    assert run.result == {"expired": 1}
    assert Application.objects.get(pk=first.pk).state == "expired"
    assert Application.objects.get(pk=second.pk).state == "received"
    record = ApplicationTransition.objects.get(application=first, to_state="expired")
    assert record.by.username == "system" and "90 days" in record.reason
    # and a second run of the same night does nothing
    assert application_expiry_run(business_date=datetime.date(2026, 5, 30)) is None
    assert JobRun.objects.get(job="application_expiry").state == "done"


def test_an_admin_sets_the_days_per_product(lpo):
    application = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    application.product.expire_after_days = 10
    application.product.save()
    Application.objects.filter(pk=application.pk).update(last_activity_at=_at(datetime.date(2026, 5, 1)))
    application_expiry_run(business_date=datetime.date(2026, 5, 10))
    assert Application.objects.get(pk=application.pk).state == "received"
    application_expiry_run(business_date=datetime.date(2026, 5, 11))
    assert Application.objects.get(pk=application.pk).state == "expired"


def test_the_expiry_is_a_nightly_job_with_a_command(lpo):
    assert settings.NIGHTLY_JOBS["application_expiry"][0] == "origination.tasks.application_expiry_task"
    out = io.StringIO()
    call_command("run_application_expiry", "--date", "2026-05-30", stdout=out)
    assert "expired" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("run_application_expiry", "--date", "2026-02-30")


def _book(lpo):
    """Applications at two offices in several states and days, numbered out of their order."""
    made = {}
    for key, office, user in [
        ("lpo_a", "LPO", lpo["processor"]),
        ("lpo_b", "LPO", lpo["processor"]),
        ("br_a", "BR", lpo["lender"]),
        ("lpo_c", "LPO", lpo["processor"]),
    ]:
        made[key] = support.new_application(user, lpo["offices"][office])
    support.walk(made["lpo_c"], "documents_pending", processor=lpo["processor"], manager=None, decider=None)
    # lpo_b entered `received` a day before lpo_a; lpo_a and lpo_c keep today
    Application.objects.filter(pk=made["lpo_b"].pk).update(
        state_entered_at=timezone.now() - datetime.timedelta(days=1)
    )
    Application.objects.filter(pk=made["lpo_a"].pk).update(product=support.product(code="=HYPERLINK"))
    return made


def test_export_pipeline_csv_has_the_contract_header_and_order(lpo, tmp_path):
    made = _book(lpo)
    output = tmp_path / "pipeline.csv"
    out = io.StringIO()
    call_command("export_pipeline", "--format", "csv", "--output", str(output), stdout=out)
    text = output.read_text(encoding="utf-8")
    assert text.startswith(
        "application_number,office,state,entered_state_on,requested_amount,currency,product,"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    # ordered by office, the workflow's order of states, entered_state_on, application number
    assert [(r["office"], r["state"], r["application_number"]) for r in rows] == [
        ("BR", "received", made["br_a"].number),
        ("LPO", "received", made["lpo_b"].number),
        ("LPO", "received", made["lpo_a"].number),
        ("LPO", "documents_pending", made["lpo_c"].number),
    ]
    first = rows[2]
    assert first["product"] == "'=HYPERLINK"  # neutralized against spreadsheet formulas
    assert (first["requested_amount"], first["currency"]) == ("1600000.00", "DKK")
    assert rows[0]["entered_state_on"] == timezone.localdate().isoformat()
    log = ExportLog.objects.get()
    assert (log.kind, log.source, log.row_count, log.completed) == ("pipeline", "command", 4, True)
    assert "4 rows" in out.getvalue()


def test_export_pipeline_xlsx_and_its_refusals(lpo, tmp_path, make_user):
    _book(lpo)
    output = tmp_path / "pipeline.xlsx"
    call_command(
        "export_pipeline",
        "--format",
        "xlsx",
        "--output",
        str(output),
        "--user",
        "underwriter",
        stdout=io.StringIO(),
    )
    sheet = load_workbook(output).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == 5
    assert ExportLog.objects.get().user.username == "underwriter"
    make_user("nobody")
    with pytest.raises(CommandError, match="may not export"):
        call_command("export_pipeline", "--format", "csv", "--output", str(output), "--user", "nobody")
    with pytest.raises(CommandError):
        call_command("export_pipeline", "--format", "pdf", "--output", str(output))


def test_the_pages_export_gives_what_the_user_sees_and_is_logged(lpo, client):
    # given applications at the LPO and at the branch
    made = _book(lpo)
    url = reverse("origination:export")
    # when the LPO's manager downloads the pipeline
    client.force_login(lpo["manager"])
    response = client.get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    # then it holds the LPO's applications only, in the export's order, and is logged as a web export
    assert [r["application_number"] for r in rows] == [
        made["lpo_b"].number,
        made["lpo_a"].number,
        made["lpo_c"].number,
    ]
    log = ExportLog.objects.get()
    assert (log.source, log.user, log.row_count, log.kind) == ("web", lpo["manager"], 3, "pipeline")
    # the home office gets every office's; a format that is not offered gets a page saying so
    client.force_login(lpo["underwriter"])
    assert client.get(url, {"format": "xlsx"}).status_code == 200
    assert client.get(url, {"format": "pdf"}).status_code == 400
