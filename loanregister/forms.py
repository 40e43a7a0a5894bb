"""The loan book's forms (the register's filter is a FilterSet, in filters.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LoanImportForm(forms.Form):
    """The import_loans contract's file, uploaded on the admin's import page."""

    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon delimited"))
