"""Closing documents (SRV-3): stored with the loan, kept for the jurisdiction's retention period, not deleted before."""

import datetime
import hashlib

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from servicing.documents import document_retain_until, document_upload
from servicing.models import LoanDocument, RetentionNotOver, RetentionRule

from .servrest_support import make_loan

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4 pantebrev"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(loan, user=None) -> LoanDocument:
    return document_upload(
        loan=loan,
        upload=SimpleUploadedFile("pantebrev.pdf", CONTENT, "application/pdf"),
        kind="mortgage_deed",
        user=user,
    )


def test_srv3_retention_defaults_are_loaded_and_marked():
    dk = RetentionRule.objects.get(jurisdiction="DK")
    assert (dk.years, dk.from_year_end, dk.is_default) == (5, True, True)
    assert RetentionRule.objects.get(jurisdiction="US-CA").years == 7
    assert RetentionRule.objects.get(jurisdiction="US").years == 7


@pytest.mark.parametrize(
    ("jurisdiction", "expected"),
    [
        ("DK", datetime.date(2055, 12, 31)),  # 5 years from the end of the financial year the loan ends in
        ("US-CA", datetime.date(2057, 3, 1)),  # 7 years after the loan ends
        ("US-ZZ", datetime.date(2057, 3, 1)),  # a state without its own row: the country's rule
        ("SE", None),  # no rule: kept until one is set
    ],
)
def test_srv3_retain_until_from_the_jurisdiction_and_maturity(jurisdiction, expected):
    loan = make_loan(f"R-{jurisdiction}", jurisdiction=jurisdiction, maturity_date=datetime.date(2050, 3, 1))
    assert document_retain_until(loan=loan) == (expected, jurisdiction)


def test_srv3_upload_stores_the_file_with_checksum_and_keep_date(make_user, media):
    # given
    user = make_user("servicer", "servicing")
    loan = make_loan("D-1")
    # when
    document = _upload(loan, user)
    # then
    assert document.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert document.size == len(CONTENT)
    assert document.uploaded_by == user
    assert document.retain_until == datetime.date(2055, 12, 31)
    assert (media / document.file.name).read_bytes() == CONTENT


def test_srv3_deletion_before_the_retention_ends_is_refused_by_the_model():
    # given
    document = _upload(make_loan("D-1"))
    # when / then
    with pytest.raises(RetentionNotOver):
        document.delete()
    with pytest.raises(RetentionNotOver):
        LoanDocument.objects.filter(pk=document.pk).delete()
    assert LoanDocument.objects.filter(pk=document.pk).exists()


def test_srv3_deletion_before_the_retention_ends_is_refused_by_the_admin():
    # given
    document = _upload(make_loan("D-1"))
    request = RequestFactory().get("/")
    request.user = type("Root", (), {"is_active": True, "is_staff": True, "has_perm": lambda *a, **k: True})()
    # then
    model_admin = admin.site._registry[LoanDocument]
    assert model_admin.has_delete_permission(request, document) is False


def test_srv3_deletion_before_the_retention_ends_is_refused_by_the_database():
    # given
    document = _upload(make_loan("D-1"))
    # when raw SQL tries, past every Python check
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM servicing_loandocument WHERE id = %s", [document.pk])
    # then it is still there
    assert LoanDocument.objects.filter(pk=document.pk).exists()


def test_srv3_deletion_after_the_retention_is_allowed(media, django_capture_on_commit_callbacks):
    # given a loan that matured in 2010: Danish retention ended on 31 December 2015
    document = _upload(
        make_loan(
            "D-OLD", maturity_date=datetime.date(2010, 6, 1), origination_date=datetime.date(1990, 1, 1)
        )
    )
    path = media / document.file.name
    assert document.retain_until == datetime.date(2015, 12, 31)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        document.delete()
    # then the row and, once committed, the file are gone
    assert not LoanDocument.objects.exists()
    assert not path.exists()


def test_srv3_an_extended_loan_extends_the_keep_before_deletion():
    # given a document uploaded when the loan was due in 2010
    loan = make_loan(
        "D-EXT", maturity_date=datetime.date(2010, 6, 1), origination_date=datetime.date(1990, 1, 1)
    )
    document = _upload(loan)
    # when the loan is extended to 2040 and someone deletes the document
    type(loan).objects.filter(pk=loan.pk).update(maturity_date=datetime.date(2040, 6, 1))
    document.loan.refresh_from_db()
    with pytest.raises(RetentionNotOver):
        document.delete()
    # then the keep date follows the loan
    document.refresh_from_db()
    assert document.retain_until == datetime.date(2045, 12, 31)


def test_srv3_upload_on_the_loan_page(client, make_user):
    # given
    loan = make_loan("D-WEB")
    client.force_login(make_user("servicer", "servicing"))
    # when
    response = client.post(
        reverse("servicing:document-upload", args=[loan.loan_number]),
        {"kind": "title_deed", "file": SimpleUploadedFile("skoede.pdf", CONTENT), "description": "Skøde"},
    )
    # then
    assert response.status_code == 302
    document = LoanDocument.objects.get(loan=loan)
    assert document.kind == "title_deed"
    page = client.get(reverse("loanregister:loan", args=[loan.loan_number]))
    assert page.status_code == 200
    assert b"skoede.pdf" in page.content
    download = client.get(reverse("servicing:document-download", args=[document.pk]))
    assert b"".join(download.streaming_content) == CONTENT


def test_srv3_upload_refused_without_permission(client, make_user):
    loan = make_loan("D-NO")
    client.force_login(make_user("officer", "loan_officer"))
    response = client.post(
        reverse("servicing:document-upload", args=[loan.loan_number]),
        {"kind": "title_deed", "file": SimpleUploadedFile("x.pdf", CONTENT)},
    )
    assert response.status_code == 403
    assert not LoanDocument.objects.exists()


def test_srv3_delete_from_the_loan_page_only_when_the_retention_is_over(client, make_user):
    # given an admin, a document still kept and one whose retention ended
    client.force_login(make_user("boss", "admin"))
    kept = _upload(make_loan("D-KEPT"))
    old = _upload(
        make_loan(
            "D-GONE", maturity_date=datetime.date(2010, 6, 1), origination_date=datetime.date(1990, 1, 1)
        )
    )
    # when both are deleted
    client.post(reverse("servicing:document-delete", args=[kept.pk]))
    client.post(reverse("servicing:document-delete", args=[old.pk]))
    # then only the old one went
    assert list(LoanDocument.objects.values_list("pk", flat=True)) == [kept.pk]
