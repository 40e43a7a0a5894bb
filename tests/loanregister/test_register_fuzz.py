"""Random text in every filter of the register page and of its export never gives a 500 (issue 8, acceptance):
the page answers 200 (listing nothing and saying why when a value is refused), the export 200 with a whole file
or 400 with a page saying what is wrong.

Bounded (`max_examples`) so that this file takes well under a minute; no example database is written.
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
PAGE_URL = reverse("loanregister:register")
EXPORT_URL = reverse("loanregister:export")

FILTERS = [
    "date_from",
    "date_to",
    "kind",
    "loan_type",
    "office",
    "officer",
    "mine",
    "servicer",
    "currency",
    "balance_min",
    "balance_max",
    "recourse",
    "status",
    "q",
]
# not filters, but read from the same query: the pager's cursors, the ladder's mode, the export's options
OPTIONS = ["after", "before", "ladder", "include_do_not_contact"]
EXPORT_OPTIONS = ["format", "dialect"]

# Values close to what the filters read, so that random text reaches the code behind the first check too.
NEAR_MISSES = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "NaN",
    "-Infinity",
    "12,50",
    "1.250",
    "1,234,567.89",
    "9" * 17,
    "9" * 30,
    "2026-02-30",
    "01.03.2026",
    "31.12.9999",
    "0001-01-01",
    "9999-12-31",
    "2030-01-01_1",
    "2030-01-01_" + "9" * 25,
    "maturity",
    "adjustable",
    "active",
    "true",
    "on",
    "balance",
    "xlsx",
    "excel_da",
    "DKK",
    "<script>",
    "loan",
    "louise.holm",
    "Louise Holm",
    "%",
    "_",
    "\\",
    "'; DROP TABLE x; --",
    "\x00",
    "a\x00b",
]

text = st.one_of(
    st.sampled_from(NEAR_MISSES),
    st.text(max_size=40),  # any unicode (no lone surrogates: a browser cannot send them), NUL included
    st.text(alphabet=st.characters(codec="ascii"), max_size=40),
    st.text(alphabet="0123456789.,- eE", max_size=30),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(min_value=200, max_value=6000)),  # very long
)
value = st.one_of(text, st.lists(text, min_size=2, max_size=3))  # a key may be repeated in a query


def queries(keys: list[str]):
    return st.dictionaries(st.sampled_from(keys), value, min_size=1, max_size=5)


FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,  # a request's time depends on the database server's load, not on the example
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_client(client):
    """A signed-in user who may see and export the register, on a small book with an officer and a
    do-not-contact borrower, in the English UI."""
    officer = make.user("louise.holm", "loan_officer", first_name="Louise", last_name="Holm")
    make.office("AAR")
    make.loan("L-1", maturity_date=D(2030, 3, 10), officer=officer, outstanding_balance=Decimal("12.50"))
    make.loan(
        "L-2",
        maturity_date=D(2027, 1, 10),
        currency="EUR",
        borrower=make.borrower("Holm Ejendomme", do_not_contact=True),
    )
    client.force_login(make.user("retention", "retention_team"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@FUZZ
@given(query=queries(FILTERS + OPTIONS))
def test_reg1_random_filter_values_never_break_the_register_page(fuzz_client, query):
    response = fuzz_client.get(PAGE_URL, query)
    assert response.status_code == 200, query
    html = response.content.decode()
    # a refused value says why; an accepted filter shows its list or says it is empty
    assert 'id="register-table"' in html or 'id="register-empty"' in html


@FUZZ
@given(query=queries(FILTERS + OPTIONS + EXPORT_OPTIONS))
def test_reg2_random_filter_values_never_break_the_export(fuzz_client, query):
    response = fuzz_client.get(EXPORT_URL, query)
    assert response.status_code in (200, 400), query
    if response.status_code == 200:
        assert b"".join(response.streaming_content)  # the whole file streams (a header row at least)
    else:
        assert 'id="export-problems"' in response.content.decode()
