"""Every change to a loan or borrower keeps its history: who, when, what changed (issue 2 item 4;
docs/requirements.md §4)."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from common.users import SYSTEM_USERNAME
from loanregister.models import Borrower, Loan
from loanregister.services import own_servicer_get_or_create

pytestmark = pytest.mark.django_db

HEADER = "loan_number,borrower_name,borrower_id,loan_type,currency,principal,interest_rate,origination_date,maturity_date"
FIRST = "L-1,Mette Hansen,0101801234,fixed,DKK,1000000,3.5,2020-01-01,2050-01-01"
CHANGED = "L-1,Mette Hansen-Berg,0101801234,fixed,DKK,1000000,3.25,2020-01-01,2050-01-01"


@pytest.fixture(autouse=True)
def own_servicer(db):
    return own_servicer_get_or_create()  # made by migration 0010_own_servicer


def _file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "loans.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_history_names_the_user_given_to_the_import_command(tmp_path, make_user):
    # given
    alice = make_user("alice")
    # when the loan is created, then changed, by imports run as alice
    call_command("import_loans", _file(tmp_path, FIRST), "--user", "alice", stdout=StringIO())
    call_command("import_loans", _file(tmp_path, CHANGED), "--user", "alice", stdout=StringIO())
    # then each change is recorded with who made it and what changed
    loan = Loan.objects.get()
    created, changed = loan.history.order_by("history_date", "history_id")
    assert (created.history_type, created.history_user) == ("+", alice)
    assert (changed.history_type, changed.history_user) == ("~", alice)
    assert changed.interest_rate == Decimal("3.25")
    diff = changed.diff_against(created)
    assert [(c.field, c.old, c.new) for c in diff.changes] == [
        ("interest_rate", Decimal("3.500000"), Decimal("3.250000"))
    ]
    borrower_changes = Borrower.objects.get().history.order_by("history_date", "history_id")
    assert [(h.history_type, h.name, h.history_user) for h in borrower_changes] == [
        ("+", "Mette Hansen", alice),
        ("~", "Mette Hansen-Berg", alice),
    ]


def test_history_names_the_system_user_when_no_user_is_given(tmp_path):
    # when
    call_command("import_loans", _file(tmp_path, FIRST), stdout=StringIO())
    # then the system user, who cannot log in, is the one recorded
    record = Loan.history.get()
    assert record.history_user.username == SYSTEM_USERNAME
    assert not record.history_user.is_active
    assert not record.history_user.has_usable_password()


def test_history_names_the_user_of_the_admin_import_page(client, make_user):
    # given a staff user allowed to import
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(codename="import_loans"), Permission.objects.get(codename="view_loan")
    )
    client.force_login(clerk)
    upload = SimpleUploadedFile("loans.csv", f"{HEADER}\n{FIRST}\n".encode(), content_type="text/csv")
    # when
    response = client.post(reverse("admin:loanregister_loan_import"), {"file": upload})
    # then
    assert response.status_code == 200
    assert Loan.history.get().history_user == clerk
    assert Borrower.history.get().history_user == clerk
