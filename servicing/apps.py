from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "servicing"
    verbose_name = _("Servicing")

    def ready(self) -> None:
        # The core does not import servicing: servicing tells it what to do and show (common/hooks.py).
        from common import hooks

        from .ledger import opening_balances_post

        hooks.on_loans_imported("opening_balances", opening_balances_post)
        hooks.add_loan_panel("servicing/_loan_panels.html")
        hooks.add_navigation("servicing:home", _("Servicing"), "servicing.view_posting", order=20)
