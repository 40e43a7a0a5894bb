from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoanRegisterConfig(AppConfig):
    name = "loanregister"
    verbose_name = _("Loan register")

    def ready(self) -> None:
        # receivers: the language chosen at sign-in; the register's cached totals and aggregate kept true
        from . import preferences, register_cache, register_sums  # noqa: F401
