"""Nightly jobs run once per business date (docs/requirements.md §4: re-run and resumed without duplicates).

`job_run` keeps one JobRun row per job and date; `manage.py run_scheduler` is the embedded default's beat.
"""

import datetime
import threading
import time
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from common.jobs import STALE_AFTER, job_run, resolve
from common.models import JobRun
from tests import nightly_test_jobs

DAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fresh_counters():
    nightly_test_jobs.CALLS.clear()
    nightly_test_jobs.FAIL.clear()
    yield
    nightly_test_jobs.CALLS.clear()
    nightly_test_jobs.FAIL.clear()


class Body:
    def __init__(self, fail: bool = False, pause: float = 0.0):
        self.calls, self.fail, self.pause = 0, fail, pause

    def __call__(self, business_date: datetime.date) -> dict:
        self.calls += 1
        time.sleep(self.pause)
        if self.fail:
            raise RuntimeError("the database went away")
        return {"leads": 5}


# -- job_run ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_run_for_the_same_date_is_a_no_op():
    # given a job that ran for a date
    body = Body()
    first = job_run(job="radar", business_date=DAY, body=body)
    # when it is run again for that date
    second = job_run(job="radar", business_date=DAY, body=body)
    # then the body ran once, and one done run is recorded with its result
    assert body.calls == 1
    assert second is None
    assert first.state == JobRun.State.DONE and first.result == {"leads": 5}
    assert JobRun.objects.filter(job="radar").count() == 1
    # and another date is another run
    assert job_run(job="radar", business_date=DAY + datetime.timedelta(days=1), body=body) is not None
    assert body.calls == 2


@pytest.mark.django_db
def test_a_failed_run_is_recorded_and_the_next_run_does_it_again():
    # given a run that failed
    with pytest.raises(RuntimeError):
        job_run(job="radar", business_date=DAY, body=Body(fail=True))
    failed = JobRun.objects.get(job="radar", business_date=DAY)
    assert failed.state == JobRun.State.FAILED
    assert "the database went away" in failed.error
    # when it is run again
    body = Body()
    run = job_run(job="radar", business_date=DAY, body=body)
    # then it runs, succeeds, and the same row says so
    assert body.calls == 1
    assert run.pk == failed.pk and run.state == JobRun.State.DONE and run.error == ""
    # and a third run is a no-op
    assert job_run(job="radar", business_date=DAY, body=body) is None
    assert body.calls == 1


@pytest.mark.django_db
def test_force_runs_a_done_job_again():
    body = Body()
    job_run(job="radar", business_date=DAY, body=body)
    run = job_run(job="radar", business_date=DAY, body=body, force=True)
    assert body.calls == 2
    assert run.state == JobRun.State.DONE
    assert JobRun.objects.filter(job="radar").count() == 1


@pytest.mark.django_db
def test_a_running_job_is_left_alone_until_it_is_stale():
    # given a run that started a minute ago and has not finished (another worker is on it)
    JobRun.objects.create(job="radar", business_date=DAY)
    body = Body()
    # then a second caller does not run it
    assert job_run(job="radar", business_date=DAY, body=body) is None
    assert body.calls == 0
    # given the run's worker died hours ago (the row is stale)
    JobRun.objects.filter(job="radar").update(started_at=timezone.now() - STALE_AFTER - datetime.timedelta(1))
    # then the next caller resumes it
    assert job_run(job="radar", business_date=DAY, body=body).state == JobRun.State.DONE
    assert body.calls == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_starting_the_same_job_at_once_run_it_once():
    # given two workers that start the same job for the same date at the same moment
    body = Body(pause=0.5)
    results, start = [], threading.Barrier(2)

    def worker():
        try:
            start.wait()
            results.append(job_run(job="radar", business_date=DAY, body=body))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then the body ran once; one caller got the run, the other nothing
    assert body.calls == 1
    assert sorted(result is None for result in results) == [False, True]


# -- run_scheduler ---------------------------------------------------------------------------------------------

TEST_JOBS = {
    "early": ("tests.nightly_test_jobs.early_job", 1, 30),
    "late": ("tests.nightly_test_jobs.late_job", 23, 0),
}


def _scheduler_at(hour: int, minute: int, jobs: dict, settings, day: datetime.date = DAY) -> tuple[str, str]:
    settings.NIGHTLY_JOBS = jobs
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    out, err = StringIO(), StringIO()
    with mock.patch("loanregister.management.commands.run_scheduler.timezone.localtime", return_value=now):
        call_command("run_scheduler", once=True, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_run_scheduler_once_runs_a_due_job_exactly_once(settings):
    # given a job due at 01:30 and one due at 23:00, at 02:00
    # when the scheduler checks twice (as it does every minute)
    out, _ = _scheduler_at(2, 0, TEST_JOBS, settings)
    _scheduler_at(2, 1, TEST_JOBS, settings)
    # then the due job ran once for the day and the other not at all
    assert nightly_test_jobs.CALLS == [("test_early", DAY)]
    assert "early: {'loans': 3}" in out
    assert list(JobRun.objects.values_list("job", "business_date", "state")) == [("test_early", DAY, "done")]
    # when its time comes, the late job runs too, and the early one still only once
    _scheduler_at(23, 5, TEST_JOBS, settings)
    assert nightly_test_jobs.CALLS == [("test_early", DAY), ("test_late", DAY)]


@pytest.mark.django_db
def test_run_scheduler_a_failing_job_does_not_stop_the_others_and_is_retried(settings):
    # given a failing job before another one
    jobs = {"flaky": ("tests.nightly_test_jobs.flaky_job", 1, 0), **TEST_JOBS}
    nightly_test_jobs.FAIL.add("test_flaky")
    # when the scheduler runs
    _out, err = _scheduler_at(2, 0, jobs, settings)
    # then the failure is reported and the next job still ran
    assert "flaky: failed: test_flaky failed on purpose" in err
    assert ("test_early", DAY) in nightly_test_jobs.CALLS
    assert JobRun.objects.get(job="test_flaky").state == JobRun.State.FAILED
    # when the cause is gone, the next check runs the failed job again, and only it
    nightly_test_jobs.FAIL.clear()
    nightly_test_jobs.CALLS.clear()
    _scheduler_at(2, 1, jobs, settings)
    assert nightly_test_jobs.CALLS == [("test_flaky", DAY)]
    assert JobRun.objects.get(job="test_flaky").state == JobRun.State.DONE


@pytest.mark.django_db
def test_run_scheduler_runs_a_monthly_job_on_the_months_first_bank_day_only(settings):
    # given a monthly job (the statistics' month close) beside a nightly one
    jobs = {**TEST_JOBS, "monthly": ("tests.nightly_test_jobs.monthly_job", 1, 0, "monthly")}
    # when the scheduler runs on 1 January 2027 (a bank holiday), 2-3 January (a weekend), 4 January (a Monday)
    # and 5 January
    for day in (1, 2, 3, 4, 5):
        _scheduler_at(2, 0, jobs, settings, day=datetime.date(2027, 1, day))
    # then the nightly job ran every day and the monthly one only on the first bank day, 4 January
    monthly = [date for job, date in nightly_test_jobs.CALLS if job == "test_monthly"]
    assert monthly == [datetime.date(2027, 1, 4)]
    assert len([job for job, _ in nightly_test_jobs.CALLS if job == "test_early"]) == 5


@pytest.mark.django_db
def test_run_scheduler_catching_up_runs_the_jobs_in_the_order_of_their_times(settings):
    # given jobs listed out of the order of their times, all due when the machine comes back at 08:00
    jobs = {
        "late": ("tests.nightly_test_jobs.late_job", 3, 0),
        "flaky": ("tests.nightly_test_jobs.flaky_job", 2, 0),
        "early": ("tests.nightly_test_jobs.early_job", 1, 30),
    }
    _scheduler_at(23, 30, jobs, settings)
    # then they ran in the order of their times (DESIGN.md section 5's order within a night)
    assert [job for job, _ in nightly_test_jobs.CALLS] == ["test_early", "test_flaky", "test_late"]


def test_nightly_jobs_are_the_beat_schedule():
    # Celery beat (full stack) and run_scheduler (embedded) run the same list, each entry expiring before the next
    from django.conf import settings

    assert set(settings.CELERY_BEAT_SCHEDULE) == set(settings.NIGHTLY_JOBS)
    for name, (task_path, hour, minute, *monthly) in settings.NIGHTLY_JOBS.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == task_path
        assert entry["schedule"].hour == {hour} and entry["schedule"].minute == {minute}
        assert monthly in ([], ["monthly"])
        days = set(range(1, 8)) if monthly else set(range(1, 32))
        assert entry["schedule"].day_of_month == days
        assert entry["options"]["expires"] < 24 * 3600
        # beat sends the task by name: the path must be a Celery task registered under that same name
        task = resolve(task_path)
        assert getattr(task, "name", None) == task_path, (
            f"{name}: {task_path} is not a Celery task of that name"
        )
