"""A web download of leads (REG-2; issue 10 item 2): the "My leads" filter as CSV or XLSX, the same file as
`export_leads`, only the leads the user may see, every download logged."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from common.models import ExportLog
from loanregister.leads.export import HEADER
from loanregister.leads.radar import maturity_radar_apply
from loanregister.models import UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)


def _client(user) -> Client:
    UserPreference.objects.get_or_create(user=user, defaults={"language": "en"})
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def leads():
    anna = make.user("anna", "loan_officer")
    bo = make.user("bo", "loan_officer")
    make.loan("A-MAT", officer=anna, maturity_date=D + datetime.timedelta(days=10))
    make.loan(
        "A-RESET", officer=anna, loan_type="adjustable", rate_reset_date=D + datetime.timedelta(days=20)
    )
    make.loan("B-MAT", officer=bo, maturity_date=D + datetime.timedelta(days=5))
    maturity_radar_apply(business_date=D)
    return anna, bo


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def test_reg2_a_sales_manager_downloads_the_leads_of_the_filter(leads):
    client = _client(make.user("sam", "sales_manager"))
    page = client.get(reverse("loanregister:leads"), {"event": "maturity"}).content.decode()
    assert "leads-download-csv" in page
    response = client.get(reverse("loanregister:leads-download"), {"event": "maturity", "format": "csv"})
    assert response.status_code == 200
    rows = _rows(response)
    assert [(row["loan_number"], row["event"], row["officer"]) for row in rows] == [
        ("B-MAT", "maturity", "bo"),
        ("A-MAT", "maturity", "anna"),
    ]
    annas = _rows(client.get(reverse("loanregister:leads-download"), {"format": "csv", "officer": "anna"}))
    assert [row["loan_number"] for row in annas] == ["A-MAT", "A-RESET"]
    log = ExportLog.objects.filter(kind="leads").order_by("id").first()
    assert (log.source, log.user.username, log.row_count, log.filters) == (
        "web",
        "sam",
        2,
        {"event": ["maturity"]},
    )


def test_reg2_an_officer_without_the_export_permission_gets_no_download(leads):
    anna, _bo = leads
    client = _client(anna)
    assert "leads-download-csv" not in client.get(reverse("loanregister:leads")).content.decode()
    assert client.get(reverse("loanregister:leads-download"), {"format": "csv"}).status_code == 403


def test_reg2_a_sales_manager_downloads_xlsx_with_the_export_leads_header(leads):
    manager = _client(make.user("sam", "sales_manager"))
    response = manager.get(reverse("loanregister:leads-download"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    assert [row[0] for row in values[1:]] == ["B-MAT", "A-MAT", "A-RESET"]


@pytest.mark.parametrize("query", [{"format": "pdf"}, {}, {"format": "csv", "status": "bogus"}])
def test_reg2_a_bad_download_goes_back_to_the_list_with_a_word(leads, query):
    response = _client(make.user("sam", "sales_manager")).get(
        reverse("loanregister:leads-download"), query, follow=True
    )
    assert response.status_code == 200
    assert "Choose CSV or XLSX" in response.content.decode()
    assert not ExportLog.objects.filter(kind="leads").exists()
