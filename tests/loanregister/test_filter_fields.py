"""The register filter's fields drawn in Python (loanregister/filter_fields.py, issue 9) are, character for
character, what `_register_filter_fields.html` and Django's widget templates draw: for a table of filters, valid and
refused, in both languages, with names that need escaping."""

import re

import pytest
from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation

from loanregister import register
from loanregister.filter_fields import filter_fields_html

from . import register_support as make

pytestmark = pytest.mark.django_db

FILTERS = [
    "",
    "date_from=2027-01-01&date_to=2027-12-31",
    "kind=maturity&kind=rate_reset&loan_type=adjustable&loan_type=index_linked",
    "office={office}&servicer={servicer}&currency=EUR&recourse=true&in_collections=false",
    "status=active&balance_min=1000000&balance_max=2500000.50&mine=on&q=J%C3%B8rgen+%3Cb%3E%22&officer=o.%C3%B8stergaard",
    # refused values: each says what is wrong next to its field
    "date_from=31.02.2027&kind=nonsense&office=999999&balance_min=-5&currency=D%26K&recourse=maybe&officer=nobody",
    "date_from=2028-01-01&date_to=2027-01-01",
]


@pytest.fixture
def choices():
    office = make.office("BR-<&>", name='Filial "Øst" & <Vest>')
    servicer = make.servicer("EXT", name="Servicer <Ekstern> & Co")
    make.office("HO", name="Hovedkontor")
    officer = make.user("o.østergaard", "loan_officer", first_name="Ole", last_name='Østergaard "O&Ø"')
    make.loan(officer=officer, office=office, servicer=servicer)
    return {"office": office.pk, "servicer": servicer.pk}


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("query", FILTERS)
def test_the_fields_drawn_in_python_are_the_templates_own(choices, language, query):
    with translation.override(language):
        filterset = register.register_filterset(data=QueryDict(query.format(**choices)))
        filterset.is_valid()
        expected = render_to_string("loanregister/_register_filter_fields.html", {"filter": filterset})
        drawn = filter_fields_html(filterset.form)
    assert drawn == expected
    assert ("Østergaard &quot;O&amp;Ø&quot;" in drawn) and "<Vest>" not in drawn


def test_a_widget_it_does_not_know_is_drawn_by_django(choices):
    """A field added later with another widget (here a textarea) is drawn by Django's own template: right, if
    slower."""
    filterset = register.register_filterset(data=QueryDict("q=x"))
    filterset.is_valid()
    filterset.form.fields["q"].widget = forms.Textarea()
    expected = render_to_string("loanregister/_register_filter_fields.html", {"filter": filterset})
    drawn = filter_fields_html(filterset.form)
    assert drawn == expected and '<textarea name="q"' in drawn


def test_the_drawn_filter_form_kept_per_process_follows_the_offices_and_servicers(client, choices):
    # given the register's filter form drawn once (and kept in the process's memory)
    client.force_login(make.user("anna", "retention_team"))

    def offered(name: str) -> list[str]:
        html = client.get("/register/").content.decode()
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        return re.findall(r"<option[^>]*>([^<]*)</option>", select)

    assert "HO Hovedkontor" in offered("office")
    # when an office is renamed, another closed and a servicer opened
    from loanregister.models import Office

    Office.objects.filter(code="HO").update(name="Head office")
    Office.objects.filter(code="BR-<&>").update(active=False)
    make.servicer("NEW", name="Ny Servicer")
    # then the next page draws the form anew with them
    offices = offered("office")
    assert "HO Head office" in offices and "HO Hovedkontor" not in offices
    assert not any("Øst" in office for office in offices)
    assert any("Ny Servicer" in servicer for servicer in offered("servicer"))
