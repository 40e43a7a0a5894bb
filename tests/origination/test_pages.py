"""The origination pages never answer 500: random text in the pipeline's filters and the forms gets a page saying
what is wrong; an action's address opened with GET goes to the application; another office's is not found."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from origination.models import Application

from . import support

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
    "%",
    "received",
]
TEXT = st.one_of(st.sampled_from(NEAR_MISSES), st.text(max_size=40))
ACTIONS = [
    "documents-request",
    "document-upload",
    "complete",
    "underwriting",
    "recommend",
    "decide",
    "terms",
    "fund",
    "withdraw",
    "message",
]


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(state=TEXT, office=TEXT)
def test_the_pipeline_answers_any_filter_with_a_page(lpo, client, state, office):
    client.force_login(lpo["underwriter"])
    response = client.get(reverse("origination:pipeline"), {"state": state, "office": office})
    assert response.status_code == 200


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.fixed_dictionaries(
        {
            name: TEXT
            for name in [
                "product",
                "national_id_1",
                "income_1",
                "requested_amount",
                "term_months",
                "property_valuation",
                "credit_score",
                "national_id_2",
            ]
        }
    )
)
def test_the_intake_form_says_what_is_wrong_with_any_input(lpo, client, fields):
    client.force_login(lpo["processor"])
    before = Application.objects.count()
    response = client.post(reverse("origination:application-new"), {"office": "LPO", "name_1": "A", **fields})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert Application.objects.count() == before
        assert 'class="error"' in response.content.decode()


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(action=st.sampled_from(ACTIONS), value=TEXT)
def test_every_action_answers_any_input_with_a_message_not_a_500(lpo, client, action, value):
    application = Application.objects.first() or support.new_application(
        lpo["processor"], lpo["offices"]["LPO"]
    )
    client.force_login(lpo["underwriter"])
    data = {
        key: value
        for key in [
            "reason",
            "reasons",
            "decision",
            "recommendation",
            "amount",
            "interest_rate",
            "term_months",
            "bond_price",
            "applicant",
            "channel",
            "direction",
            "note",
            "item",
        ]
    }
    response = client.post(reverse(f"origination:{action}", args=[application.number]), data)
    assert response.status_code == 302


def test_an_actions_address_opened_with_get_goes_to_the_application(lpo, client):
    application = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    client.force_login(lpo["processor"])
    page = reverse("origination:application", args=[application.number])
    for action in ACTIONS:
        response = client.get(reverse(f"origination:{action}", args=[application.number]))
        assert (response.status_code, response["Location"]) == (302, page), action
    response = client.get(reverse("origination:document-check", args=[application.number, 1]))
    assert response["Location"] == page


def test_pages_say_when_an_application_is_not_there_or_not_yours(lpo, client):
    mine = support.new_application(lpo["lender"], lpo["offices"]["BR"])
    client.force_login(lpo["processor"])
    assert client.get(reverse("origination:application", args=["A999999"])).status_code == 404
    assert client.get(reverse("origination:application", args=[mine.number])).status_code == 404
    assert client.post(reverse("origination:fund", args=[mine.number])).status_code == 404


def test_the_application_page_shows_each_role_its_next_step_and_masks_the_cpr(lpo, client):
    application = support.walk(
        support.new_application(lpo["processor"], lpo["offices"]["LPO"]),
        "underwriting_checked",
        processor=lpo["processor"],
        manager=None,
        decider=None,
    )
    url = reverse("origination:application", args=[application.number])
    client.force_login(lpo["processor"])
    page = client.get(url).content.decode()
    assert "010170-****" in page and "010170-1234" not in page  # the LPO processor has no CPR permission
    assert reverse("origination:recommend", args=[application.number]) not in page
    client.force_login(lpo["manager"])
    assert reverse("origination:recommend", args=[application.number]) in client.get(url).content.decode()
    client.force_login(lpo["underwriter"])
    page = client.get(url).content.decode()
    assert "010170-1234" in page  # the underwriter sees it
    assert "Loan-to-value" in page and "80.00" in page


def test_other_methods_get_the_405_page(lpo, client):
    application = support.new_application(lpo["processor"], lpo["offices"]["LPO"])
    client.force_login(lpo["processor"])
    for url in (
        reverse("origination:pipeline"),
        reverse("origination:application-new"),
        reverse("origination:application", args=[application.number]),
        reverse("origination:fund", args=[application.number]),
    ):
        assert client.put(url).status_code == 405, url
