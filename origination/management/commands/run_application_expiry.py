"""`manage.py run_application_expiry [--date D] [--force]`: the nightly expiry of applications by hand."""

from common.job_command import NightlyJobCommand
from origination.tasks import application_expiry_run


class Command(NightlyJobCommand):
    help = "Expire the open applications without activity for their product's days (90 by default); once a night."
    label = "application expiry"

    def run(self, *, business_date, force, **options):
        return application_expiry_run(business_date=business_date, force=force)

    def summary(self, result: dict) -> str:
        return f"{result.get('expired', 0)} expired"
