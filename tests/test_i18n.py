"""Danish and English (issue 3, item 5): a complete Danish catalogue, a switch remembered per user, locale formats."""

import datetime
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from loanregister.models import UserPreference

PO_FILE = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"


def _catalogue() -> polib.POFile:
    assert PO_FILE.exists(), "run `manage.py makemessages -l da` and translate the catalogue"
    return polib.pofile(str(PO_FILE))


def _login(client: Client, username: str) -> None:
    response = client.post(
        reverse("login"), {"username": username, "password": "a-long-test-password"}, follow=False
    )
    assert response.status_code == 302, "the login form accepted the test user"


def _switch(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post(reverse("language-set"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


# -- the catalogue ------------------------------------------------------------------------------------------


def test_danish_catalogue_has_no_untranslated_or_fuzzy_entry():
    # given the committed Danish catalogue
    catalogue = _catalogue()
    # when we look for entries a Danish user would see in English
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    # then there are none, and the catalogue is not trivially empty
    assert untranslated == []
    assert fuzzy == []
    assert len(catalogue.translated_entries()) > 100


def test_danish_catalogue_plural_forms_and_placeholders_match():
    # given the Danish catalogue
    catalogue = _catalogue()
    assert "nplurals=2" in catalogue.metadata.get("Plural-Forms", "")
    # then every translation keeps the placeholders of its source (a lost %(name)s would crash or mislead)
    import re

    placeholder = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|%[sd]")
    for entry in catalogue.translated_entries():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        expected = sorted(placeholder.findall(sources[-1]))
        for text in translations:
            assert sorted(placeholder.findall(text)) == expected or sorted(
                placeholder.findall(text)
            ) == sorted(placeholder.findall(sources[0])), (entry.msgid, text)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_danish_catalogue_compiles_cleanly(tmp_path):
    # when msgfmt checks the catalogue the way `make messages` compiles it
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
    )
    # then it compiles with no error and no untranslated or fuzzy message
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


# -- locale formats -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected_amount", "expected_date"),
    [("da", "1.234.567,89", "31.12.2026"), ("en", "1,234,567.89", "2026-12-31")],
)
def test_amounts_and_dates_follow_the_language(language, expected_amount, expected_date):
    # given an amount and a date
    template = Template("{% load l10n %}{{ amount|floatformat:2 }}|{{ day|date:'SHORT_DATE_FORMAT' }}")
    context = Context({"amount": Decimal("1234567.89"), "day": datetime.date(2026, 12, 31)})
    # when rendered in the language
    with translation.override(language):
        rendered = template.render(context)
    # then both follow its conventions
    assert rendered == f"{expected_amount}|{expected_date}"


def test_danish_date_input_accepts_danish_spellings_and_iso():
    from django import forms

    class DateForm(forms.Form):
        day = forms.DateField()

    with translation.override("da"):
        for typed in ["31.12.2026", "31-12-2026", "2026-12-31"]:
            form = DateForm({"day": typed})
            assert form.is_valid(), (typed, form.errors)
            assert form.cleaned_data["day"] == datetime.date(2026, 12, 31)


# -- the switch, remembered per user ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_is_saved_on_the_user_and_sets_the_cookie(make_user):
    # given a signed-in user on the default (Danish) language
    make_user("anna", "loan_officer")
    client = Client()
    _login(client, "anna")
    # when they switch to English
    response = client.post(reverse("language-set"), {"language": "en", "next": "/"})
    # then the choice is saved on the user and in the browser
    assert response.status_code == 302
    assert UserPreference.objects.get(user__username="anna").language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_language_switch_is_remembered_on_another_browser(make_user):
    # given a user who chose English on one browser
    make_user("bo", "loan_officer")
    first = Client()
    _login(first, "bo")
    _switch(first, "en")
    # when they sign in on another browser that asks for Danish
    second = Client(headers={"accept-language": "da"})
    _login(second, "bo")
    response = second.get("/")
    # then the pages speak English, and that browser's cookie now says so too
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert second.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_language_switch_refuses_unknown_language_and_foreign_redirect(make_user):
    make_user("cai", "loan_officer")
    client = Client()
    _login(client, "cai")
    assert client.post(reverse("language-set"), {"language": "xx"}).status_code == 400
    response = client.post(reverse("language-set"), {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_language_switch_works_before_sign_in():
    # given an anonymous visitor on the login page
    client = Client()
    # when they pick English
    response = client.post(reverse("language-set"), {"language": "en", "next": reverse("login")})
    # then the login page is in English, from the cookie alone
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("login"))
    assert '<html lang="en">' in page.content.decode()
    assert UserPreference.objects.count() == 0
