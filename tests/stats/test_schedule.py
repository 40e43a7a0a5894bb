"""The monthly close is in the nightly schedule (issue 13 item 4; DESIGN.md §5: monthly jobs on the first bank day)."""

import datetime

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_monthly_close_is_a_monthly_job_of_the_nightly_schedule():
    task, hour, minute, *rest = settings.NIGHTLY_JOBS["lending_stats_close"]
    assert (task, rest) == ("stats.tasks.close_month_task", ["monthly"])
    # after the night's servicing jobs, the radar and the digests (DESIGN.md section 5's order), listed before it
    names = list(settings.NIGHTLY_JOBS)
    before = names[: names.index("lending_stats_close")]
    assert {"installments_due", "payment_notices", "maturity_radar", "lead_digests"} <= set(before)
    assert (hour, minute) > max(tuple(settings.NIGHTLY_JOBS[name][1:3]) for name in before)
    # the schedule in the database has it, on the month's first bank day only (common.schedule)
    from django_celery_beat.models import PeriodicTask

    from common.schedule import nightly_jobs, nightly_schedule_sync

    nightly_schedule_sync()
    periodic = PeriodicTask.objects.get(name="lending_stats_close")
    assert periodic.task == task and periodic.crontab.day_of_month == "1-7"
    (job,) = [job for job in nightly_jobs() if job.name == "lending_stats_close"]
    assert job.runs_on(datetime.date(2026, 6, 1)) and not job.runs_on(datetime.date(2026, 6, 2))
    assert job.runs_on(datetime.date(2027, 1, 4)) and not job.runs_on(datetime.date(2027, 1, 1))
