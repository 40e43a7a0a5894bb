"""Random text in the collections queue's filters and in every field of the case page's forms never gives a 500
(issue 11; the project's bad-input rule): the queue answers 200 or 400 saying what is wrong, a refused form 400 with
its errors, an accepted one a redirect. Bounded (`max_examples`); no example database is written beyond the case."""

import datetime

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from servicing.collections.reminders import collection_reminders_run
from servicing.models import CollectionCase

from .collections_support import billed_loan, reference_data

pytestmark = pytest.mark.django_db

NEAR_MISSES = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "NaN",
    "12,50",
    "1.250",
    "9" * 30,
    "2026-02-30",
    "<script>",
    "' OR 1=1",
    "\x00",
]
text = st.one_of(st.sampled_from(NEAR_MISSES), st.text(max_size=40))
FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def case_and_client(client, make_user):
    reference_data()
    due = datetime.date.today() - datetime.timedelta(days=20)
    billed_loan("C5-FUZZ", due)
    collection_reminders_run(business_date=datetime.date.today(), deliver=False)
    client.force_login(make_user("fuzz-manager", "collections_manager"))
    return CollectionCase.objects.get(loan__loan_number="C5-FUZZ"), client


@FUZZ
@given(scope=text, bucket=text, collector=text, page=text)
def test_the_queue_answers_any_filter(case_and_client, scope, bucket, collector, page):
    _case, client = case_and_client
    response = client.get(
        reverse("servicing:collections-queue"),
        {"scope": scope, "bucket": bucket, "collector": collector, "page": page},
    )
    assert response.status_code in (200, 400)


@FUZZ
@given(values=st.lists(text, min_size=7, max_size=7))
def test_the_contact_form_answers_any_input(case_and_client, values):
    case, client = case_and_client
    fields = ["channel", "direction", "outcome", "contacted_on", "note", "promise_amount", "promise_due_on"]
    response = client.post(
        reverse("servicing:collections-contact", args=[case.pk]), dict(zip(fields, values, strict=True))
    )
    assert response.status_code in (302, 400)


@FUZZ
@given(values=st.lists(text, min_size=10, max_size=10))
def test_the_hardship_form_answers_any_input(case_and_client, values):
    case, client = case_and_client
    fields = [
        "monthly_income",
        "monthly_expenses",
        "cause",
        "expected_months",
        "note",
        "kind",
        "starts_on",
        "months",
        "payment",
        "extra_months",
    ]
    response = client.post(
        reverse("servicing:collections-hardship", args=[case.pk]), dict(zip(fields, values, strict=True))
    )
    assert response.status_code in (302, 400)


@FUZZ
@given(action=text, on=text, collector=text, path=text)
def test_the_other_forms_answer_any_input(case_and_client, action, on, collector, path):
    case, client = case_and_client
    next_action = client.post(
        reverse("servicing:collections-next", args=[case.pk]), {"next_action": action, "next_action_on": on}
    )
    assign = client.post(reverse("servicing:collections-assign", args=[case.pk]), {"collector": collector})
    assert next_action.status_code in (302, 400) and assign.status_code in (302, 400)
