from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoanRegisterConfig(AppConfig):
    name = "loanregister"
    verbose_name = _("Loan register")
