"""The maturity ladder (issue 8, item 9; REG-1): empty months stay on the time axis, the chart takes the width it is
given (a viewBox at 100%), and it shows balances as well as counts (`ladder=balance`, no JavaScript)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from common.models import ExchangeRate
from loanregister.register import (
    LADDER_SLOT,
    add_months,
    compact_amount,
    register_events,
    register_filterset,
    register_ladder,
    register_totals,
)

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date
PAGE_URL = reverse("loanregister:register")
HALF_YEAR = {"date_from": "2030-01-01", "date_to": "2030-06-30"}


@pytest.fixture
def show(client):
    client.force_login(make.user("officer", "loan_officer"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def _get(query: dict) -> str:
        response = client.get(PAGE_URL, query)
        assert response.status_code == 200
        return response.content.decode()

    return _get


@pytest.fixture
def two_months():
    """January 2030: one loan of 1,000,000 kr.; April 2030: three loans of 100,000 kr. (fewer kroner, more loans)."""
    make.loan(maturity_date=D(2030, 1, 10), outstanding_balance=Decimal("1000000.00"))
    for _ in range(3):
        make.loan(maturity_date=D(2030, 4, 10), outstanding_balance=Decimal("100000.00"))


def _svg(html: str) -> str:
    return re.search(r'<svg role="img".*?</svg>', html, re.S).group(0)


def _months(svg: str) -> list[tuple[str, str, str]]:
    """(class, month, events) of each month drawn, in order."""
    return re.findall(
        r'class="(ladder-bar|ladder-empty)"[^>]*?data-month="([0-9-]+)" data-events="([0-9]+)"', svg
    )


def _bar_heights(svg: str) -> dict[str, float]:
    heights = {}
    for block in re.findall(r'<a href="[^"]*" class="ladder-bar".*?</a>', svg, re.S):
        month = re.search(r'data-month="([0-9-]+)"', block).group(1)
        rect = re.search(r'<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="([0-9.]+)" />', block)
        heights[month] = float(rect.group(1))
    return heights


def _labels(svg: str) -> dict[str, str]:
    """The figure above each bar, by month."""
    labels = {}
    for block in re.findall(r'<a href="[^"]*" class="ladder-bar".*?</a>', svg, re.S):
        month = re.search(r'data-month="([0-9-]+)"', block).group(1)
        labels[month] = re.search(r'class="ladder-count"[^>]*>([^<]*)</text>', block).group(1)
    return labels


def test_reg1_ladder_keeps_the_empty_months_of_the_window_on_its_axis(show, two_months):
    svg = _svg(show(HALF_YEAR))
    assert _months(svg) == [
        ("ladder-bar", "2030-01", "1"),
        ("ladder-empty", "2030-02", "0"),
        ("ladder-empty", "2030-03", "0"),
        ("ladder-bar", "2030-04", "3"),
        ("ladder-empty", "2030-05", "0"),
        ("ladder-empty", "2030-06", "0"),
    ]
    # an empty month is labelled on the axis and named for a screen reader, but is no link to an empty list
    empty = re.search(r'<g class="ladder-empty" data-month="2030-02".*?</g>', svg, re.S).group(0)
    assert ">Feb</text>" in empty and "<title>February 2030: 0 events" in empty and "href" not in empty


def test_reg1_ladder_table_lists_the_empty_months_too(show, two_months):
    html = show(HALF_YEAR)
    table = re.search(r'<table class="data" id="ladder-table">.*?</table>', html, re.S).group(0)
    assert re.findall(r'<tr data-month="([0-9-]+)">', table) == [f"2030-0{m}" for m in range(1, 7)]


def test_reg1_ladder_axis_for_a_wide_or_open_window_runs_from_the_first_to_the_last_month_with_events(
    two_months,
):
    for window in ({"date_from": "2000-01-01", "date_to": "2099-12-31"}, {"date_from": "", "date_to": ""}):
        filterset = register_filterset(data=window)
        events = register_events(filterset=filterset)
        cleaned = filterset.form.cleaned_data
        ladder = register_ladder(
            totals=register_totals(queryset=events),
            window=(cleaned.get("date_from"), cleaned.get("date_to")),
        )
        assert [(m.month, m.events) for m in ladder.months] == [
            (D(2030, 1, 1), 1),
            (D(2030, 2, 1), 0),
            (D(2030, 3, 1), 0),
            (D(2030, 4, 1), 3),
        ]


def test_reg1_ladder_for_the_default_window_shows_its_thirteen_months(show):
    today = timezone.localdate()
    make.loan(maturity_date=add_months(today, 2))
    svg = _svg(show({}))
    months = [month for _cls, month, _n in _months(svg)]
    first = today.replace(day=1)
    assert months == [add_months(first, n).strftime("%Y-%m") for n in range(13)]


def test_reg1_ladder_takes_the_width_it_is_given(show, two_months):
    svg = _svg(show(HALF_YEAR))
    tag = re.match(r"<svg[^>]*>", svg).group(0)
    # then it scales to its container (a viewBox at 100% width), with no fixed pixel size
    assert 'width="100%"' in tag and "height=" not in tag
    view_width = float(re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', tag).group(1))
    # and its months share the whole width: the last month's label sits in the last slot
    label_xs = [float(x) for x in re.findall(r'<text x="([0-9.]+)"[^>]*class="ladder-month"', svg)]
    slot = view_width / 6
    assert label_xs == pytest.approx([slot * (n + 0.5) for n in range(6)], abs=0.1)
    # a long axis is wider rather than cramped, and scrolls below a legible size
    many = _svg(show({"date_from": "2030-01-01", "date_to": "2033-12-31"}))
    many_tag = re.match(r"<svg[^>]*>", many).group(0)
    assert float(re.search(r'viewBox="0 0 ([0-9.]+)', many_tag).group(1)) == 48 * LADDER_SLOT
    assert re.search(r'style="min-width: [0-9]+px"', many_tag)


def test_reg1_ladder_shows_counts_by_default_and_balances_on_request(show, two_months):
    # counts: April (3 loans) is the peak month
    counts = _svg(show(HALF_YEAR))
    heights = _bar_heights(counts)
    assert heights["2030-04"] == 140.0 and heights["2030-01"] == pytest.approx(140 / 3, abs=0.1)
    assert _labels(counts) == {"2030-01": "1", "2030-04": "3"}
    # balances: January (1,000,000 kr.) is the peak month, April 300,000 kr.
    html = show({**HALF_YEAR, "ladder": "balance"})
    balances = _svg(html)
    heights = _bar_heights(balances)
    assert heights["2030-01"] == 140.0 and heights["2030-04"] == pytest.approx(140 * 0.3, abs=0.1)
    assert _labels(balances) == {"2030-01": "1.0 m", "2030-04": "300 k"}
    assert 'data-balance-dkk="1000000.00"' in balances
    assert 'data-mode="balance"' in html


def test_reg1_ladder_balance_mode_converts_other_currencies_to_dkk(show):
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2020, 1, 2), rate=Decimal("746.00"))
    make.loan(maturity_date=D(2030, 1, 10), currency="EUR", outstanding_balance=Decimal("100000.00"))
    make.loan(maturity_date=D(2030, 2, 10), outstanding_balance=Decimal("373000.00"))
    svg = _svg(show({**HALF_YEAR, "ladder": "balance"}))
    heights = _bar_heights(svg)
    assert heights == {"2030-01": 140.0, "2030-02": 70.0}  # 746,000 kr. and half of it


def test_reg1_ladder_mode_is_a_link_and_stays_with_the_filter(show, two_months):
    html = show({**HALF_YEAR, "kind": "maturity", "ladder": "balance"})
    balance_link = re.search(r'<a id="ladder-mode-balance" href="([^"]+)"', html).group(1)
    events_link = re.search(r'<a id="ladder-mode-events" href="([^"]+)"', html).group(1)
    assert "ladder=balance" in balance_link and "kind=maturity" in balance_link
    assert "ladder" not in events_link and "kind=maturity" in events_link
    assert 'aria-current="true">Balance (DKK)</a>' in html
    # the filter form, the pager and the bars keep the mode
    assert '<input type="hidden" name="ladder" value="balance">' in html
    bar_links = re.findall(r'<a href="([^"]+)" class="ladder-bar"', html)
    assert bar_links and all("ladder=balance" in link for link in bar_links)
    # anything but "balance" draws counts, without a refusal
    assert 'data-mode="events"' in show({**HALF_YEAR, "ladder": "<bogus>"})


@pytest.mark.parametrize(
    ("amount", "english"),
    [
        ("0", "0"),
        ("950.40", "950"),
        ("999.60", "1.0 k"),
        ("12345", "12.3 k"),
        ("999999", "1.0 m"),
        ("1234567.89", "1.2 m"),
        ("98765432.10", "98.8 m"),
        ("123456789", "123 m"),
        ("2500000000", "2.5 bn"),
    ],
)
def test_reg1_ladder_balances_are_short_in_the_readers_language(amount, english):
    with translation.override("en"):
        assert compact_amount(Decimal(amount)) == english
    with translation.override("da"):  # the Danish decimal comma and grouping dot; the unit from the catalogue
        danish = compact_amount(Decimal(amount))
        assert danish.split(" ")[0] == english.split(" ")[0].replace(",", "#").replace(".", ",").replace(
            "#", "."
        )


def test_reg1_the_ladders_month_names_follow_the_language_of_each_page(client, two_months):
    """The month labels are kept in the process's memory by language (issue 9): a Danish page after an English
    one says januar, not January, and the amounts follow too."""
    client.force_login(make.user("officer", "loan_officer"))
    pages = {}
    for language in ("en", "da", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(PAGE_URL, HALF_YEAR)
        assert response.status_code == 200
        pages.setdefault(language, []).append(response.content.decode())
    english, danish = pages["en"][-1], pages["da"][0]
    assert "January 2030" in english and "januar 2030" not in english
    assert "januar 2030" in danish and "January 2030" not in danish
    assert "1.000.000,00 kr." in danish and "DKK 1,000,000.00" in english
    assert "January 2030" in pages["en"][0]
