"""Next to the export buttons, the register says what the exports leave out (issue 8, item 10; REG-2): the
borrowers marked do-not-contact in the filtered list, with their count, in one query."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
WIDE = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
PAGE_URL = reverse("loanregister:register")
EXPORT_URL = reverse("loanregister:export")


@pytest.fixture
def book():
    """Five events: two do-not-contact borrowers own three of them (one has a rate reset and a maturity)."""
    quiet = make.borrower("Ærø Østergård", do_not_contact=True)
    make.loan(
        "L-1",
        maturity_date=D(2030, 1, 1),
        rate_reset_date=D(2027, 1, 1),
        loan_type="adjustable",
        borrower=quiet,
    )
    make.loan("L-2", maturity_date=D(2030, 2, 1), borrower=make.borrower("Holm", do_not_contact=True))
    make.loan("L-3", maturity_date=D(2030, 3, 1))
    make.loan("L-4", maturity_date=D(2030, 4, 1))


@pytest.fixture
def retention(client):
    client.force_login(make.user("retention", "retention_team"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _note(html: str) -> tuple[dict[str, str], str]:
    found = re.search(r'<p id="export-leaves-out"([^>]*)>(.*?)</p>', html, re.S)
    assert found, "no note next to the export buttons"
    data = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))
    return data, re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(2)))).strip()


def _counting(queries) -> list[str]:
    """The queries that narrow to do-not-contact borrowers (loading a page's borrowers reads the column too): by the
    borrower's mark, or by its copy on the register events (issue 9)."""
    marks = (
        '"loanregister_borrower"."do_not_contact"',
        '"loanregister_registerevent"."borrower_do_not_contact"',
    )
    return [q["sql"] for q in queries if any(mark in q["sql"].partition("WHERE")[2] for mark in marks)]


def _export_rows(client, query: dict) -> list[dict]:
    response = client.get(EXPORT_URL, {**query, "format": "csv"})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def test_reg2_export_buttons_say_how_many_do_not_contact_borrowers_the_export_leaves_out(retention, book):
    html = retention.get(PAGE_URL, WIDE).content.decode()
    data, text = _note(html)
    assert data == {"do-not-contact-borrowers": "2", "do-not-contact-events": "3", "included": "false"}
    assert "The exports leave out 2 borrowers marked do-not-contact. That is 3 rows of this list." in text
    assert "tick “Exports include do-not-contact borrowers”" in text
    # the note stands beside the buttons
    exports = re.search(r'<nav class="exports no-print".*?</nav>', html, re.S).group(0)
    assert 'id="export-csv"' in exports and 'id="export-leaves-out"' in exports
    # and it is what the export leaves out
    assert len(_export_rows(retention, WIDE)) == 5 - 3
    assert len(_export_rows(retention, {**WIDE, "include_do_not_contact": "on"})) == 5


def test_reg2_the_count_follows_the_filter(retention, book):
    data, text = _note(retention.get(PAGE_URL, {**WIDE, "kind": "maturity"}).content.decode())
    assert (data["do-not-contact-borrowers"], data["do-not-contact-events"]) == ("2", "2")
    data, text = _note(retention.get(PAGE_URL, {**WIDE, "q": "L-1", "kind": "rate_reset"}).content.decode())
    assert "leave out 1 borrower marked do-not-contact. That is 1 row of this list." in text
    data, text = _note(retention.get(PAGE_URL, {**WIDE, "q": "L-3"}).content.decode())
    assert data["do-not-contact-borrowers"] == "0"
    assert text == "No borrower in this list is marked do-not-contact: the exports hold the whole list."


def test_reg2_when_asked_to_include_them_the_note_says_they_are_included(retention, book):
    html = retention.get(PAGE_URL, {**WIDE, "include_do_not_contact": "on"}).content.decode()
    data, text = _note(html)
    assert data["included"] == "true"
    assert text == "The exports include 2 borrowers marked do-not-contact, as asked in the filter."
    assert "include_do_not_contact=on" in re.search(r'id="export-csv"[^>]*href="([^"]+)"', html).group(1)


def test_reg2_the_count_is_one_query(retention, book):
    with CaptureQueriesContext(connection) as captured:
        retention.get(PAGE_URL, WIDE)
    counting = _counting(captured.captured_queries)
    assert len(counting) == 1
    assert "COUNT(DISTINCT" in counting[0].upper()


def test_reg2_no_note_and_no_query_for_those_who_cannot_export(client, book):
    client.force_login(make.user("officer", "loan_officer"))
    with CaptureQueriesContext(connection) as captured:
        html = client.get(PAGE_URL, WIDE).content.decode()
    assert 'id="export-leaves-out"' not in html
    assert not _counting(captured.captured_queries)
