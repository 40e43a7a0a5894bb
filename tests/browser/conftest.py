"""Browser tests: Playwright driving Debian's headless Chromium against pytest-django's live server.

The browser: `CHROMIUM_PATH` when set, else Debian's `chromium` package (what `.ci/run` installs), else the one
`playwright install chromium` downloaded where there is internet. Without any of them the browser tests are skipped
with the reason on a developer's machine, and fail under CI (CI=true), where a skip would hide a broken setup.
Run just them with `pytest -m browser`.
"""

import glob
import os
import shutil

import pytest

from tests.roles_support import restore_role_groups

# Playwright's sync API runs an asyncio event loop in the test thread; Django's ORM refuses to run beside a running
# loop unless told that this is deliberate. Set here, not in the Makefile, so `pytest tests/browser` works alone.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium() -> str | None:
    """The browser to launch by path, or None for Playwright's own download (or nothing at all)."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _playwright_download() -> bool:
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.expanduser("~/.cache/ms-playwright")
    return bool(glob.glob(os.path.join(cache, "chromium*")))


CHROMIUM = _chromium()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-test-password"


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None and not _playwright_download():
                reason = (
                    "no Chromium: apt-get install chromium, or .venv/bin/python -m playwright install chromium, "
                    "or set CHROMIUM_PATH"
                )
                if os.environ.get("CI"):
                    raise pytest.UsageError(reason)
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = {"executable_path": CHROMIUM} if CHROMIUM else {}  # else Playwright's own download
    return {**browser_type_launch_args, **path, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # An English browser by default: the tests that want Danish choose it through the app, as a user would.
    return {
        **browser_context_args,
        "locale": "en-GB",
        "accept_downloads": True,
        "viewport": {"width": 1366, "height": 900},
    }


@pytest.fixture
def page(page):
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def sign_in(live_server):
    """Sign in through the real login form, as a person would."""

    def _sign_in(page, username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").or_(page.get_by_label("Brugernavn")).fill(username)
        page.get_by_label("Password").or_(page.get_by_label("Adgangskode")).fill(password)
        page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _sign_in


@pytest.fixture(autouse=True)
def _role_groups(request):
    """The role groups and their permissions come from data migrations; every transactional test flushes them.

    Not `serialized_rollback`: Django's restore collides with the content types that a plain transactional test's
    flush re-creates (IntegrityError on django_content_type), and other modules have such tests. Instead, when the
    groups are gone, they are given again the permissions the migrations gave them (read once per session).
    """
    if "live_server" not in request.fixturenames:
        return
    role_permissions = request.getfixturevalue("migrated_role_permissions")
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group

    from loanregister.roles import ROLE_PERMISSIONS

    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() < len(ROLE_PERMISSIONS):
        restore_role_groups(role_permissions)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every test signs in through the form; the production hasher's deliberate slowness only slows the suite.
    # (Settings are process-wide, so the live server thread sees this too.)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def book(transactional_db):
    """A small, realistic book: 130 active loans over the next year, two offices, one loan we look for by name."""
    import datetime
    from decimal import Decimal

    from loanregister.models import Borrower, Loan, Office, Property
    from loanregister.services import own_servicer_get_or_create, register_events_sync

    today = datetime.date.today()
    servicer = own_servicer_get_or_create()  # migration 0010's, or made again after an earlier flush
    offices = [
        Office.objects.create(code="CPH", name="København", kind="home_office"),
        Office.objects.create(code="AAR", name="Aarhus", kind="branch"),
    ]
    surnames = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen"]
    loans = []
    for n in range(130):
        number = f"RK-{n + 1:05d}"
        borrower = Borrower.objects.create(
            name="Holm Ejendomme ApS" if n == 77 else f"{surnames[n % len(surnames)]} {n + 1}",
            email=f"kunde{n + 1}@example.dk",
            phone=f"+45 20 {n % 100:02d} 10 10",
            address=f"Strandvejen {n + 1}, 2900 Hellerup",
        )
        adjustable = n % 3 == 0
        loans.append(
            Loan(
                loan_number=number,
                borrower=borrower,
                property=Property.objects.create(
                    property_id=f"BFE{100000 + n}", address=borrower.address, category="owner_occupied"
                ),
                office=offices[n % 2],
                servicer=servicer,
                servicer_since=datetime.date(2021, 1, 1),
                loan_type="adjustable" if adjustable else "fixed",
                currency="DKK",
                principal=Decimal("2500000.00"),
                outstanding_balance=Decimal("1234567.89") if n == 77 else Decimal(1_000_000 + 1_000 * n),
                interest_rate=Decimal("3.25"),
                origination_date=datetime.date(2021, 1, 1),
                # several loans share each date, so that ties in the sort are exercised
                maturity_date=today + datetime.timedelta(days=5 + (n // 3) * 7),
                rate_reset_date=(today + datetime.timedelta(days=400)) if adjustable else None,
            )
        )
    Loan.objects.bulk_create(loans)
    register_events_sync()
    return {"loans": 130, "target": "RK-00078", "target_borrower": "Holm Ejendomme ApS"}
