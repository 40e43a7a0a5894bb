from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    """The shared layer below the apps: file reading, bulk writes, nightly job runs, dates and bank days, money,
    exchange rates, the export log, the system user and the hooks the apps register with each other."""

    name = "common"
    verbose_name = _("Shared records")

    def ready(self) -> None:
        from . import signin  # noqa: F401  (connects its receivers)
