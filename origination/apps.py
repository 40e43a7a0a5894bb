from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = _("Loan origination")
