"""The language switch and accessibility basics, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from loanregister.models import UserPreference

pytestmark = pytest.mark.django_db(transaction=True)

# Every form control a person can operate must have an accessible name (WCAG 1.3.1, 4.1.2).
_UNLABELLED_CONTROLS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button')
  .filter(el => {
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const wrapped = el.closest('label');
    const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    return !(byFor || wrapped || aria);
  })
  .map(el => el.outerHTML)
"""

# Text contrast against the nearest opaque background (WCAG 1.4.3 AA: 4.5:1, or 3:1 for large text).
# Disabled controls are exempt by the rule itself; SVG text is checked against the page background.
_LOW_CONTRAST_JS = """
() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('[disabled], [aria-disabled="true"], .visually-hidden')) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0 || box.left < -1000) continue;
    const fg = rgb(el instanceof SVGElement ? style.fill : style.color).slice(0, 3);
    const [l1, l2] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${ratio.toFixed(2)}: ${node.textContent.trim().slice(0, 40)}`);
  }
  return bad;
}
"""


def _assert_accessible_basics(page: Page, expected_lang: str) -> None:
    assert page.evaluate("document.documentElement.lang") == expected_lang
    assert page.evaluate(_UNLABELLED_CONTROLS_JS) == []
    assert page.evaluate(_LOW_CONTRAST_JS) == []
    assert page.locator("h1").count() >= 1, "every page has a heading"
    assert page.locator("main#main").count() == 1, "the skip link has a target"


def test_sign_in_through_the_login_form_and_land_on_home(page: Page, live_server, make_user, sign_in):
    # given a loan officer
    make_user("lise", "loan_officer", first_name="Lise", last_name="Holm")
    # when she signs in through the form
    sign_in(page, "lise")
    # then she lands on her home page, greeted by name
    expect(page.locator("h1")).to_contain_text("Lise Holm")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(page: Page, live_server, make_user):
    make_user("lise", "loan_officer")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("lise")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_language_switch_to_danish_is_remembered_after_signing_in_again(
    page: Page, browser, live_server, make_user, sign_in
):
    # given a user signed in on an English browser
    user = make_user("mads", "loan_officer")
    sign_in(page, "mads")
    assert page.evaluate("document.documentElement.lang") == "en"
    # when he switches to Danish in the top bar
    page.get_by_role("button", name="Dansk").click()
    # then the page speaks Danish at once, and the choice is saved on him
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    assert UserPreference.objects.get(user=user).language == "da"
    # when he signs out, and signs in again on a fresh English browser with no cookies
    page.get_by_role("button", name="Log ud").click()
    other = browser.new_context(locale="en-GB")
    try:
        fresh = other.new_page()
        sign_in(fresh, "mads")
        # then it is Danish still
        expect(fresh.locator("html")).to_have_attribute("lang", "da")
        expect(fresh.get_by_role("button", name="Log ud")).to_be_visible()
    finally:
        other.close()


def test_accessibility_smoke_on_login_and_home(page: Page, live_server, make_user, sign_in):
    # the login page: labelled inputs, a language attribute, the cursor already in the user name
    page.goto(f"{live_server.url}/accounts/login/")
    _assert_accessible_basics(page, "en")
    assert page.evaluate("document.activeElement.id") == "id_username"
    # the home page: the skip link is the first stop of the keyboard, and it moves focus to the content
    make_user("nina", "retention_team")
    sign_in(page, "nina")
    _assert_accessible_basics(page, "en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # and the contrast check does catch pale text (so that its silence above means something)
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<p id=pale style=\\'color:#aaa\\'>pale</p>')"
    )
    assert page.evaluate(_LOW_CONTRAST_JS) == ["2.32: pale"]


def test_every_main_page_in_danish_passes_the_accessibility_smoke(
    page: Page, live_server, book, make_user, sign_in
):
    # given a Danish-speaking user in every role that has pages of its own
    from django.urls import reverse

    user = make_user(
        "sam", "servicing", "collections", "retention_team", "admin", first_name="Sam", last_name="Berg"
    )
    UserPreference.objects.create(user=user, language="da")
    sign_in(page, "sam")
    pages = [
        reverse("home"),
        reverse("loanregister:register"),
        reverse("loanregister:loan", args=[book["target"]]),
        reverse("servicing:home"),
        reverse("servicing:transfer-list"),
        reverse("servicing:transfer-create"),
        reverse("servicing:payoff-create"),
    ]
    for path in pages:
        # when each page is opened
        response = page.goto(f"{live_server.url}{path}")
        # then it answers, in Danish, with labelled controls, readable contrast and a heading
        assert response.status == 200, path
        _assert_accessible_basics(page, "da")
