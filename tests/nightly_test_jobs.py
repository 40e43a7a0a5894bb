"""Small nightly jobs for tests of the scheduler (`override_settings(NIGHTLY_JOBS=...)` points here).

They run through common.jobs.job_run like the real ones, and count their bodies' runs in CALLS.
"""

import datetime

from common.jobs import job_run

CALLS: list[tuple[str, datetime.date]] = []
FAIL: set[str] = set()


def _body(job: str):
    def body(business_date: datetime.date) -> dict:
        CALLS.append((job, business_date))
        if job in FAIL:
            raise RuntimeError(f"{job} failed on purpose")
        return {"loans": 3}

    return body


def _run(job: str, business_date: str) -> dict | None:
    run = job_run(job=job, business_date=datetime.date.fromisoformat(business_date), body=_body(job))
    return run.result if run else None


def early_job(*, business_date: str) -> dict | None:
    return _run("test_early", business_date)


def late_job(*, business_date: str) -> dict | None:
    return _run("test_late", business_date)


def flaky_job(*, business_date: str) -> dict | None:
    return _run("test_flaky", business_date)


def monthly_job(*, business_date: str) -> dict | None:
    return _run("test_monthly", business_date)
