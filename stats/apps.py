from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Lending statistics")

    def ready(self) -> None:
        # The core does not import the statistics: they tell it what to show and seed (common/hooks.py).
        from common import hooks

        from .demo import demo_flows_seed

        hooks.add_navigation(
            "stats:month",
            _("Lending statistics"),
            "stats.view_statistics",
            order=60,
            description=_(
                "The monthly lending statistics by property category and loan type: close, check and hand in a month."
            ),
        )
        hooks.add_demo_seeder("lending_flows", demo_flows_seed)
