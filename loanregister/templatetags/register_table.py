"""The register page's repeated parts drawn in Python (issue 9, target 1): the 50 rows of the list and the ladder's
bars and table. As template loops they cost 30-40 ms a page (about 40,000 template nodes: a variable, a filter and
an escape per cell); here one pass of string building, the same HTML.

    {% load register_table %}{% register_rows page.rows %} {% ladder_bars ladder %} {% ladder_table_rows ladder %}

A new column of the list: its heading in `_COLUMNS` (drawn by `register_head`), its value on `register.Row` (a
field, with its ORM path in `register._ROW_FIELDS` when it comes from a related row, e.g. "loan__days_past_due")
and its `<td>` in `register_rows` below, escaped.
"""

from functools import lru_cache
from html import escape as _html_escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop, ngettext

from common.templatetags.money import format_money

from ..choices import LoanType, RegisterEventKind

register = template.Library()
_PLACEHOLDER = "0-placeholder-0"


def escape(value) -> str:
    """Django's `escape` without its lazy-string wrapper (a third of the rows' time): the same `html.escape`."""
    return _html_escape(str(value))


@lru_cache(maxsize=4096)
def _date_in(language: str, day, fmt: str) -> str:
    return date_format(day, fmt)


def _date(day, fmt: str) -> str:
    """A date in the active language's format, from the process's memory after the first time: the ladder writes
    ~50 month labels a page, each a dozen translation lookups in `date_format`."""
    return _date_in(translation.get_language(), day, fmt)


def _loan_url_prefix() -> str:
    return reverse("loanregister:loan", args=[_PLACEHOLDER]).replace(f"{_PLACEHOLDER}/", "")


# The list's columns: heading and whether it holds a figure (right-aligned), in the order of register_rows' cells.
# gettext_noop marks them for makemessages; register_head translates them in the active language.
_COLUMNS = (
    (gettext_noop("Date"), False),
    (gettext_noop("Event"), False),
    (gettext_noop("Loan number"), False),
    (gettext_noop("Borrower"), False),
    (gettext_noop("Loan type"), False),
    (gettext_noop("Outstanding balance"), True),
    (gettext_noop("Days past due"), True),
    (gettext_noop("Office"), False),
    (gettext_noop("Officer"), False),
    (gettext_noop("Servicer"), False),
)


@register.simple_tag
def register_head() -> SafeString:
    """The list's heading row (ten `{% translate %}` tags cost more than the gettext calls here)."""
    figure_class = ' class="num"'
    cells = "".join(
        f'<th scope="col"{figure_class if figure else ""}>{escape(gettext(heading))}</th>'
        for heading, figure in _COLUMNS
    )
    return mark_safe(f"<tr>{cells}</tr>")  # noqa: S308 - the headings are escaped


@register.simple_tag
def register_rows(rows) -> SafeString:
    """The list's rows (register.Row), as `register.html` drew them cell by cell (data attributes, links and formats
    alike)."""
    prefix = _loan_url_prefix()
    kinds = {value: str(label) for value, label in RegisterEventKind.choices}
    types = {value: str(label) for value, label in LoanType.choices}
    dates: dict = {}
    # a loan in collections is flagged beside its number (DESIGN.md section 5)
    in_collections = escape(gettext("In collections"))  # outside the f-string, where xgettext finds it
    in_collections_flag = f' <span class="badge error in-collections">{in_collections}</span>'
    language = translation.get_language()
    parts = []
    for event in rows:
        day = event.event_date
        shown = dates.get(day)
        if shown is None:
            shown = dates[day] = escape(_date(day, "SHORT_DATE_FORMAT"))
        iso = day.isoformat()
        number = escape(event.loan_number)
        href = escape(prefix + quote(event.loan_number, safe=RFC3986_SUBDELIMS + "/~:@") + "/")
        borrower = escape(event.borrower_name or "")
        office = escape(event.office_code or "")
        servicer = escape(event.servicer_name or "")
        officer = escape(event.officer_name)
        flag = in_collections_flag if event.in_collections else ""
        parts.append(
            f'<tr data-event-id="{event.id}" data-kind="{escape(event.kind)}" data-date="{iso}"'
            f' data-loan="{number}"{" data-in-collections" if flag else ""}>'
            f'<td><time datetime="{iso}">{shown}</time></td>'
            f"<td>{escape(kinds.get(event.kind, event.kind))}</td>"
            f'<td><a href="{href}">{number}</a>{flag}</td>'
            f"<td>{borrower}</td>"
            f"<td>{escape(types.get(event.loan_type, event.loan_type))}</td>"
            f'<td class="num balance">{escape(format_money(event.outstanding_balance, event.currency, language=language))}</td>'
            f'<td class="num days-past-due">{event.days_past_due or ""}</td>'
            f"<td>{office}</td><td>{officer}</td><td>{servicer}</td></tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _n(value) -> str:
    return f"{value}".replace(",", ".")  # a viewBox figure, never localized


@lru_cache(maxsize=4096)
def _rung_texts(language: str, month, events: int, balance_dkk) -> tuple[str, str, str, str, str, str]:
    """A ladder month's texts, escaped: its bar's label, the month ("F Y", "M", "y"), the events and the balance.
    Kept per language and figures, as the same ladder is drawn again on every page of one filter (issue 9,
    target 1); `language` is the active one, part of the key only."""
    balance = format_money(balance_dkk, "DKK", language=language)
    label = ngettext(
        "%(month)s: %(n)s event, %(balance)s", "%(month)s: %(n)s events, %(balance)s", events
    ) % {"month": date_format(month, "F Y"), "n": number_format(events), "balance": balance}
    return (
        escape(label),
        escape(date_format(month, "F Y")),
        escape(date_format(month, "M")),
        escape(date_format(month, "y")),
        escape(number_format(events, force_grouping=True)),
        escape(balance),
    )


def _texts(rung) -> tuple[str, str, str, str, str, str]:
    return _rung_texts(translation.get_language(), rung.month, rung.events, rung.balance_dkk)


@register.simple_tag
def ladder_bars(ladder) -> SafeString:
    """The ladder's months in its SVG: a link per month with events (its bar, the figure above it, month and
    year), a group per empty month; as `register.html` drew them."""
    parts = []
    axis = ladder.axis_y
    for rung in ladder.months:
        label, _month, short_month, year, _events, _balance = _texts(rung)
        month_iso = rung.month.strftime("%Y-%m")
        below = (
            f'<text x="{_n(rung.label_x)}" y="{int(axis) + 14}" class="ladder-month" text-anchor="middle">'
            f"{short_month}</text>"
            f'<text x="{_n(rung.label_x)}" y="{int(axis) + 28}" class="ladder-year" text-anchor="middle">'
            f"{year}</text>"
        )
        if rung.events:
            parts.append(
                f'<a href="{escape(rung.url)}" class="ladder-bar" aria-label="{label}" data-month="{month_iso}"'
                f' data-events="{rung.events}" data-balance-dkk="{rung.balance_dkk}">'
                f"<title>{label}</title>"
                f'<rect class="ladder-hit" x="{_n(rung.x)}" y="0" width="{_n(ladder.bar_width)}"'
                f' height="{_n(ladder.height)}" />'
                f'<rect x="{_n(rung.x)}" y="{_n(rung.bar_y)}" width="{_n(ladder.bar_width)}"'
                f' height="{_n(rung.bar_height)}" />'
                f'<text x="{_n(rung.label_x)}" y="{int(rung.bar_y) - 3}" class="ladder-count" text-anchor="middle"'
                f' aria-hidden="true">{escape(rung.value_label)}</text>'
                f"{below}</a>\n"
            )
        else:
            parts.append(
                f'<g class="ladder-empty" data-month="{month_iso}" data-events="0"><title>{label}</title>'
                f"{below}</g>\n"
            )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag
def ladder_table_rows(ladder) -> SafeString:
    """The ladder as a table's rows (month, events, balance in DKK)."""
    parts = []
    for rung in ladder.months:
        _label, month, _short_month, _year, events, balance = _texts(rung)
        head = f'<a href="{escape(rung.url)}">{month}</a>' if rung.events else month
        parts.append(
            f'<tr data-month="{rung.month.strftime("%Y-%m")}"><th scope="row">{head}</th>'
            f'<td class="num">{events}</td><td class="num">{balance}</td></tr>\n'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
