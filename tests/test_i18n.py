"""Danish and English (issue 3, item 5): a complete Danish catalogue, a switch remembered per user, locale formats."""

import datetime
import gettext
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from common.management.commands.compile_translations import catalogue_problems
from loanregister.models import Borrower, Loan, Property, Servicer, UserPreference
from loanregister.services import register_events_sync

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


def _key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext is not installed")
def test_every_message_in_the_source_is_in_the_danish_catalogue(tmp_path):
    # given the source as it is now, copied aside so that the committed catalogue is not touched
    base = Path(settings.BASE_DIR)
    apps_and_folders = ["config", "common", "loanregister", "servicing", "origination", "stats", "templates"]
    for name in [*apps_and_folders, "locale"]:
        if (base / name).exists():
            shutil.copytree(
                base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
            )
    shutil.copy(base / "manage.py", tmp_path / "manage.py")
    # when makemessages extracts every message of the copy (as `make messages` readers would run it)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "da", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    extracted = {_key(e) for e in polib.pofile(str(tmp_path / "locale/da/LC_MESSAGES/django.po"))}
    translated = {_key(e) for e in _catalogue().translated_entries() if "fuzzy" not in e.flags}
    # then each of them already has its Danish translation: a new string needs `makemessages` and a translation
    assert sorted(extracted - translated) == []


def test_danish_catalogue_compiles_cleanly(tmp_path):
    # given the committed catalogue, checked as `make messages` checks it (polib: no gettext needed)
    catalogue = _catalogue()
    assert catalogue_problems(catalogue) == []
    # when it is compiled the way `make messages` compiles it
    catalogue.save_as_mofile(str(tmp_path / "django.mo"))
    with open(tmp_path / "django.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    # then Python's gettext reads every translation back, with the Danish plural rule
    for entry in catalogue.translated_entries():
        context = entry.msgctxt
        if entry.msgid_plural:
            for count, form in [(1, 0), (5, 1)]:
                arguments = (entry.msgid, entry.msgid_plural, count)
                found = compiled.npgettext(context, *arguments) if context else compiled.ngettext(*arguments)
                assert found == entry.msgstr_plural[form], (entry.msgid, count)
        else:
            found = compiled.pgettext(context, entry.msgid) if context else compiled.gettext(entry.msgid)
            assert found == entry.msgstr, entry.msgid
    assert compiled.info()["language"] == "da"


def test_the_catalogue_check_refuses_what_msgfmt_refuses():
    # given entries that msgfmt --check-format refuses: a lost or renamed placeholder, too many plural forms
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    catalogue.append(
        polib.POEntry(msgid="%(count)s loans", msgstr="lån", flags=["python-format"])  # the number is lost
    )
    catalogue.append(polib.POEntry(msgid="Due {day}", msgstr="Forfald {dag}", flags=["python-brace-format"]))
    catalogue.append(
        polib.POEntry(
            msgid="%(n)s loan",
            msgid_plural="%(n)s loans",
            msgstr_plural={0: "%(n)s lån", 1: "%(n)s lån", 2: "%(n)s lån"},
            flags=["python-format"],
        )
    )
    # and free text, not a format string, which may write its per cent as it likes
    catalogue.append(polib.POEntry(msgid="100% sure", msgstr="100 % sikker"))
    # when it is checked
    problems = catalogue_problems(catalogue)
    # then each bad entry is named, and the free text is not
    assert len(problems) == 3, problems
    assert "%(count)s loans" in problems[0] and "{day}" in problems[1] and "3 plural forms" in problems[2]


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


# -- the register page in the user's language -----------------------------------------------------------------


def _loan_in_the_window(*, number: str, balance: str, currency: str = "DKK") -> Loan:
    """One active loan maturing next month, so that it is on the register's default page (today to +12 months)."""
    servicer, _ = Servicer.objects.get_or_create(
        code="OWN", defaults={"name": "Egen administration", "is_own": True}
    )
    loan = Loan.objects.create(
        loan_number=number,
        borrower=Borrower.objects.create(name=f"Låntager {number}", email=f"{number}@example.dk"),
        property=Property.objects.create(
            property_id=f"BFE-{number}", address="Søvej 1", category="owner_occupied"
        ),
        servicer=servicer,
        servicer_since=datetime.date(2020, 1, 1),
        loan_type="adjustable",
        currency=currency,
        principal=Decimal("2000000"),
        outstanding_balance=Decimal(balance),
        interest_rate=Decimal("3.5"),
        origination_date=datetime.date(2020, 1, 1),
        maturity_date=datetime.date.today() + datetime.timedelta(days=40),
    )
    register_events_sync(loan_ids=[loan.id])
    return loan


def _user_with_language(make_user, username: str, language: str):
    user = make_user(username, "loan_officer")
    UserPreference.objects.create(user=user, language=language)
    return user


@pytest.mark.django_db
def test_register_renders_in_danish_for_a_danish_user(make_user):
    # given a loan of 1,234,567.89 DKK in the window, and a user whose preference is Danish, on an English browser
    _loan_in_the_window(number="DA-1", balance="1234567.89")
    _user_with_language(make_user, "dorte", "da")
    client = Client(headers={"accept-language": "en"})
    _login(client, "dorte")
    # when she opens the register
    response = client.get(reverse("loanregister:register"))
    html = response.content.decode()
    # then headings, event names and amounts are Danish
    assert response.status_code == 200
    assert '<html lang="da">' in html
    assert "<h1>Forfaldsregister</h1>" in html
    assert ">Restgæld<" in html, "the balance column is headed in Danish"
    assert ">Udløb<" in html, "the event kind is shown in Danish"
    assert "1.234.567,89 kr." in html
    assert "Maturity register" not in html and "Outstanding balance" not in html


@pytest.mark.django_db
def test_register_renders_in_english_for_an_english_user(make_user):
    # given the same loan, and a user whose preference is English, on a Danish browser
    _loan_in_the_window(number="EN-1", balance="1234567.89")
    _user_with_language(make_user, "erik", "en")
    client = Client(headers={"accept-language": "da"})
    _login(client, "erik")
    # when he opens the register
    response = client.get(reverse("loanregister:register"))
    html = response.content.decode()
    # then it is English, with English number formatting
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "<h1>Maturity register</h1>" in html
    assert "Outstanding balance" in html
    assert "DKK 1,234,567.89" in html
    assert "Forfaldsregister" not in html and "1.234.567,89" not in html


@pytest.mark.django_db
def test_register_language_switch_is_remembered_in_a_new_session(make_user):
    # given an English-speaking user who switches the register to Danish
    _loan_in_the_window(number="SW-1", balance="1234567.89")
    _user_with_language(make_user, "frej", "en")
    first = Client(headers={"accept-language": "en"})
    _login(first, "frej")
    register_url = reverse("loanregister:register")
    assert "<h1>Maturity register</h1>" in first.get(register_url).content.decode()
    _switch(first, "da", next_url=register_url)
    assert "<h1>Forfaldsregister</h1>" in first.get(register_url).content.decode()
    # when he signs out and in again in a brand-new session, from an English browser with no cookies
    first.post(reverse("logout"))
    second = Client(headers={"accept-language": "en"})
    _login(second, "frej")
    html = second.get(register_url).content.decode()
    # then the register is still Danish
    assert "<h1>Forfaldsregister</h1>" in html
    assert "1.234.567,89 kr." in html
