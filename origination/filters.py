"""The pipeline's filters (a FilterSet the selector wraps; the view passes request.GET only)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from loanregister.models import Office

from .models import Application, ApplicationState


class PipelineFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=ApplicationState.choices)
    office = django_filters.ModelChoiceFilter(
        label=_("Office"), queryset=Office.objects.order_by("code"), to_field_name="code"
    )

    class Meta:
        model = Application
        fields = ["state", "office"]
