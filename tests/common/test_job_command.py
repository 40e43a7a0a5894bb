"""`NightlyJobCommand` (common/job_command.py): --date is the business date, --force runs a done date again, one line
of counts, and a run that failed in part exits 1."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.job_command import NightlyJobCommand, business_date_parse
from common.jobs import job_run

DAY = datetime.date(2026, 11, 23)


class Command(NightlyJobCommand):
    label = "test job"
    bodies: list[datetime.date] = []
    failed = 0

    def run(self, *, business_date, force, **options):
        def body(day):
            Command.bodies.append(day)
            return {"created": 2, "failed": Command.failed}

        return job_run(job="test_job_command", business_date=business_date, body=body, force=force)


def _call(*args: str) -> str:
    out = StringIO()
    call_command(Command(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def fresh():
    Command.bodies, Command.failed = [], 0


@pytest.mark.django_db
def test_it_runs_once_per_business_date_and_prints_the_counts():
    first = _call("--date", DAY.isoformat())
    assert first.startswith("test job for 2026-11-23: ") and "2 created" in first and "0 failed" in first
    assert _call("--date", DAY.isoformat()) == "test job for 2026-11-23: already done\n"
    assert "2 created" in _call("--date", DAY.isoformat(), "--force")
    assert Command.bodies == [DAY, DAY]


@pytest.mark.django_db
def test_a_run_that_failed_in_part_exits_1():
    Command.failed = 3
    with pytest.raises(CommandError, match="3 item"):
        _call("--date", DAY.isoformat())


def test_the_business_date_is_today_by_default_and_a_bad_one_is_refused():
    from django.utils import timezone

    assert business_date_parse(None) == timezone.localdate()
    assert business_date_parse("2026-11-23") == DAY
    with pytest.raises(CommandError, match="--date: not a date YYYY-MM-DD: 2026-02-30"):
        business_date_parse("2026-02-30")
