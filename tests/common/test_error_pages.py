"""Refusals, not crashes (issue 8, item 6): 403, 404, 405 and 500 in the site's layout and the user's language,
saying why and where to go; each refused request logged as one line, not a traceback; a GET on an address that
only a form's POST uses goes to the page of that form."""

import logging

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from loanregister.models import UserPreference

pytestmark = pytest.mark.django_db

REQUEST_LOGGERS = ("django.request", "django.security", "common.refusals")


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(REQUEST_LOGGERS)]


@pytest.fixture
def user_in(make_user):
    """A signed-in client of a user in `role` whose saved language is `language`."""

    def _user_in(role: str, language: str, username: str = "lise") -> Client:
        user = make_user(username, role, first_name="Lise", last_name="Holm")
        UserPreference.objects.create(user=user, language=language)
        client = Client()
        client.force_login(user)
        return client

    return _user_in


def _assert_layout(response) -> str:
    html = response.content.decode()
    # the site's layout: the top bar with its navigation and the language switch, the skip link, a heading
    assert 'class="topbar"' in html and 'class="skip-link"' in html, html[:500]
    assert 'name="language"' in html
    assert "<h1" in html
    # and where to go from here: the home page, always
    assert f'href="{reverse("home")}" id="error-home"' in html
    return html


# -- 403 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "reason"),
    [
        ("en", "Access denied", "Your role does not give access to this page or action."),
        ("da", "Ingen adgang", "Din rolle giver ikke adgang til denne side eller handling."),
    ],
)
def test_a_refused_page_says_why_in_the_layout_and_the_users_language(
    user_in, caplog, language, title, reason
):
    # given a loan officer, who has no servicing role
    client = user_in("loan_officer", language)
    # when she opens the servicing home
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("servicing:home"), HTTP_REFERER="http://testserver/register/?office=1")
    # then 403, in the layout, in her language, with the way back to where she came from
    assert response.status_code == 403
    html = _assert_layout(response)
    assert f'<html lang="{language}">' in html
    assert title in html and reason in html
    assert 'href="http://testserver/register/?office=1" id="error-back"' in html
    # and the refusal is one line: status, method, path, user; no traceback
    lines = _request_lines(caplog)
    assert [r.getMessage() for r in lines] == ["refused: status=403 method=GET path=/servicing/ user=lise"]
    assert lines[0].levelno == logging.WARNING and lines[0].exc_info is None


def test_the_back_link_never_points_off_the_site(user_in):
    client = user_in("loan_officer", "en")
    response = client.get(reverse("servicing:home"), HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 403
    html = _assert_layout(response)  # the way home is offered, and the way "back" is not
    assert "evil.example" not in html and 'id="error-back"' not in html


# -- 404 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "title"), [("en", "Page not found"), ("da", "Siden findes ikke")])
@pytest.mark.parametrize("path", ["/register/loans/NO-SUCH-LOAN/", "/no/such/page/"])
def test_a_missing_page_says_so_in_the_layout_and_the_users_language(user_in, caplog, language, title, path):
    # given a loan officer; when she opens a loan that does not exist (the view's 404) or no page at all (the
    # resolver's)
    client = user_in("loan_officer", language)
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    # then 404 in the layout and her language, and one line in the log
    assert response.status_code == 404
    html = _assert_layout(response)
    assert f'<html lang="{language}">' in html and title in html
    lines = _request_lines(caplog)
    assert [r.getMessage() for r in lines] == [f"refused: status=404 method=GET path={path} user=lise"]
    assert lines[0].exc_info is None


def test_a_log_line_cannot_be_forged_through_the_path(user_in, caplog):
    client = user_in("loan_officer", "en")
    with caplog.at_level(logging.INFO):
        client.get("/nothing%0Arefused: status=200 method=GET path=/ user=admin")
    (line,) = _request_lines(caplog)
    assert line.getMessage() == (
        "refused: status=404 method=GET path=/nothing\\nrefused: status=200 method=GET path=/ user=admin user=lise"
    )


# -- 405 and a GET on a POST-only address --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "This address does not take that request"),
        ("da", "Denne adresse tager ikke imod den slags forespørgsel"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/servicing/payments/"),  # an action (post_only): PUT is no way to post a payment
        ("delete", "/register/"),  # a page (require_GET): Django's bare 405, drawn as the site's page
    ],
)
def test_a_wrong_method_gets_the_405_page_in_the_layout(user_in, caplog, language, title, method, path):
    client = user_in("servicing", language, username="sofie")
    with caplog.at_level(logging.INFO):
        response = getattr(client, method)(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    html = _assert_layout(response)
    assert f'<html lang="{language}">' in html and title in html
    lines = _request_lines(caplog)
    assert [r.getMessage() for r in lines] == [
        f"refused: status=405 method={method.upper()} path={path} user=sofie"
    ]


# Every address that only a form's POST uses, and the page a GET of it goes to.
POST_ONLY = [
    ("servicing:payment-create", {}, "/servicing/#post-payment"),
    ("servicing:suspense-apply", {"loan_number": "L-1"}, "/register/loans/L-1/#loan-ledger"),
    ("servicing:escrow-open", {"loan_number": "L-1"}, "/register/loans/L-1/#loan-escrow"),
    ("servicing:escrow-disbursement-add", {"loan_number": "L-1"}, "/register/loans/L-1/#loan-escrow"),
    ("servicing:recovery-record", {"loan_number": "L-1"}, "/register/loans/L-1/#loan-recovery"),
    ("servicing:document-upload", {"loan_number": "L-1"}, "/register/loans/L-1/#loan-documents"),
    ("servicing:transfer-send", {"pk": 7}, "/servicing/transfers/7/"),
    ("language-set", {}, "/"),
    ("loanregister:lead-contact", {"pk": 3}, "/register/leads/3/"),
    ("loanregister:lead-status", {"pk": 3}, "/register/leads/3/"),
    ("loanregister:lead-reassign", {"pk": 3}, "/register/leads/3/"),
    ("loanregister:leads-reassign", {}, "/register/leads/"),
]


@pytest.mark.parametrize(("name", "kwargs", "target"), POST_ONLY)
def test_a_get_on_a_post_only_address_goes_to_its_page(user_in, caplog, name, kwargs, target):
    # given a servicing clerk
    client = user_in("servicing", "en", username="sofie")
    # when she opens an action's address (a bookmark, a reload)
    with caplog.at_level(logging.INFO):
        response = client.get(reverse(name, kwargs=kwargs))
    # then she is sent to the page of its form, told why, and nothing is refused or logged as a refusal
    assert response.status_code == 302
    assert response["Location"] == target
    assert _request_lines(caplog) == []
    follow = client.get(reverse("home"))
    assert "That address is an action: use the button on this page to do it." in follow.content.decode()


def test_a_get_on_a_documents_delete_address_goes_to_its_loan(user_in):
    from servicing.models import LoanDocument
    from tests.servicing.ledger_support import make_loan

    document = LoanDocument.objects.create(
        loan=make_loan("DOC-1"),
        kind=LoanDocument.Kind.choices[0][0],
        file="loan-documents/deed.pdf",
        original_name="deed.pdf",
        sha256="0" * 64,
    )
    client = user_in("servicing", "en", username="sofie")
    response = client.get(reverse("servicing:document-delete", args=[document.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/register/loans/DOC-1/#loan-documents"
    assert LoanDocument.objects.filter(pk=document.pk).exists()


def _app_patterns(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("servicing", "loanregister", "common"):
                yield from _app_patterns(pattern, pattern.namespace)
        elif isinstance(pattern, URLPattern) and namespace and pattern.name:
            yield f"{namespace}:{pattern.name}", pattern


def test_no_page_of_the_apps_answers_a_get_with_405(client, make_user):
    # given an administrator, who may open everything
    client.force_login(make_user("root", "admin", is_staff=True, is_superuser=True))
    samples = {"loan_number": "L-1", "pk": 1, "decision": "approve"}  # decision: a hardship plan's
    # when every address of the apps is opened with GET (sample arguments: a 404 is fine, a 405 is not)
    answers = {}
    for name, pattern in _app_patterns(get_resolver()):
        kwargs = {key: samples[key] for key in pattern.pattern.converters}
        answers[name] = client.get(reverse(name, kwargs=kwargs)).status_code
    # then none is a bare "method not allowed"
    assert answers
    assert [name for name, status in answers.items() if status == 405] == []


# -- a form refused for its CSRF token ------------------------------------------------------------------------


def test_an_expired_form_says_what_to_do_and_logs_one_line(make_user, caplog):
    user = make_user("lise", "loan_officer")
    UserPreference.objects.create(user=user, language="en")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("language-set"), {"language": "da", "next": "/"})
    assert response.status_code == 403
    html = _assert_layout(response)
    assert "The form has expired" in html and "reload the page" in html
    lines = _request_lines(caplog)
    assert len(lines) == 1 and lines[0].getMessage().startswith(
        "refused: status=403 method=POST path=/preferences/language/ user=lise reason=CSRF"
    )


# -- 500 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Something went wrong on our side"), ("da", "Der gik noget galt hos os")]
)
def test_a_crash_gets_the_500_page_in_the_layout_and_keeps_its_traceback_in_the_log(
    user_in, caplog, monkeypatch, language, title
):
    # given a page that fails
    def broken(**kwargs):
        raise RuntimeError("the figures are gone")

    monkeypatch.setattr("loanregister.selectors.home_summary", broken)
    client = user_in("loan_officer", language)
    client.raise_request_exception = False
    # when it is opened
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("home"))
    # then the person sees the site's page in their language, not a bare "Server Error (500)"
    assert response.status_code == 500
    html = _assert_layout(response)
    assert f'<html lang="{language}">' in html and title in html
    assert "the figures are gone" not in html
    # and the log keeps what a developer needs: a 500 is not a refusal
    errors = [r for r in _request_lines(caplog) if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
