"""Reading the maturity register (REG-1, REG-3): the filtered list, its keyset pages, totals and ladder.

The view passes `request.GET`; everything else happens here. Costs stay flat at a million loans:
- pages seek on (event_date, id) with a row-value comparison, never OFFSET, so page 1,000 costs page 1;
- the totals and the ladder are one GROUP BY over the filtered set, run only when a capped count (a LIMIT,
  never a COUNT over the whole table) says the set holds at most `REGISTER_AGGREGATE_LIMIT` events.
"""

import calendar
import datetime
import hashlib
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from common.dates import add_months
from common.rates import dkk_rates

from . import register_cache, register_sums
from .filters import RegisterFilter
from .models import RegisterEvent

PAGE_SIZE = 50
DEFAULT_MONTHS = 12


def aggregate_limit() -> int:
    return getattr(settings, "REGISTER_AGGREGATE_LIMIT", 500_000)


def default_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """Today up to and including the same day twelve months on."""
    today = today or timezone.localdate()
    return today, add_months(today, DEFAULT_MONTHS)


def register_filterset(*, data: QueryDict | dict | None, request=None) -> RegisterFilter:
    """The FilterSet over the register; a window not given at all (key absent) is today..+12 months.

    A window field present but empty means "open on that side", so a user can clear the default.
    """
    params = QueryDict(mutable=True)
    if data is not None:
        if isinstance(data, QueryDict):
            params = data.copy()
        else:
            for key, value in data.items():
                if isinstance(value, list | tuple):
                    params.setlist(key, [str(v) for v in value])
                elif value is not None:
                    params[key] = str(value)
    start, end = default_window()
    if "date_from" not in params and "date_to" not in params:
        params["date_from"] = start.isoformat()
        params["date_to"] = end.isoformat()
    return RegisterFilter(params, queryset=RegisterEvent.objects.all(), request=request)


def register_events(*, filterset: RegisterFilter) -> QuerySet:
    """The filtered events, unordered. An invalid filter gives no rows (the form says why) rather than
    silently dropping the bad field and widening the list."""
    if filterset.is_bound and not filterset.is_valid():
        return RegisterEvent.objects.none()
    return filterset.qs.order_by()


# --- keyset pages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    event_date: datetime.date
    id: int

    def encode(self) -> str:
        return f"{self.event_date.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        if not value:
            return None
        try:
            day, _sep, pk = value.partition("_")
            cursor = cls(datetime.date.fromisoformat(day), int(pk))
        except ValueError:
            return None
        return cursor if 0 < cursor.id < 2**63 else None  # a bigint, or no cursor (never a database error)


@dataclass(slots=True)
class Row:
    """One event of a page as the list shows it: its columns and its related rows' names, read as plain values
    (building 50 events and their 250 related model instances cost more than the page's SQL)."""

    id: int
    kind: str
    event_date: datetime.date
    loan_number: str
    loan_type: str
    currency: str
    outstanding_balance: Decimal
    borrower_name: str | None
    office_code: str | None
    officer_username: str | None
    officer_first_name: str | None
    officer_last_name: str | None
    servicer_name: str | None
    # the loan's collections state (DESIGN.md section 5), kept by the collections job
    days_past_due: int = 0
    in_collections: bool = False

    @property
    def officer_name(self) -> str:
        """The officer as `User.get_full_name()` or else the user name ("" when none)."""
        full = f"{self.officer_first_name or ''} {self.officer_last_name or ''}".strip()
        return full or self.officer_username or ""


_ROW_FIELDS = {
    "borrower_name": "borrower__name",
    "office_code": "office__code",
    "officer_username": "officer__username",
    "officer_first_name": "officer__first_name",
    "officer_last_name": "officer__last_name",
    "servicer_name": "servicer__name",
    "days_past_due": "loan__days_past_due",
    "in_collections": "loan__in_collections",
}


@lru_cache(maxsize=1)
def _rows_by_id_sql() -> str:
    """The SQL of a page's rows by id: `RegisterEvent.objects.filter(pk__in=ids).values_list(<Row's columns>)`,
    compiled by the ORM once per process, with `= ANY(%s)` taking the list of ids. Compiling its five joins on
    every page cost more CPU than PostgreSQL's running it (issue 9, target 1)."""
    columns = [_ROW_FIELDS.get(f.name, f.name) for f in fields(Row)]
    sql, _params = (
        RegisterEvent.objects.filter(pk__in=[0]).order_by().values_list(*columns).query.sql_with_params()
    )
    qn = connection.ops.quote_name
    ids_in = f"{qn(RegisterEvent._meta.db_table)}.{qn('id')} IN (%s)"
    if sql.count(ids_in) != 1 or sql.count("%s") != 1:
        raise RuntimeError(f"unexpected SQL for the register's rows: {sql}")
    return sql.replace(ids_in, f"{qn(RegisterEvent._meta.db_table)}.{qn('id')} = ANY(%s)")


@dataclass
class Page:
    rows: list[Row]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None

    @property
    def is_first(self) -> bool:
        return self.prev_cursor is None


def _seek(queryset: QuerySet, cursor: Cursor, *, forward: bool) -> QuerySet:
    """(event_date, id) > cursor (or <): a row-value comparison the (…, event_date, id) indexes answer directly."""
    try:
        from django.db.models.fields.tuple_lookups import (
            Tuple,
            TupleGreaterThan,
            TupleLessThan,
        )
    except ImportError:  # pragma: no cover - older/newer Django without the tuple lookups
        if forward:
            return queryset.filter(
                Q(event_date__gt=cursor.event_date) | Q(event_date=cursor.event_date, id__gt=cursor.id)
            )
        return queryset.filter(
            Q(event_date__lt=cursor.event_date) | Q(event_date=cursor.event_date, id__lt=cursor.id)
        )
    lookup = TupleGreaterThan if forward else TupleLessThan
    return queryset.filter(lookup(Tuple(F("event_date"), F("id")), (cursor.event_date, cursor.id)))


def register_page(
    *,
    queryset: QuerySet,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the filtered events in (event_date, id) order: after a cursor, before one, or the first.

    `id` breaks ties between events on the same date, so the order is total and stable: paging forward and back
    shows every event exactly once. One row more than the page is read to know whether another page follows.
    """
    after_cursor, before_cursor = Cursor.decode(after), Cursor.decode(before)
    keys = queryset.order_by().values_list("id", "event_date")
    if before_cursor is not None:
        found = list(_seek(keys, before_cursor, forward=False).order_by("-event_date", "-id")[: size + 1])
        has_more_before = len(found) > size
        found = list(reversed(found[:size]))
        has_more_after = True
    else:
        base = keys if after_cursor is None else _seek(keys, after_cursor, forward=True)
        found = list(base.order_by("event_date", "id")[: size + 1])
        has_more_after = len(found) > size
        found = found[:size]
        has_more_before = after_cursor is not None
    # The seek reads one table and one index; the page's 50 rows are then loaded with their related rows by
    # primary key. Joining first lets the planner pick a hash join over the whole filtered set instead.
    with connection.cursor() as cursor:
        cursor.execute(_rows_by_id_sql(), [[pk for pk, _day in found]])
        loaded = {values[0]: Row(*values) for values in cursor.fetchall()}
    rows = [loaded[pk] for pk, _day in found if pk in loaded]
    if not rows:
        return Page(rows=[], next_cursor=None, prev_cursor=None)
    first, last = rows[0], rows[-1]
    return Page(
        rows=rows,
        next_cursor=Cursor(last.event_date, last.id) if has_more_after else None,
        prev_cursor=Cursor(first.event_date, first.id) if has_more_before else None,
    )


# --- totals and ladder ----------------------------------------------------------------------------------------


@dataclass
class CurrencyTotal:
    currency: str
    events: int
    balance: Decimal
    rate: Decimal | None  # DKK per one unit; None when no rate was published
    balance_dkk: Decimal | None


@dataclass
class LadderMonth:
    month: datetime.date  # first day
    events: int
    balance_dkk: Decimal  # converted where a rate exists (see Totals.missing_rates)
    date_from: datetime.date  # the month clipped to the filter's window: the bar's link
    date_to: datetime.date
    url: str = ""  # set by the view: the list narrowed to this month
    # where the ladder draws it (viewBox units), and the figure above its bar: set by `register_ladder`
    bar_height: float = 0.0
    bar_y: float = 0.0
    x: float = 0.0
    label_x: float = 0.0
    value_label: str = ""


@dataclass
class Totals:
    """The filtered set's figures. `exact` is False when the set is larger than the aggregate limit."""

    exact: bool
    events: int  # exact, or the limit when not exact ("more than …")
    limit: int
    rate_date: datetime.date
    by_currency: list[CurrencyTotal] = field(default_factory=list)
    months: list[LadderMonth] = field(default_factory=list)

    @property
    def missing_rates(self) -> list[str]:
        return [t.currency for t in self.by_currency if t.rate is None]

    @property
    def balance_dkk(self) -> Decimal:
        """The sum of what could be converted; see `missing_rates` for what could not."""
        return sum((t.balance_dkk for t in self.by_currency if t.balance_dkk is not None), Decimal("0"))

    @property
    def max_month_events(self) -> int:
        return max((m.events for m in self.months), default=0)


def _cache_key(kind: str, sql: str, params, version: int) -> str:
    digest = hashlib.sha256(repr((sql, [str(p) for p in params])).encode()).hexdigest()
    return f"register-{kind}:{version}:{digest}"


def _cached(kind: str, sql: str, params, compute):
    """`compute()`, cached in the shared cache under the register's version and the query (see register_cache)."""
    key = _cache_key(kind, sql, params, register_cache.current_version())
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, register_cache.TIMEOUT)
    return found


def _daily_sums(queryset: QuerySet, limit: int, filterset: RegisterFilter | None = None) -> list[dict] | None:
    """Events and balance per (month, currency) of the filtered set, or None when it holds more than `limit`.

    From the maintained aggregate (register_sums) when the filter is one it answers: a few thousand rows for a
    year. Else exact, over the events, grouped by date, not month: no function per row, so PostgreSQL
    aggregates straight from an index-only scan of (event_date, id) INCLUDE (currency, outstanding_balance, …).
    The exact pass also counts the export note's do-not-contact events and files that count where
    `do_not_contact_in` looks for it, so a cold page evaluates its filter over the events once, not twice.
    """
    answer = None
    if filterset is not None and filterset.is_bound and filterset.is_valid():
        answer = register_sums.sums_filter(filterset.form.cleaned_data)
    if answer is not None:
        # Cached like the exact path: with the balance band in its key a year of the aggregate is ~11,000 rows
        # (5-10 ms to read and group), which every page of a filter would otherwise read again.
        where, params = answer
        daily = _cached("aggregate-sums", where, params, lambda: register_sums.daily_sums(where, params))
        return _by_month(daily, limit)
    inner = queryset.order_by().values("id", "event_date", "currency", "outstanding_balance", "borrower_id")[
        : limit + 1
    ]
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction (a refused one): no rows, no query
        return []
    # One pass gives the sums and what the export note counts (do_not_contact_in): the filter (a name search's
    # trigram match, the window's scan) is evaluated once, not once per figure. The do-not-contact mark is not in
    # the keyset index the filter reads, so the filtered events meet the mark's partial index (event_date, id),
    # not the table.
    # The filter's window bounds the marked events read too (the planner does not carry it across the join).
    bounds, params = "", list(params)
    window_from, window_to = filter_window(filterset) if filterset is not None else (None, None)
    if window_from is not None:
        bounds += " AND marked.event_date >= %s"
        params.append(window_from)
    if window_to is not None:
        bounds += " AND marked.event_date <= %s"
        params.append(window_to)
    sql = (
        "SELECT filtered.event_date, filtered.currency, COUNT(*), SUM(filtered.outstanding_balance),"
        " ARRAY_AGG(filtered.borrower_id) FILTER (WHERE marked.id IS NOT NULL)"
        f" FROM ({sql}) filtered LEFT JOIN {RegisterEvent._meta.db_table} marked"
        " ON marked.borrower_do_not_contact AND marked.event_date = filtered.event_date AND marked.id = filtered.id"
        f"{bounds} GROUP BY filtered.event_date, filtered.currency"
    )
    # Paging through one filter re-uses its sums: the query text and the register's version are the key.
    version = register_cache.current_version()
    key = _cache_key("daily-sums", sql, params, version)
    daily = cache.get(key)
    if daily is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        daily = [(day, currency, n, balance) for day, currency, n, balance, _marked in found]
        to_cache = {key: daily}
        if sum(n for _day, _ccy, n, _sum in daily) <= limit:  # the whole set was read: its count is exact
            marked = [borrower for *_sums, borrowers in found for borrower in borrowers or ()]
            counted_key = _do_not_contact_key(queryset, version)
            if counted_key is not None:
                to_cache[counted_key] = (len({b for b in marked if b is not None}), len(marked))
        cache.set_many(to_cache, register_cache.TIMEOUT)
    return _by_month(daily, limit)


def _by_month(daily: list[tuple], limit: int) -> list[dict] | None:
    if sum(n for _day, _ccy, n, _sum in daily) > limit:
        return None
    sums: dict[tuple[datetime.date, str], dict] = {}
    for day, currency, n, balance in daily:  # balance: the SUM of a NOT NULL numeric(18, 2), a Decimal in øre
        month = day.replace(day=1)
        bucket = sums.setdefault(
            (month, currency), {"month": month, "currency": currency, "n": 0, "balance": Decimal("0")}
        )
        bucket["n"] += n
        bucket["balance"] += balance
    return [sums[key] for key in sorted(sums)]


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def register_totals(
    *,
    queryset: QuerySet,
    window: tuple[datetime.date | None, datetime.date | None] = (None, None),
    rate_date: datetime.date | None = None,
    filterset: RegisterFilter | None = None,
) -> Totals:
    """Number of events and balance in DKK of the filtered set, by currency and by month (the ladder).

    One pass: GROUP BY (event_date, currency) over the filtered set cut at n+1 rows (a LIMIT, never a COUNT over
    the whole table), so a filter matching millions costs what n rows do; n+1 rows means "more than n" and no
    totals. Dates roll up into months here; the totals are the sum of the ladder's months, so both always agree
    with the list.
    Balances convert at the last rate published on or before `rate_date` (today by default). Given the
    `filterset` that made `queryset`, the sums come from the maintained aggregate when it can answer the filter
    (the same figures, from a few thousand rows: register_sums.py).
    """
    limit = aggregate_limit()
    rate_date = rate_date or timezone.localdate()
    rows = _daily_sums(queryset, limit, filterset)
    if rows is None:
        return Totals(exact=False, events=limit, limit=limit, rate_date=rate_date)
    rates = dkk_rates({row["currency"] for row in rows}, rate_date)
    by_currency: dict[str, CurrencyTotal] = {}
    by_month: dict[datetime.date, LadderMonth] = {}
    window_from, window_to = window
    for row in rows:
        month = row["month"]
        currency, balance = row["currency"], row["balance"]
        rate = rates.get(currency)
        total = by_currency.setdefault(
            currency,
            CurrencyTotal(currency, 0, Decimal("0"), rate, Decimal("0") if rate is not None else None),
        )
        total.events += row["n"]
        total.balance += balance
        converted = (balance * rate).quantize(Decimal("0.01")) if rate is not None else Decimal("0")
        if total.balance_dkk is not None:
            total.balance_dkk += converted
        rung = by_month.get(month)
        if rung is None:
            start, end = month, _month_end(month)
            if window_from and window_from > start:
                start = window_from
            if window_to and window_to < end:
                end = window_to
            rung = by_month[month] = LadderMonth(month, 0, Decimal("0"), start, end)
        rung.events += row["n"]
        rung.balance_dkk += converted
    totals = Totals(
        exact=True,
        events=sum(t.events for t in by_currency.values()),
        limit=limit,
        rate_date=rate_date,
        by_currency=sorted(by_currency.values(), key=lambda t: (t.currency != "DKK", t.currency)),
        months=[by_month[m] for m in sorted(by_month)],
    )
    return totals


# --- the ladder's drawing ------------------------------------------------------------------------------------

# Geometry of the ladder's SVG in viewBox units; the page draws it at 100% of its width (the viewBox scales),
# no narrower than LADDER_MIN_SCALE of these units in pixels (below that the ladder scrolls sideways).
LADDER_SLOT = 56.0  # per month: wide enough for "Sep", a six-digit count or "999,9 mio." above the bar
LADDER_MIN_WIDTH = 720.0  # a short window's months share this width rather than drawing a tall, narrow chart
LADDER_MAX_BAR = 64.0
LADDER_HEIGHT = 140.0  # the tallest bar
LADDER_TOP = 16.0  # room for the figure above the tallest bar
LADDER_BOTTOM = 34.0  # month and year under the axis
LADDER_MIN_BAR = 2.0  # a month with events stays visible beside a peak month
LADDER_MIN_SCALE = 0.75
# The axis runs over the filter's window (empty months included) when the window spans at most this many
# months, else from the first to the last month with events (empty months between them included).
LADDER_WINDOW_MONTHS = 60
LADDER_MODES = ("events", "balance")


@dataclass
class Ladder:
    """The maturity ladder as drawn: every month on its time axis, empty ones included, in `mode` ("events":
    bar heights are counts; "balance": the balance in DKK)."""

    mode: str
    months: list[LadderMonth]
    width: float
    height: float = LADDER_TOP + LADDER_HEIGHT + LADDER_BOTTOM
    axis_y: float = LADDER_TOP + LADDER_HEIGHT
    bar_width: float = LADDER_MAX_BAR

    @property
    def min_width_px(self) -> int:
        return round(self.width * LADDER_MIN_SCALE)


def ladder_mode(data) -> str:
    """`ladder=balance` draws balances; anything else (or nothing) counts. A display choice, never refused."""
    value = data.get("ladder") if data is not None else None
    return value if value in LADDER_MODES else "events"


def _months_between(first: datetime.date, last: datetime.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _axis(
    months: list[datetime.date], window: tuple[datetime.date | None, datetime.date | None]
) -> list[datetime.date]:
    first, last = months[0], months[-1]
    window_from, window_to = window
    start = window_from.replace(day=1) if window_from else first
    end = window_to.replace(day=1) if window_to else last
    if _months_between(start, end) + 1 > LADDER_WINDOW_MONTHS:
        start, end = first, last
    start, end = min(start, first), max(end, last)
    return [add_months(start, n) for n in range(_months_between(start, end) + 1)]


def compact_amount(amount: Decimal) -> str:
    """A balance short enough to stand above a bar, in the reader's language: 98,8 mio. / 98.8 m."""
    units = [
        (Decimal(1), None),
        (Decimal("1e3"), _("%(amount)s k")),
        (Decimal("1e6"), _("%(amount)s m")),
        (Decimal("1e9"), _("%(amount)s bn")),
    ]
    value = abs(amount)
    index = max(n for n, (size, _unit) in enumerate(units) if n == 0 or value >= size)
    while True:
        size, unit = units[index]
        places = 1 if unit is not None and value / size < 100 else 0
        scaled = (amount / size).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if abs(scaled) >= 1000 and index + 1 < len(units):
            index += 1  # 999,999 is 1.0 m, not 1,000 k
            continue
        number = number_format(scaled, decimal_pos=places, force_grouping=True)
        return number if unit is None else unit % {"amount": number}


def register_ladder(
    *,
    totals: Totals,
    window: tuple[datetime.date | None, datetime.date | None] = (None, None),
    mode: str = "events",
) -> Ladder:
    """The ladder of `totals`: its months on a time axis that keeps the empty ones (see `_axis`), bars scaled
    to the peak month's count or DKK balance, laid out to fill the width (viewBox) the page gives it."""
    mode = mode if mode in LADDER_MODES else "events"
    if not totals.months:
        return Ladder(mode=mode, months=[], width=LADDER_MIN_WIDTH)
    by_month = {rung.month: rung for rung in totals.months}
    window_from, window_to = window
    months = []
    for month in _axis(sorted(by_month), window):
        rung = by_month.get(month)
        if rung is None:
            start, end = month, _month_end(month)
            start = max(start, window_from) if window_from else start
            end = min(end, window_to) if window_to else end
            rung = LadderMonth(month, 0, Decimal("0"), start, end)
        months.append(rung)
    width = max(LADDER_MIN_WIDTH, LADDER_SLOT * len(months))
    slot = width / len(months)
    bar_width = min(LADDER_MAX_BAR, round(slot * 0.7, 1))

    def measure(rung: LadderMonth):
        return rung.events if mode == "events" else max(rung.balance_dkk, Decimal("0"))

    peak = max((measure(rung) for rung in months), default=0) or 1
    for index, rung in enumerate(months):
        value = measure(rung)
        height = LADDER_HEIGHT * float(value) / float(peak)
        rung.bar_height = round(max(height, LADDER_MIN_BAR) if value else 0.0, 1)
        rung.bar_y = round(LADDER_TOP + LADDER_HEIGHT - rung.bar_height, 1)
        rung.x = round(index * slot + (slot - bar_width) / 2, 1)
        rung.label_x = round(index * slot + slot / 2, 1)
        if mode == "events":
            rung.value_label = number_format(rung.events, force_grouping=True) if rung.events else ""
        else:
            rung.value_label = compact_amount(rung.balance_dkk) if rung.events else ""
    return Ladder(mode=mode, months=months, width=round(width, 1), bar_width=bar_width)


# --- what an export leaves out --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoNotContact:
    borrowers: int
    events: int


def do_not_contact_in(*, events: QuerySet) -> DoNotContact:
    """Borrowers marked do-not-contact in the filtered list, and their events: what an export leaves out unless
    asked. One query over the partial index of the events whose borrower is marked (the mark is copied onto the
    events by register_events_sync; such borrowers are few); none for a refused filter."""
    counted = _do_not_contact_events(events)
    try:
        sql, params = counted.values("borrower_id", "id").query.sql_with_params()
    except EmptyResultSet:  # a refused filter
        return DoNotContact(borrowers=0, events=0)

    def count() -> tuple[int, int]:
        found = counted.aggregate(borrowers=Count("borrower_id", distinct=True), events=Count("id"))
        return found["borrowers"] or 0, found["events"] or 0

    # The partial index of do-not-contact events (3% of them) answers it; cached like the totals (the exact path's
    # totals file it beside their sums, from the same pass: `_daily_sums`). Marking a borrower do-not-contact syncs
    # their events, which bumps the register's version (register_cache's receiver).
    borrowers, events_left_out = _cached("do-not-contact", sql, params, count)
    return DoNotContact(borrowers=borrowers, events=events_left_out)


def _do_not_contact_events(events: QuerySet) -> QuerySet:
    return events.order_by().filter(borrower_do_not_contact=True)  # the mark copied by the sync


def _do_not_contact_key(events: QuerySet, version: int) -> str | None:
    """The cache key `do_not_contact_in(events=events)` reads at `version` (None for a refused filter)."""
    try:
        sql, params = _do_not_contact_events(events).values("borrower_id", "id").query.sql_with_params()
    except EmptyResultSet:
        return None
    return _cache_key("do-not-contact", sql, params, version)


def filter_window(filterset: RegisterFilter) -> tuple[datetime.date | None, datetime.date | None]:
    """The window the filter applied (after validation), for the ladder's links."""
    if not filterset.is_bound or not filterset.is_valid():
        return None, None
    data = filterset.form.cleaned_data
    return data.get("date_from"), data.get("date_to")
