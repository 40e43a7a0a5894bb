"""The register's maintained aggregate (issue 9, target 2): events and balance per day, event kind and the filter
columns that matter, so that the totals and the ladder of a filtered register page read a few thousand rows
instead of every event of the window.

`RegisterDaySum` holds, per (event_date, kind, currency, loan_type, office, servicer, recourse, status, balance band),
the number of register events and the sum of their outstanding balance. The balance band (`BALANCE_EDGES`) lets
the aggregate answer a balance bound exactly when the bound is one of the edges (1, 2, 2.5 and 5 in each decade from
1,000 to 100 million, and 0: the round figures people type); any other bound takes the exact path. It is kept in step by `register_events_sync` (the
only writer of register events, which every import, payment, payoff, status change and servicing transfer calls):
before the sync rewrites a loan's events it reads their sums (locking the events), after it reads them again, and
the difference is added to the aggregate in one statement, its rows in key order (so that two concurrent syncs
never wait on each other in a cycle). A sync of the whole book rebuilds the aggregate from the events.

`sums_filter` says whether a register filter can be answered from the aggregate: a window, event kinds, loan
types, an office, a servicer, a currency, recourse, loan status and a balance bound on a band's edge can; anything
else (officer, "only my loans", other balance bounds, a search, and any filter added later) takes the exact path
over the events (register.py).
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from django.db import connection, models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from common.models import MONEY

from .choices import LoanStatus, LoanType, RegisterEventKind
from .models import Loan

TABLE = "loanregister_registerdaysum"
# The balance bands' edges, ascending. An event's band is the number of edges at or below its balance
# (PostgreSQL's width_bucket): 0 below the first edge, n for edges[n - 1] <= balance < edges[n]. So "balance at
# least edges[i]" is "band >= i + 1" and "balance below edges[i]" is "band <= i", exactly. Round figures only:
# each edge splits the aggregate's rows (about 3.6 times as many rows as without bands, 11,000 for a year of the
# million-loan book instead of 2,500); changing them needs a migration that rebuilds the aggregate.
BALANCE_EDGES = (
    Decimal(0),
    *(Decimal(mantissa) * 10**exponent for exponent in range(3, 8) for mantissa in ("1", "2", "2.5", "5")),
    Decimal(10**8),
)
BALANCE_BAND_SQL = (
    "width_bucket(outstanding_balance, "
    f"'{{{','.join(str(edge) for edge in BALANCE_EDGES)}}}'::numeric[])::smallint"
)
# The aggregate's key, as columns of the aggregate and as expressions over the register events.
KEY = (
    "event_date",
    "kind",
    "currency",
    "loan_type",
    "office_id",
    "servicer_id",
    "recourse",
    "status",
    "balance_band",
)
_EVENT_KEY = (
    "event_date",
    "kind",
    "currency",
    "loan_type",
    "COALESCE(office_id, 0)",
    "COALESCE(servicer_id, 0)",
    "recourse",
    "status",
    BALANCE_BAND_SQL,
)
_ARRAY_TYPES = (
    "date[]",
    "varchar[]",
    "varchar[]",
    "varchar[]",
    "bigint[]",
    "bigint[]",
    "boolean[]",
    "varchar[]",
    "smallint[]",
)


class RegisterDaySum(models.Model):
    """Register events and their balance per day and filter columns: see the module's docstring. Written only by
    `register_sums` (through `register_events_sync`); 0 stands for "no office" / "no servicer"."""

    event_date = models.DateField(_("event date"))
    # the events' own choices: the admin filters by them without a SELECT DISTINCT over the aggregate
    kind = models.CharField(_("event"), max_length=20, choices=RegisterEventKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    loan_type = models.CharField(_("loan type"), max_length=20, choices=LoanType.choices)
    office_id = models.BigIntegerField(_("office"))
    servicer_id = models.BigIntegerField(_("servicer"))
    recourse = models.BooleanField(_("recourse"))
    status = models.CharField(_("status"), max_length=20, choices=LoanStatus.choices)
    # see BALANCE_EDGES: 0 below the first edge, n from the n-th edge (inclusive) to the next (exclusive)
    balance_band = models.SmallIntegerField(_("balance band"), default=0)
    events = models.BigIntegerField(_("events"))
    balance = models.DecimalField(
        _("outstanding balance"), max_digits=24, decimal_places=MONEY["decimal_places"]
    )

    class Meta:
        verbose_name = _("register day sum")
        verbose_name_plural = _("register day sums")
        constraints = [
            # the key, led by the date: a window is one range scan; INCLUDE makes the sums index-only, and the
            # admin's pages too (a page's ids in the key's order: a deep filtered page read the table, 90 ms)
            models.UniqueConstraint(
                fields=list(KEY), include=["events", "balance", "id"], name="register_day_sum_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_date} {self.kind} {self.currency}: {self.events}"


Key = tuple
Sums = dict[Key, list]  # key -> [events, balance]


def sums_of_loans(cursor, loan_ids: list[int] | None) -> Sums:
    """The current sums of the loans' register events (all events for None), their rows locked until commit."""
    scope = "" if loan_ids is None else "WHERE loan_id = ANY(%s)"
    lock = "" if loan_ids is None else "FOR UPDATE"
    cursor.execute(
        f"SELECT {', '.join(KEY)}, COUNT(*), SUM(outstanding_balance) FROM ("
        f"SELECT {', '.join(f'{expr} AS {name}' for expr, name in zip(_EVENT_KEY, KEY, strict=True))},"
        f" outstanding_balance FROM loanregister_registerevent {scope} {lock}) e GROUP BY {', '.join(KEY)}",
        [] if loan_ids is None else [list(loan_ids)],
    )
    return {tuple(row[: len(KEY)]): [row[-2], row[-1]] for row in cursor.fetchall()}


def difference(before: Sums, after: Sums) -> Sums:
    delta: Sums = defaultdict(lambda: [0, Decimal("0")])
    for key, (n, balance) in after.items():
        delta[key][0] += n
        delta[key][1] += balance
    for key, (n, balance) in before.items():
        delta[key][0] -= n
        delta[key][1] -= balance
    return {key: value for key, value in delta.items() if value[0] or value[1]}


def apply_delta(cursor, delta: Mapping[Key, list]) -> None:
    """Add `delta` to the aggregate: one upsert, rows in key order. Rows that fall to zero events stay (they add
    nothing; the readers skip them) until the next whole-book sync rebuilds the table."""
    if not delta:
        return
    keys = sorted(delta)
    columns = [list(column) for column in zip(*keys, strict=True)]
    unnest = ", ".join(f"%s::{kind}" for kind in (*_ARRAY_TYPES, "bigint[]", "numeric[]"))
    cursor.execute(
        f"INSERT INTO {TABLE} AS s ({', '.join(KEY)}, events, balance)"
        f" SELECT * FROM unnest({unnest}) ORDER BY {', '.join(f'{n}' for n in range(1, len(KEY) + 1))}"
        f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE"
        " SET events = s.events + excluded.events, balance = s.balance + excluded.balance",
        [*columns, [delta[k][0] for k in keys], [delta[k][1] for k in keys]],
    )


def rebuild(cursor) -> None:
    """The aggregate from the events, whole (a sync of the whole book; `register_sums_rebuild`)."""
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(
        f"INSERT INTO {TABLE} ({', '.join(KEY)}, events, balance)"
        f" SELECT {', '.join(_EVENT_KEY)}, COUNT(*), SUM(outstanding_balance)"
        f" FROM loanregister_registerevent GROUP BY {', '.join(str(n) for n in range(1, len(KEY) + 1))}"
    )


def register_sums_rebuild() -> None:
    """Rebuild the aggregate from the register events (also what a whole-book sync does)."""
    with connection.cursor() as cursor:
        rebuild(cursor)


def register_sums_drift() -> list[tuple]:
    """Keys where the aggregate and the events disagree (empty when in step): for tests and a health check."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(KEY)}, events, balance FROM {TABLE} WHERE events <> 0")
        stored = {tuple(row[: len(KEY)]): [row[-2], row[-1]] for row in cursor.fetchall()}
        actual = sums_of_loans(cursor, None)
    return sorted(difference(stored, actual), key=repr)


@receiver(pre_delete, sender=Loan, dispatch_uid="register_sums_loan_deleted")
def _loan_deleted(sender, instance: Loan, **kwargs) -> None:
    """A deleted loan's events go with it (a cascade, not a sync): take them out of the aggregate first, and move
    the register's version on, so that nothing cached from them is read again."""
    from .register_cache import bump_version

    with connection.cursor() as cursor:
        apply_delta(cursor, difference(sums_of_loans(cursor, [instance.pk]), {}))
    bump_version()


# --- reading -------------------------------------------------------------------------------------------------

# The register filter's fields the aggregate answers, and how. Any other field with a value: the exact path.
ANSWERED = {
    "date_from",
    "date_to",
    "kind",
    "loan_type",
    "office",
    "servicer",
    "currency",
    "recourse",
    "status",
    "balance_min",
    "balance_max",
}
# Fields whose false value filters nothing ("only my loans" unticked).
_FALSE_IS_EMPTY = {"mine"}


def _empty(name: str, value) -> bool:
    if value is None or value == "" or value == [] or value == ():
        return True
    return name in _FALSE_IS_EMPTY and value is False


# The smallest step of a balance (numeric(18, 2)): "balance <= x" is "balance < x + 0.01".
_CENT = Decimal("0.01")


def balance_bands(
    balance_min: Decimal | None, balance_max: Decimal | None
) -> tuple[int | None, int | None] | None:
    """The bands (lowest, highest; None for open) holding exactly the balances within the bounds, or None when a
    bound is not a band's edge (the aggregate cannot answer it)."""
    lowest = highest = None
    if balance_min is not None:
        if balance_min not in BALANCE_EDGES:
            return None
        lowest = BALANCE_EDGES.index(balance_min) + 1  # balance >= edges[i]: band >= i + 1
    if balance_max is not None:
        if balance_max + _CENT not in BALANCE_EDGES:
            return None
        highest = BALANCE_EDGES.index(balance_max + _CENT)  # balance < edges[i]: band <= i
    return lowest, highest


def sums_filter(cleaned_data: Mapping) -> tuple[str, list] | None:
    """The aggregate's WHERE clause and parameters for a valid register filter, or None if it cannot answer it."""
    for name, value in cleaned_data.items():
        if name not in ANSWERED and not _empty(name, value):
            return None

    def value_of(name):
        value = cleaned_data.get(name)
        return None if _empty(name, value) else value

    bands = balance_bands(value_of("balance_min"), value_of("balance_max"))
    if bands is None:
        return None
    where, params = ["events <> 0"], []
    lowest, highest = bands
    if lowest is not None:
        where.append("balance_band >= %s")
        params.append(lowest)
    if highest is not None:
        where.append("balance_band <= %s")
        params.append(highest)

    if (day := value_of("date_from")) is not None:
        where.append("event_date >= %s")
        params.append(day)
    if (day := value_of("date_to")) is not None:
        where.append("event_date <= %s")
        params.append(day)
    for name in ("kind", "loan_type"):
        if (values := value_of(name)) is not None:
            where.append(f"{name} = ANY(%s)")
            params.append([str(v) for v in values])
    for name in ("office", "servicer"):
        if (value := value_of(name)) is not None:
            where.append(f"{name}_id = %s")
            params.append(value.pk)
    if (value := value_of("currency")) is not None:
        where.append("currency = %s")
        params.append(value.strip().upper())
    if (value := value_of("recourse")) is not None:
        where.append("recourse = %s")
        params.append(bool(value))
    if (value := value_of("status")) is not None:
        where.append("status = %s")
        params.append(str(value))
    return " AND ".join(where), params


def daily_sums(where: str, params: list) -> list[tuple[datetime.date, str, int, Decimal]]:
    """(event_date, currency, events, balance) of the aggregate's rows matching `where`, as the exact path
    gives them (days without events left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT event_date, currency, SUM(events), SUM(balance) FROM {TABLE} WHERE {where}"
            " GROUP BY event_date, currency HAVING SUM(events) > 0",
            params,
        )
        return [(day, currency, int(n), balance) for day, currency, n, balance in cursor.fetchall()]
