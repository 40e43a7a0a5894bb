"""Issue 11 item 7: loans in collections are flagged in the register, with their days past due as a column and an
in-collections filter (the loan's collections state, DESIGN.md section 5, kept by the collections job)."""

import datetime

import pytest
from django.urls import reverse

from loanregister.services import register_events_sync
from servicing.collections.reminders import collection_reminders_run

from .collections_support import billed_loan, reference_data

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture
def book(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reference_data()
    behind = billed_loan(
        "C7-BEHIND", TODAY - datetime.timedelta(days=33), maturity_date=TODAY + datetime.timedelta(days=40)
    )
    fine = billed_loan("C7-FINE", maturity_date=TODAY + datetime.timedelta(days=50))
    register_events_sync(loan_ids=[behind.pk, fine.pk])
    collection_reminders_run(business_date=TODAY, deliver=False)
    return behind, fine


def _page(client, make_user, **params):
    client.force_login(make_user("retention", "retention_team"))
    window = {"date_from": str(TODAY), "date_to": str(TODAY + datetime.timedelta(days=365))}
    return client.get(reverse("loanregister:register"), {**window, **params})


def test_reg1_the_register_shows_days_past_due_and_flags_a_loan_in_collections(client, make_user, book):
    page = _page(client, make_user)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Days past due" in html or "Dage i restance" in html
    behind_row = next(line for line in html.splitlines() if 'data-loan="C7-BEHIND"' in line)
    fine_row = next(line for line in html.splitlines() if 'data-loan="C7-FINE"' in line)
    assert "data-in-collections" in behind_row and '<td class="num days-past-due">33</td>' in behind_row
    assert "data-in-collections" not in fine_row and "in-collections" not in fine_row


@pytest.mark.parametrize(
    "value, shown", [("true", ["C7-BEHIND"]), ("false", ["C7-FINE"]), ("", ["C7-BEHIND", "C7-FINE"])]
)
def test_reg1_the_register_filters_loans_in_collections(client, make_user, book, value, shown):
    html = _page(client, make_user, in_collections=value).content.decode()
    listed = [number for number in ("C7-BEHIND", "C7-FINE") if f'data-loan="{number}"' in html]
    assert listed == shown


def test_reg1_the_in_collections_filter_refuses_nonsense_without_a_500(client, make_user, book):
    assert _page(client, make_user, in_collections="perhaps").status_code in (200, 400)
