"""Navigation (issue 8, item 11): every role finds its work from the menu and the home page, the loan page's way
back keeps the register as it was left (never an open redirect), a language chosen on the login page is kept
after signing in, and the app has its own icon."""

import pytest
from django.test import Client
from django.urls import reverse

from loanregister.models import UserPreference

from . import register_support as make

pytestmark = pytest.mark.django_db

LETTERS = "/servicing/notices/letters/"


def _signed_in(make_user, role: str | None, username: str = "user") -> Client:
    client = Client()
    user = make_user(username, *([role] if role else []))
    UserPreference.objects.create(user=user, language="en")
    client.force_login(user)
    return client


def _nav(html: str) -> str:
    return html[html.index('<nav aria-label="Main">') : html.index("</nav>")]


# -- the letter batch, from the menu and the home page, for servicing and collections ----------------------


@pytest.mark.parametrize("role", ["servicing", "collections"])
def test_the_letter_batch_is_in_the_menu_and_on_the_home_page_of_servicing_and_collections(make_user, role):
    client = _signed_in(make_user, role)
    home = client.get(reverse("home")).content.decode()
    # in the menu, and among the work the home page lists with a word on each
    assert f'href="{LETTERS}"' in _nav(home)
    work = home[home.index('id="home-work"') :]
    assert f'<a href="{LETTERS}">Payment notice letters</a>' in work
    assert "to print, and the mail room list" in work
    # and it opens
    assert client.get(LETTERS).status_code == 200


def _work_links(html: str) -> list[str]:
    if 'id="home-work"' not in html:
        return []
    card = html[html.index('id="home-work"') :]
    card = card[: card.index("</section>")]
    return [part.split('"', 1)[0] for part in card.split('<a href="')[1:]]


@pytest.mark.parametrize(
    ("role", "work"),
    [
        ("loan_officer", ["/register/"]),
        ("retention_team", ["/register/"]),
        ("reporting", ["/register/"]),
        ("home_office_underwriter", ["/register/"]),
        ("servicing", ["/register/", "/servicing/", LETTERS]),
        ("collections", ["/register/", "/servicing/", LETTERS]),
    ],
)
def test_the_home_page_lists_the_work_of_each_role_and_nothing_it_may_not_open(make_user, role, work):
    client = _signed_in(make_user, role)
    links = _work_links(client.get(reverse("home")).content.decode())
    # its work is there (other apps may add theirs), the letters only where expected
    assert [url for url in links if url in work] == work
    assert (LETTERS in links) == (LETTERS in work)
    # and every link opens
    assert {url: client.get(url).status_code for url in links} == dict.fromkeys(links, 200)


def test_a_menu_entry_needing_two_permissions_is_shown_only_with_both(make_user):
    # given a register reader who may also read payment notices, but not borrowers' contact details (which the
    # letters carry)
    from django.contrib.auth.models import Permission

    client = _signed_in(make_user, "reporting", "half")
    user = client.session["_auth_user_id"]
    Permission.objects.get(content_type__app_label="servicing", codename="view_paymentnotice").user_set.add(
        user
    )
    # then neither the menu nor the home page offers the letters, which would refuse him
    html = client.get(reverse("home")).content.decode()
    assert "/register/" in _work_links(html)
    assert LETTERS not in html
    assert client.get(LETTERS).status_code == 403


# -- the loan production roles: origination's applications among their work (issue 12) -----------------------------


@pytest.mark.parametrize("role", ["lpo_processor", "lpo_manager", "home_office_underwriter", "branch_lender"])
def test_loan_production_roles_find_the_applications_among_their_work(make_user, role):
    client = _signed_in(make_user, role)
    html = client.get(reverse("home")).content.decode()
    work = html[html.index('id="home-work"') :]
    assert 'href="/applications/"' in work[: work.index("</section>")]
    # the card that said applications were coming is gone now that they are here
    assert 'id="home-applications"' not in html


def test_the_underwriter_also_finds_the_register_among_her_work(make_user):
    html = _signed_in(make_user, "home_office_underwriter").get(reverse("home")).content.decode()
    assert 'id="home-work"' in html and 'href="/register/"' in html[html.index('id="home-work"') :]


def test_a_user_without_a_role_is_told_whom_to_ask(make_user):
    html = _signed_in(make_user, None, "nobody").get(reverse("home")).content.decode()
    assert 'id="home-no-role"' in html and "Ask an administrator" in html


# -- the loan page's way back --------------------------------------------------------------------------------


@pytest.fixture
def officer_and_loan(make_user):
    client = _signed_in(make_user, "loan_officer")
    return client, make.loan("BACK-1")


def _back_link(html: str) -> str:
    start = html.index('id="loan-back"')
    anchor = html[html.rindex("<a ", 0, start) : start]
    return anchor.split('href="', 1)[1].split('"', 1)[0]


def test_the_way_back_keeps_the_registers_filters_and_page_from_back(officer_and_loan):
    client, loan = officer_and_loan
    back = "/register/?office=1&kind=maturity&after=abc123"
    html = client.get(reverse("loanregister:loan", args=[loan.loan_number]), {"back": back}).content.decode()
    assert _back_link(html) == "/register/?office=1&amp;kind=maturity&amp;after=abc123"


def test_the_way_back_keeps_the_register_the_person_came_from(officer_and_loan):
    client, loan = officer_and_loan
    html = client.get(
        reverse("loanregister:loan", args=[loan.loan_number]),
        HTTP_REFERER="http://testserver/register/?q=Holm&before=xyz",
    ).content.decode()
    assert _back_link(html) == "/register/?q=Holm&amp;before=xyz"


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/register/?office=1",
        "//evil.example/register/",
        "///evil.example/register/",
        "/\\evil.example/register/",
        "javascript:alert(1)//register/",
        "/admin/",
        "/register/loans/BACK-1/",
        "/register/export/?format=csv",
        "/register/" + "?q=" + "x" * 3000,
    ],
)
def test_the_way_back_is_never_an_open_redirect_or_another_page(officer_and_loan, back):
    client, loan = officer_and_loan
    html = client.get(
        reverse("loanregister:loan", args=[loan.loan_number]),
        {"back": back},
        HTTP_REFERER="https://evil.example/register/",
    ).content.decode()
    assert _back_link(html) == "/register/"


# -- a language chosen on the login page ---------------------------------------------------------------------


def test_a_language_chosen_on_the_login_page_is_kept_after_signing_in_a_cookie_alone_is_no_choice(make_user):
    # given a user whose saved language is Danish (the demo users' default)
    user = make_user("mads", "loan_officer")
    UserPreference.objects.create(user=user, language="da")
    login = {"username": "mads", "password": "a-long-test-password"}
    # when he signs in on a browser whose cookie says English (someone else used it), choosing nothing
    client = Client()
    client.cookies["django_language"] = "en"
    client.post(reverse("login"), login)
    # then his saved Danish wins
    assert '<html lang="da">' in client.get(reverse("home")).content.decode()
    # and when he signs out, chooses English on the login page and signs in
    client.post(reverse("logout"))
    client.post(reverse("language-set"), {"language": "en", "next": reverse("login")})
    assert client.post(reverse("login"), login).status_code == 302
    # then the pages speak English, and that is his choice from now on, on any browser
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    assert UserPreference.objects.get(user=user).language == "en"
    other = Client()
    other.post(reverse("login"), login)
    assert '<html lang="en">' in other.get(reverse("home")).content.decode()


# -- the favicon ---------------------------------------------------------------------------------------------


def test_the_app_serves_its_own_favicon(client, make_user):
    # a browser asks /favicon.ico by itself, signed in or not: the app's own file, no CDN
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"
    assert client.get(response["Location"]).status_code == 200
    # and every page of the layout names it, the login page too
    assert (
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        in client.get(reverse("login")).content.decode()
    )
    assert client.get("/static/favicon.svg").status_code == 200
