"""Login is required everywhere but the login page and the health endpoint; the admin is for staff only.

The URL walk is generic: every pattern in the resolver, including those apps add later, is requested as an
anonymous user with sample arguments that its converters accept. LoginRequiredMiddleware answers before the view
runs, so the sample arguments need not name real objects.
"""

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, resolve
from django.urls import path as url_path
from django.urls.resolvers import RegexPattern, RoutePattern

# URL names a visitor may reach without logging in, and why. Nothing else is public.
PUBLIC = {
    "login": "the login page",
    "admin:login": "the admin's login page",
    "health": "for load balancers and the container health check",
    "favicon": "the app's icon, which browsers ask for by themselves: a redirect to the static file",
    "set_language": "Django's language switch (POST) on the login page",
    "language-set": "our language switch, offered on the login page (sets only the cookie when anonymous)",
}
LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
SAMPLES = ["1", "x", str(uuid.UUID(int=1)), "2026-01-01", "x/1"]


def _sample_for(regex: str) -> str:
    if re.fullmatch(r"[\w-]+(\|[\w-]+)*", regex):  # a choice of literal words, e.g. the admin's app labels
        return regex.split("|")[0]
    for sample in SAMPLES:
        if re.fullmatch(regex, sample):
            return sample
    raise AssertionError(f"no sample argument matches {regex!r}: add one to SAMPLES")


def _route_path(pattern: RoutePattern) -> str:
    route = str(pattern)
    for name, converter in pattern.converters.items():
        route = re.sub(rf"<(?:\w+:)?{name}>", _sample_for(converter.regex), route)
    return route


def _regex_path(pattern: RegexPattern) -> str:
    regex = pattern.regex.pattern
    # replace each top-level group with a sample it accepts; what remains is literal text
    out, depth, start = [], 0, 0
    for index, char in enumerate(regex):
        if char == "(" and (index == 0 or regex[index - 1] != "\\"):
            if depth == 0:
                out.append(regex[start:index])
                start = index
            depth += 1
        elif char == ")" and regex[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                group = re.sub(r"^\((\?P<\w+>)?", "", regex[start : index + 1])[:-1]
                out.append(_sample_for(group))
                start = index + 1
    out.append(regex[start:])
    return "".join(out).lstrip("^").rstrip("$").replace("\\", "")


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(sample path, URL name with its namespace) for every pattern the project serves."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        part = (
            _route_path(pattern.pattern)
            if isinstance(pattern.pattern, RoutePattern)
            else _regex_path(pattern.pattern)
        )
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, prefix + part, inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield "/" + prefix + part, f"{namespace}{pattern.name}" if pattern.name else None


def anonymous_access_failures(client) -> tuple[list[str], int]:
    """Every non-public URL that an anonymous visitor is not sent to log in from; and how many were checked."""
    failures, checked = [], 0
    for path, name in url_patterns():
        assert resolve(path) is not None, f"the sample path {path} does not resolve"
        if name in PUBLIC:
            continue
        response = client.get(path)
        checked += 1
        location = response.headers.get("Location", "")
        expected = [f"{LOGIN_URL}?next={quote(path)}"]
        if path.startswith("/admin/"):
            expected.append(f"{ADMIN_LOGIN_URL}?next={quote(path)}")
        if response.status_code != 302 or location not in expected:
            failures.append(f"{path} ({name}): {response.status_code} {location!r}")
    return failures, checked


@pytest.mark.django_db
def test_every_url_but_the_public_ones_redirects_anonymous_users_to_login(client):
    # given every URL the project serves
    # when an anonymous visitor asks for each
    failures, checked = anonymous_access_failures(client)
    # then they are sent to log in, and brought back afterwards
    assert not failures, "reachable without login:\n" + "\n".join(failures)
    assert checked > 20, "the walk found the project's URLs"


@login_not_required
def _leaky_view(request, pk):
    return HttpResponse("a page someone forgot to protect")


urlpatterns = [url_path("leaky/<int:pk>/", _leaky_view, name="leaky"), url_path("", include("config.urls"))]


@pytest.mark.django_db
def test_the_walk_finds_a_view_someone_forgot_to_protect(client, settings):
    # given the project's URLs plus a login-exempt page that is not on the allow-list
    settings.ROOT_URLCONF = __name__
    # when the walk runs
    failures, _checked = anonymous_access_failures(client)
    # then it reports that page, and only it
    assert failures == ["/leaky/1/ (leaky): 200 ''"]


@pytest.mark.django_db
def test_the_public_urls_answer_without_login(client):
    # the login page and the health endpoint answer anonymous visitors themselves
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # and each allow-listed name still exists (a stale allow-list would hide nothing, but would mislead)
    names = {name for _path, name in url_patterns()}
    assert set(PUBLIC) <= names, set(PUBLIC) - names


def test_static_files_are_not_behind_the_login(client, settings):
    # whitenoise serves static files before any login check (in production from STATIC_ROOT; here from the
    # finders, as runserver does)
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    from whitenoise.middleware import WhiteNoiseMiddleware

    middleware = WhiteNoiseMiddleware(lambda request: None)
    assert middleware.find_file("/static/css/app.css") is not None


@pytest.mark.django_db
def test_admin_is_for_staff_only(client, make_user):
    # given a user with the loan officer's permissions but not staff
    officer = make_user("officer", "loan_officer")
    client.force_login(officer)
    # when they open the admin
    for path in ["/admin/", "/admin/loanregister/loan/", "/admin/loanregister/borrower/"]:
        response = client.get(path)
        # then they are sent to the admin's login, not shown it
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith(f"{ADMIN_LOGIN_URL}?next="), path
    # given a staff user in the admin role
    admin_user = make_user("admin-user", "admin", is_staff=True)
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/loanregister/loan/").status_code == 200
    # a staff user without a model's permission cannot open it
    bare_staff = make_user("bare-staff", is_staff=True)
    client.force_login(bare_staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/loanregister/loan/").status_code == 403


def test_health_reports_a_database_that_does_not_answer(tmp_path):
    # given the app pointed at a database nobody listens on (in a process of its own: settings are per process)
    code = (
        "from django.test import Client; r = Client().get('/health/'); "
        "print(r.status_code, r.json()['status'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env={
            "PATH": os.environ["PATH"],
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none?connect_timeout=2",
            "VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then the health check fails, so the container is restarted or taken out of the load balancer
    assert result.stdout.split()[-3:] == ["503", "database", "unavailable"], result.stdout + result.stderr
