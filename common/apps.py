from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    """The shared layer below the apps: file reading, bulk writes, nightly job runs, dates and bank days, money,
    exchange rates, the export log, the system user and the hooks the apps register with each other."""

    name = "common"
    verbose_name = _("Shared records")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import hooks, signin  # noqa: F401  (signin connects its receivers)
        from .schedule import nightly_schedule_sync_after_migrate

        # the nightly schedule's PeriodicTasks for new NIGHTLY_JOBS entries (never changing an admin's edits)
        post_migrate.connect(
            nightly_schedule_sync_after_migrate, sender=self, dispatch_uid="nightly_schedule_sync"
        )
        hooks.add_navigation(
            "common:operations",
            _("Operations"),
            "common.view_operations",
            order=90,
            description=_(
                "Last night's jobs, their schedule, and the outbox's messages waiting to be delivered."
            ),
        )
