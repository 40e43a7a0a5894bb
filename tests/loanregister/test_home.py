"""The home page's figures: the officer's own book, and the active loans counted once per register version."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loanregister.choices import LoanStatus
from loanregister.selectors import home_summary
from loanregister.services import loan_status_set

from . import register_support as make

pytestmark = pytest.mark.django_db


def _book_counts(queries) -> list[str]:
    """The statements that count the whole loan book (no officer filter)."""
    return [q["sql"] for q in queries if "COUNT" in q["sql"].upper() and "officer_id" not in q["sql"]]


def test_home_shows_my_loans_my_maturities_and_the_active_book(make_user, client):
    # given an officer with two active loans, one maturing within 90 days, one paid off, and someone else's
    officer = make_user("officer", "loan_officer")
    soon = timezone.localdate() + datetime.timedelta(days=30)
    make.loan(officer=officer, maturity_date=soon)
    make.loan(officer=officer)
    make.loan(officer=officer, status=LoanStatus.PAID_OFF)
    make.loan()
    # when the officer signs in
    client.force_login(officer)
    response = client.get(reverse("home"))
    # then the figures count active loans only
    summary = response.context["summary"]
    assert (summary["my_loans"], summary["my_maturing_90"], summary["active_loans"]) == (2, 1, 3)
    assert "by_status" not in summary


def test_the_active_book_is_counted_once_until_the_register_changes(make_user):
    # given a book and its count on one home page
    officer = make_user("officer", "loan_officer")
    loan = make.loan(officer=officer)
    make.loan()
    assert home_summary(user=officer)["active_loans"] == 2
    # when the home page is shown again, nothing changed
    with CaptureQueriesContext(connection) as queries:
        assert home_summary(user=officer)["active_loans"] == 2
    # then the book is not counted again
    assert _book_counts(queries.captured_queries) == []
    # and when a loan is paid off (its one status service syncs the register), the next home page counts again
    loan_status_set(loan=loan, status=LoanStatus.PAID_OFF, reason="paid off")
    assert home_summary(user=officer)["active_loans"] == 1
