from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoanRegisterConfig(AppConfig):
    name = "loanregister"
    verbose_name = _("Loan register")

    def ready(self) -> None:
        from . import preferences  # noqa: F401  (connects the receiver that keeps a language chosen at sign-in)
