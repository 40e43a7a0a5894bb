"""Acceptance of issue 8: every demo role signs in, in headless Chromium, and opens every page its menu and its home
page offer, and one page of each kind those link to, a few steps deep. None may answer 4xx/5xx, and no page may
log a console error or throw a script error. The demo users speak Danish, so every page is read for English left
untranslated: any text of the Danish catalogue still in English, and English words that no Danish page has.

A role sees only what it may open, so any refusal on the walk is a dead link offered to the wrong role. The
English check needs every message of the source in the catalogue (tests/test_i18n.py says which are missing).
"""

import datetime
import io
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from loanregister.management.commands.create_demo_users import DEMO_PASSWORD
from loanregister.models import Loan
from loanregister.roles import ADMIN, ROLE_LABELS

pytestmark = pytest.mark.django_db(transaction=True)

MAX_PAGES_PER_ROLE = 16
MAX_DEPTH = 3  # home, what it and the menu link to, what those link to, and one step more
# Addresses that are files or actions, not pages: downloads, exports, the sign-out.
NOT_PAGES = {
    "loanregister:export",
    "servicing:loan-schedule-csv",
    "servicing:payoff-pdf",
    "servicing:document-download",
    "origination:document-download",
    "logout",
}
# Whole English words that no Danish page of ours contains (names and addresses of the demo book are Danish).
ENGLISH_WORDS = re.compile(
    r"\b(the|and|with|your|you|this|that|these|is|are|was|were|has|been|will|from|which|there|here|"
    r"please|page|loan|loans|payment|payments|borrower|statement|due|none|yet|coming|work|"
    r"sign|home|servicing|maturity|letters?|payees?|applications?)\b",
    re.IGNORECASE,
)

# The text a Danish reader reads: every text node but those marked as another language (a letter in the
# borrower's language, the "English" button of the language switch) and scripts and styles.
_DANISH_TEXT_JS = """
() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('script, style')) continue;
    const lang = (el.closest('[lang]') || document.documentElement).getAttribute('lang') || '';
    if (!lang.startsWith('da')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], input[placeholder]')) {
    const lang = (el.closest('[lang]') || document.documentElement).getAttribute('lang') || '';
    if (!lang.startsWith('da')) continue;
    for (const attr of ['title', 'aria-label', 'placeholder']) if (el.getAttribute(attr)) out.push(el.getAttribute(attr));
  }
  return out.join('\\n');
}
"""


def _catalogue_phrases() -> list[str]:
    """Literal parts of the catalogue's English texts that Danish translates differently: long enough (two words or
    more) that finding one on a Danish page means it was not translated."""
    po = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"))
    phrases = set()
    for entry in po.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            if source in translations:
                continue
            for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", source):
                part = part.strip(" .,:;()‹›\n")
                if len(part) >= 12 and " " in part and not any(part in text for text in translations):
                    phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


def _seed_servicing(book: dict) -> None:
    """Some servicing work on the book: escrow with a payee and a disbursement due, two notice letters today."""
    from servicing.models import EscrowAccount, EscrowDisbursement, EscrowPayee, PaymentNotice

    today = timezone.localdate()
    target = Loan.objects.get(loan_number=book["target"])
    payee = EscrowPayee.objects.create(
        name="Tryg Forsikring", kind="insurer", account="DK50 0040 0440 1162 43"
    )
    account = EscrowAccount.objects.create(loan=target, opened_on=datetime.date(2021, 1, 1))
    EscrowDisbursement.objects.create(
        account=account, payee=payee, amount=Decimal("4200.00"), due_date=today + datetime.timedelta(days=3)
    )
    for loan, language in zip(Loan.objects.order_by("loan_number")[:2], ("da", "en"), strict=True):
        PaymentNotice.objects.create(
            loan=loan,
            period=1,
            due_date=today + datetime.timedelta(days=20),
            interest_date=today + datetime.timedelta(days=20),
            currency="DKK",
            amount=Decimal("9499.22"),
            principal=Decimal("5000.00"),
            interest=Decimal("4499.22"),
            fees=Decimal("0"),
            escrow=Decimal("0"),
            channel=PaymentNotice.Channel.LETTER,
            language=language,
            state=PaymentNotice.State.BATCHED,
            business_date=today,
            batch_date=today,
        )


def _key(url: str) -> str | None:
    """One visit per kind of page: the URL's view name (a loan page stands for every loan page)."""
    parts = urlsplit(url)
    if parts.path.startswith("/static/") or "format=" in parts.query:
        return None
    if parts.path.startswith("/admin/") and parts.path != "/admin/":
        return None  # the admin's index is on the walk; the admin's own pages are Django's
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        return parts.path  # a dead link: visit it, and fail on its 404
    return None if name in NOT_PAGES else name


def _walk(browser, live_server, username: str, phrases: list[str]) -> tuple[list[str], list[str]]:
    """Sign in as `username`, open the pages; returns (the pages opened, the problems found)."""
    context = browser.new_context(locale="da-DK", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    where = {"url": "(sign-in)"}
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"{where['url']}: console error: {m.text}"),
    )
    page.on("pageerror", lambda e: problems.append(f"{where['url']}: script error: {e}"))
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and r.url.startswith(live_server.url)
            and problems.append(f"{where['url']}: {r.status} for {r.url[len(live_server.url) :]}")
        ),
    )
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Brugernavn").fill(username)
        page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
        page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        queue: list[tuple[str, int]] = [(f"{live_server.url}/", 0)]
        seen = {_key(f"{live_server.url}/")}
        opened: list[str] = []
        while queue and len(opened) < MAX_PAGES_PER_ROLE:
            url, depth = queue.pop(0)
            path = url[len(live_server.url) :]
            where["url"] = path
            response = page.goto(url)
            opened.append(path)
            if response is None or response.status >= 400:
                continue  # the response listener has said it
            if page.evaluate("document.documentElement.lang") != "da":
                problems.append(
                    f"{path}: not in Danish (lang={page.evaluate('document.documentElement.lang')})"
                )
            # addresses are no words: servicing@example.dk
            text = re.sub(r"\S+@\S+|https?://\S+", " ", unescape(page.evaluate(_DANISH_TEXT_JS)))
            for phrase in phrases:
                if phrase in text:
                    problems.append(f"{path}: untranslated: {phrase!r}")
                    text = text.replace(phrase, "")
            for word in sorted({w.lower() for w in ENGLISH_WORDS.findall(text)}):
                line = next(line for line in text.splitlines() if re.search(rf"\b{word}\b", line, re.I))
                problems.append(f"{path}: English word {word!r} in {line[:90]!r}")
            if depth >= MAX_DEPTH:
                continue
            scope = "nav[aria-label] a[href], main a[href]" if depth == 0 else "main a[href]"
            for href in page.eval_on_selector_all(
                scope, "links => links.map(a => new URL(a.getAttribute('href'), location.href).href)"
            ):
                href = href.split("#", 1)[0]
                key = _key(href) if href.startswith(live_server.url) else None
                if key is not None and key not in seen:
                    seen.add(key)
                    queue.append((href, depth + 1))
        return opened, problems
    finally:
        context.close()


def test_every_demo_role_opens_its_pages_without_refusals_script_errors_or_english(
    browser, live_server, book
):
    # given the demo users, one per role (their saved language: Danish), and some servicing work on the book
    with translation.override("da"):
        call_command("create_demo_users", stdout=io.StringIO())
    _seed_servicing(book)
    phrases = _catalogue_phrases()
    # when each signs in and walks the pages offered to them
    walks = {}
    for role in ROLE_LABELS:
        username = "demo" if role == ADMIN else role.replace("_", "-")
        walks[role] = _walk(browser, live_server, username, phrases)
    # then no page was refused, failed, threw, or spoke English
    problems = [f"{role}: {problem}" for role, (_opened, found) in walks.items() for problem in found]
    opened = {role: opened for role, (opened, _found) in walks.items()}
    assert problems == [], "\n".join(problems) + f"\n\npages opened: {opened}"
    # and each role reached its work (a walk that opens nothing proves nothing)
    assert (
        "/servicing/notices/letters/" in opened["servicing"]
        and "/servicing/escrow/payees/" in opened["servicing"]
    )
    assert "/servicing/notices/letters/" in opened["collections"]
    assert any(path.startswith("/register/loans/") for path in opened["loan_officer"])
    assert (
        "/applications/" in opened["lpo_processor"] and "/applications/" in opened["home_office_underwriter"]
    )
    assert "/admin/" in opened[ADMIN]
