import datetime

from django.db.models import Count
from django.utils import timezone

from common.models import ImportRun, JobRun

from .choices import LoanStatus
from .models import Loan


def home_summary(*, user) -> dict:
    """The first figures a person sees after signing in: their book and last night's work."""
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=90)
    summary: dict = {"today": today}
    if user.has_perm("loanregister.view_loan"):
        mine = Loan.objects.filter(officer=user, status=LoanStatus.ACTIVE)
        summary["my_loans"] = mine.count()
        summary["my_maturing_90"] = mine.filter(maturity_date__gte=today, maturity_date__lte=horizon).count()
        summary["active_loans"] = Loan.objects.filter(status=LoanStatus.ACTIVE).count()
        summary["by_status"] = list(Loan.objects.values("status").annotate(n=Count("id")).order_by("status"))
    if user.is_staff:
        summary["last_jobs"] = list(JobRun.objects.all()[:10])
        summary["last_imports"] = list(ImportRun.objects.all()[:10])
    return summary
