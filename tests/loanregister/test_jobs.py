"""Nightly jobs run once per business date (docs/requirements.md §4: re-run and resumed without duplicates).

`job_run` keeps one JobRun row per job and date; `manage.py run_scheduler` is the embedded default's beat.
"""

import datetime
import threading
import time
from io import StringIO
from unittest import mock

import pytest
from celery.utils.imports import symbol_by_name
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from common.jobs import STALE_AFTER, job_run, resolve
from common.models import JobRun
from common.schedule import (
    OUTBOX_DISPATCH,
    NightlyEntry,
    NightlyScheduler,
    nightly_schedule_sync,
    scheduled_jobs,
)
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


# -- the schedule in the database (django-celery-beat), edited by an admin ----------------------------------------


def _periodic(name: str) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab").get(name=name)


@pytest.mark.django_db
def test_migrate_gives_every_nightly_job_its_periodic_task_at_its_default_time():
    # Celery beat (full stack) and run_scheduler (embedded) read these rows; migrate made them from NIGHTLY_JOBS
    from django.conf import settings

    for name, (task_path, hour, minute, *monthly) in settings.NIGHTLY_JOBS.items():
        periodic = _periodic(name)
        assert periodic.task == task_path and periodic.enabled
        assert (periodic.crontab.hour, periodic.crontab.minute) == (str(hour), str(minute))
        assert periodic.crontab.day_of_month == ("1-7" if monthly else "*")
        assert periodic.expire_seconds < 24 * 3600  # missed runs do not pile up
        # beat sends the task by name: the path must be a Celery task registered under that same name
        task = resolve(task_path)
        assert getattr(task, "name", None) == task_path, (
            f"{name}: {task_path} is not a Celery task of that name"
        )
    # and the outbox's dispatcher every minute
    dispatcher = _periodic(OUTBOX_DISPATCH)
    assert dispatcher.task == "common.tasks.dispatch_outbox" and dispatcher.interval.every == 60


@pytest.mark.django_db
def test_the_default_schedule_keeps_the_order_of_design_section_5():
    # servicing transfers, installments due, payment notices, collection reminders, escrow disbursements, maturity
    # radar, then digests (each job that exists; monthly jobs run on their own day)
    order = [
        "servicing_transfers",
        "installments_due",
        "payment_notices",
        "collection_reminders",
        "escrow_disbursements",
        "maturity_radar",
        "lead_digests",
    ]
    names = [s.name for s in scheduled_jobs() if s.name in order]
    assert names == [name for name in order if name in names]
    assert {"servicing_transfers", "maturity_radar", "lead_digests"} <= set(names)


@pytest.mark.django_db
def test_an_admins_edit_of_the_time_or_the_enabled_flag_changes_what_run_scheduler_runs(settings):
    # given the test jobs' PeriodicTasks (made by the scheduler's own sync at its first check, as migrate does)
    _scheduler_at(0, 0, TEST_JOBS, settings)
    assert nightly_test_jobs.CALLS == []
    # when an admin moves the early job from 01:30 to 04:00 and switches the late one off
    early = _periodic("early")
    early.crontab.hour, early.crontab.minute = "4", "0"
    early.crontab.save()
    PeriodicTask.objects.filter(name="late").update(enabled=False)
    # then at 02:00 nothing runs (the early job's old time has passed, its new one not yet)
    _scheduler_at(2, 0, TEST_JOBS, settings)
    assert nightly_test_jobs.CALLS == []
    # at 04:00 the early job runs; at 23:05 the late one still does not
    _scheduler_at(4, 0, TEST_JOBS, settings)
    _scheduler_at(23, 5, TEST_JOBS, settings)
    assert nightly_test_jobs.CALLS == [("test_early", DAY)]
    # and the next check did not put the admin's edits back
    assert (_periodic("early").crontab.hour, _periodic("late").enabled) == ("4", False)


@pytest.mark.django_db
def test_a_job_added_to_nightly_jobs_appears_after_migrate_and_edits_stay(settings):
    # given an admin's edit of an existing job
    PeriodicTask.objects.filter(name="maturity_radar").update(enabled=False)
    radar = _periodic("maturity_radar")
    radar.crontab.hour = "5"
    radar.crontab.save()
    # when a release adds a job to NIGHTLY_JOBS and migrate runs
    settings.NIGHTLY_JOBS = {
        **settings.NIGHTLY_JOBS,
        "test_monthly": ("tests.nightly_test_jobs.monthly_job", 4, 0, "monthly"),
    }
    call_command("migrate", verbosity=0)
    # then the new job has its PeriodicTask, monthly on days 1-7, and the edited one is as the admin left it
    added = _periodic("test_monthly")
    assert (added.task, added.enabled, added.crontab.hour, added.crontab.day_of_month) == (
        "tests.nightly_test_jobs.monthly_job",
        True,
        "4",
        "1-7",
    )
    radar = _periodic("maturity_radar")
    assert (radar.enabled, radar.crontab.hour) == (False, "5")


def test_beat_uses_the_database_scheduler():
    from django.conf import settings

    from config.celery import app

    scheduler = symbol_by_name(app.conf.beat_scheduler)
    assert scheduler is NightlyScheduler and issubclass(scheduler, DatabaseScheduler)
    assert settings.CELERY_BEAT_SCHEDULER == "common.schedule:NightlyScheduler"
    assert (
        not app.conf.beat_schedule
    )  # nothing in settings that would overwrite the admin's rows at beat's start


@pytest.mark.django_db
def test_beat_sends_a_monthly_job_on_the_months_first_bank_day_only(settings):
    # given a monthly job, last sent on 4 December 2026
    settings.NIGHTLY_JOBS = {"test_monthly": ("tests.nightly_test_jobs.monthly_job", 4, 0, "monthly")}
    nightly_schedule_sync()
    model = _periodic("test_monthly")
    model.last_run_at = timezone.make_aware(datetime.datetime(2026, 12, 4, 4, 0))

    def due_at(day: datetime.date) -> bool:
        entry = NightlyEntry(model)
        now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(4, 1)))
        entry.schedule.nowfun = lambda: now
        return entry.is_due().is_due

    # then beat sends it on 4 January 2027 (the first bank day) and not on 1-3 January (holiday, weekend)
    assert [day for day in range(1, 8) if due_at(datetime.date(2027, 1, day))] == [4]
