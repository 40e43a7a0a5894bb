"""Reads of the loan book for the pages (the writes are in services.py)."""

import datetime

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from common.models import ImportRun, JobRun

from . import register_cache
from .choices import LoanStatus
from .models import Loan


def active_loans_count() -> int:
    """How many loans are active: a count over the whole book, cached under the register's version.

    Every write that changes a loan's status syncs its register events, which bumps the version, so a cached count
    is never read after such a write; `register_cache.TIMEOUT` bounds what bypasses the sync.
    """
    key = f"active-loans:{register_cache.current_version()}"
    count = cache.get(key)
    if count is None:
        count = Loan.objects.filter(status=LoanStatus.ACTIVE).count()
        cache.set(key, count, register_cache.TIMEOUT)
    return count


def home_summary(*, user) -> dict:
    """The first figures a person sees after signing in: their book and last night's work."""
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=90)
    summary: dict = {"today": today}
    if user.has_perm("loanregister.view_loan"):
        # one query over the officer's own loans (the officer index), not over the book
        mine = Loan.objects.filter(officer=user, status=LoanStatus.ACTIVE).aggregate(
            my_loans=Count("id"),
            my_maturing_90=Count("id", filter=Q(maturity_date__gte=today, maturity_date__lte=horizon)),
        )
        summary.update(mine)
        summary["active_loans"] = active_loans_count()
    if user.is_staff:
        summary["last_jobs"] = list(JobRun.objects.all()[:10])
        summary["last_imports"] = list(ImportRun.objects.all()[:10])
    return summary
