"""The nightly schedule of DESIGN.md §5: monthly jobs run on the month's first bank day (common/bankdays.py)."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.bankdays import first_bank_day, is_first_bank_day
from common.schedule import nightly_jobs


@pytest.mark.parametrize(
    "year, month, first",
    [
        (2026, 11, datetime.date(2026, 11, 2)),  # 1 November 2026 is a Sunday
        (2026, 12, datetime.date(2026, 12, 1)),  # a Tuesday
        (2027, 1, datetime.date(2027, 1, 4)),  # New Year's Day a Friday, then a weekend
        (2027, 4, datetime.date(2027, 4, 1)),  # Easter 2027 is 28 March: 1 April is an ordinary Thursday
        (2027, 5, datetime.date(2027, 5, 3)),  # 1 May is a Saturday (and no bank holiday in any case)
        (2024, 4, datetime.date(2024, 4, 2)),  # Easter Monday 2024 is 1 April
    ],
)
def test_the_months_first_bank_day(year, month, first):
    assert first_bank_day(year, month) == first
    assert is_first_bank_day(first)
    assert not is_first_bank_day(first + datetime.timedelta(days=1))
    assert first.day <= 7  # what the monthly beat entry's day_of_month 1-7 relies on


def test_nightly_jobs_reads_monthly_and_refuses_a_bad_entry(settings):
    settings.NIGHTLY_JOBS = {
        "nightly": ("tests.nightly_test_jobs.early_job", 1, 30),
        "monthly": ("tests.nightly_test_jobs.monthly_job", 4, 0, "monthly"),
    }
    assert [(job.name, job.monthly, job.position) for job in nightly_jobs()] == [
        ("nightly", False, 0),
        ("monthly", True, 1),
    ]
    settings.NIGHTLY_JOBS = {"bad": ("tests.nightly_test_jobs.monthly_job", 4, 0, "weekly")}
    with pytest.raises(ImproperlyConfigured):
        nightly_jobs()
