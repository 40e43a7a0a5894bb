"""The loan book's forms (the register's filter is a FilterSet, in filters.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Servicer


class LoanImportForm(forms.Form):
    """The import_loans contract's file, uploaded on the admin's import page."""

    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon delimited"))


class ServicerForm(forms.ModelForm):
    """A servicer in admin. Only one can be our own (a database constraint); a second is refused here, on the
    field, naming the one that is."""

    class Meta:
        model = Servicer
        fields = ["code", "name", "is_own", "active"]

    def clean_is_own(self) -> bool:
        is_own = self.cleaned_data["is_own"]
        if is_own:
            current = Servicer.objects.filter(is_own=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                raise forms.ValidationError(
                    _(
                        "Only one servicer can be our own, and %(name)s (%(code)s) already is. To make this one "
                        "our own, untick %(code)s first."
                    ),
                    code="one_own",
                    params={"name": current.name, "code": current.code},
                )
        return is_own
