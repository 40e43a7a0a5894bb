from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = _("Loan origination")

    def ready(self) -> None:
        # The core does not import origination: origination tells it what to show and seed (common/hooks.py).
        from common import hooks

        from .demo import demo_applications_seed

        hooks.add_navigation(
            "origination:pipeline",
            _("Applications"),
            "origination.view_application",
            order=15,
            description=_(
                "Loan applications by state and office, the longest waiting first; the decisions waiting."
            ),
        )
        hooks.add_demo_seeder("applications", demo_applications_seed)
