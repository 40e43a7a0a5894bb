"""The operations page (issue 10, item 5): each nightly job's schedule and last runs, and the outbox's backlog, for
operators and admins; starting a job through the outbox; no 500 on any query string."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common import outbox
from common.models import JobRun, OutboxMessage
from common.operations import nightly_job_request
from common.schedule import nightly_schedule_sync
from tests import nightly_test_jobs

pytestmark = pytest.mark.django_db

URL = reverse("common:operations")
RUN_URL = reverse("common:operations-run")
DAY = datetime.date(2026, 11, 23)
JOBS = {
    "early": ("tests.nightly_test_jobs.early_job", 1, 30),
    "monthly": ("tests.nightly_test_jobs.monthly_job", 4, 0, "monthly"),
}


@pytest.fixture
def jobs(settings):
    settings.NIGHTLY_JOBS = JOBS
    nightly_schedule_sync()
    nightly_test_jobs.CALLS.clear()
    yield
    nightly_test_jobs.CALLS.clear()


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_only_operators_and_admins_see_the_page_and_its_navigation_entry(make_user):
    admin = make_user("ada", "admin")
    officer = make_user("olga", "loan_officer")
    home = reverse("home")
    assert _client(admin).get(URL).status_code == 200
    assert URL in _client(admin).get(home).content.decode()
    assert _client(officer).get(URL).status_code == 403
    assert URL not in _client(officer).get(home).content.decode()
    assert Client().get(URL).status_code == 302  # to the sign-in page


def test_the_page_shows_each_jobs_last_runs_next_run_and_the_outbox_backlog(make_user, jobs):
    # given a job that ran twice (the last time it failed) and a monthly one that never ran
    JobRun.objects.create(job="early", business_date=DAY, state="done", result={"loans": 3})
    JobRun.objects.create(
        job="early",
        business_date=DAY + datetime.timedelta(days=1),
        state="failed",
        error="Traceback (most recent call last):\n  ...\nRuntimeError: the database went away\n",
    )
    # and messages in the outbox: two waiting, one failed, one delivered
    outbox.enqueue("letter", {}, key="letter:1")
    outbox.enqueue("letter", {}, key="letter:2")
    OutboxMessage.objects.create(kind="letter", key="letter:3", state="failed", attempts=10)
    OutboxMessage.objects.create(kind="sms", key="sms:1", state="sent", sent_at=timezone.now())
    # when an admin opens the page
    html = _client(make_user("ada", "admin")).get(URL).content.decode()
    # then the failed run is the last one, with its error's last line, and the earlier one with its counts
    assert "RuntimeError: the database went away" in html
    assert "loans 3" in html
    assert "Not run yet." in html  # the monthly job
    assert "monthly, first bank day" in html
    # the jobs in the order of their times, each with a next run
    assert _page_jobs(html)[:2] == ["early", "monthly"]
    assert html.count('<td class="next-run"><time datetime=') == 2
    # the outbox: letters 2 waiting, 1 failed; sms nothing waiting (its one message is delivered)
    assert 'data-kind="letter"' in html and 'data-kind="sms"' not in html
    assert '<td class="num" data-state="pending">2</td>' in html
    assert "1 message delivered in the last 24 hours." in html


def _page_jobs(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-job="([^"]+)">', html)


def test_a_job_switched_off_in_the_admin_says_so_and_has_no_next_run(make_user, jobs):
    PeriodicTask.objects.filter(name="early").update(enabled=False)
    from common.operations import operations_page

    page = operations_page()
    early = next(job for job in page.jobs if job.name == "early")
    assert early.next_run is None and not early.scheduled.enabled
    assert "switched off" in _client(make_user("ada", "admin")).get(URL).content.decode()


def test_the_next_run_of_a_monthly_job_is_the_next_months_first_bank_day(jobs):
    from common.schedule import scheduled_jobs

    monthly = next(job for job in scheduled_jobs() if job.name == "monthly")
    now = timezone.make_aware(datetime.datetime(2026, 12, 20, 12, 0))
    # 1 January 2027 is a holiday, 2-3 January a weekend: the first bank day is Monday 4 January
    assert monthly.next_run(now) == timezone.make_aware(datetime.datetime(2027, 1, 4, 4, 0))


def test_starting_a_job_goes_through_the_outbox_and_runs_it_once(
    make_user, jobs, django_capture_on_commit_callbacks
):
    admin = make_user("ada", "admin")
    # when an admin starts the early job for a date (the embedded default: the task runs in-process, after commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(admin).post(RUN_URL, {"job": "early", "date": DAY.isoformat()})
    # then the page answers with a redirect, the job ran for that date, and the message is delivered
    assert response.status_code == 302 and response["Location"] == URL
    assert nightly_test_jobs.CALLS == [("test_early", DAY)]
    [message] = OutboxMessage.objects.filter(key__startswith=f"run_job:early:{DAY.isoformat()}:")
    assert message.state == "sent"
    assert message.payload["task"] == "tests.nightly_test_jobs.early_job"
    assert message.payload["kwargs"] == {"business_date": DAY.isoformat()}


def test_a_second_start_while_the_first_waits_is_not_queued_twice(make_user, jobs):
    admin = make_user("ada", "admin")
    # (in this test's transaction nothing commits, so the first message stays waiting)
    assert nightly_job_request(user=admin, job="early", business_date=DAY) is True
    assert nightly_job_request(user=admin, job="early", business_date=DAY) is False
    assert (
        nightly_job_request(user=admin, job="early", business_date=DAY + datetime.timedelta(days=1)) is True
    )
    assert OutboxMessage.objects.filter(key__startswith="run_job:early:").count() == 2


def test_starting_a_job_needs_the_permission_and_a_post_and_a_known_job(make_user, jobs):
    officer = make_user("olga", "loan_officer")
    assert _client(officer).post(RUN_URL, {"job": "early"}).status_code == 403
    admin = _client(make_user("ada", "admin"))
    assert admin.get(RUN_URL).status_code == 302  # a GET goes to the page
    response = admin.post(RUN_URL, {"job": "no_such_job", "date": "2026-02-30"}, follow=True)
    assert response.status_code == 200
    assert not OutboxMessage.objects.exists()
    assert "Select a valid choice" in response.content.decode()


QUERY_VALUES = st.one_of(
    st.sampled_from(
        ["", "0", "-1", "61", "1e9", "early", "monthly", "x" * 300, "NaN", "\x00", "%", "2026-02-30"]
    ),
    st.text(max_size=30),
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.dictionaries(st.sampled_from(["job", "runs", "page", "o"]), QUERY_VALUES, max_size=3))
def test_no_query_string_gives_a_500(admin_client, params):
    assert admin_client.get(URL, params).status_code == 200
