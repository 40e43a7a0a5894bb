"""Writing the demo book: reference rows through the ORM, the generated chunks with COPY, then register events,
the ledger's opening balances and EUR rates."""

import calendar
import contextlib
import datetime
import io
import json
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from common import hooks
from common.bankdays import is_bank_day  # Nationalbanken's closing days
from common.models import ExchangeRate

from .. import register_sums
from ..choices import LoanStatus
from ..models import (
    BORROWER_NAME_SEARCH_TABLE,
    Borrower,
    Loan,
    Office,
    Property,
    RegisterDaySum,
    RegisterEvent,
    Servicer,
    ServicerAssignment,
)
from ..register_cache import bump_version
from ..roles import LOAN_OFFICER
from ..services import _COPIED, _EVENT_SOURCES, own_servicer_get_or_create
from .generator import (
    ASSIGNMENT_FIELDS,
    BORROWER_FIELDS,
    LOAN_FIELDS,
    PROPERTY_FIELDS,
    BookContext,
    BookGenerator,
    add_months,
)
from .reference import (
    BULK_LOAD_THRESHOLD,
    DEFAULT_CHUNK,
    DEFAULT_SEED,
    DEMO_OFFICER_USERNAME,
    EUR_CENTRAL_RATE,
    EURO_START,
    LOAN_NUMBER_PREFIX,
    OFFICERS,
    OFFICES,
    SERVICERS,
)


@dataclass
class SeedResult:
    loans: int = 0
    borrowers: int = 0
    properties: int = 0
    exchange_rates: int = 0
    skipped: bool = False
    opening_balances: int = 0
    rebuilt: int = 0  # indexes and foreign keys dropped for the bulk load and rebuilt after it
    timings: dict[str, float] = field(default_factory=dict)
    extras: dict[str, object] = field(
        default_factory=dict
    )  # what each app's demo seeder reported (common.hooks)


# --- writing ---------------------------------------------------------------------------------------------


class _TableWriter:
    """Writes tuples in `fields` order to the model's table with COPY.

    Columns the generator does not know (added to the model later) get their model default, so a new
    nullable or defaulted column does not break the seed.
    """

    def __init__(self, model: type[models.Model], fields: list[str]) -> None:
        self.model = model
        known = set(fields)
        self.extra: list[tuple[models.Field, object]] = []
        for model_field in model._meta.concrete_fields:
            if model_field.attname in known:
                continue
            if not model_field.null and not model_field.has_default():
                raise RuntimeError(f"seed_demo does not fill {model.__name__}.{model_field.name}")
            self.extra.append((model_field, model_field.get_default()))
        columns = [model._meta.get_field(name).column for name in fields] + [f.column for f, _ in self.extra]
        quote = connection.ops.quote_name
        self.copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        )
        self.extra_text = "".join("\t" + _copy_text(value) for _, value in self.extra)
        self.line = _line_formatter(model, fields, self.extra_text)

    def write(self, rows: list[tuple], copier: "_Copier | None" = None) -> None:
        if not rows:
            return
        buffer = io.StringIO("".join(map(self.line, rows)))
        if copier is not None:
            copier.put(self.copy_sql, buffer)
            return
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(self.copy_sql, buffer, size=1 << 20)


_SPECIAL = re.compile(r"[\\\t\n\r]")
# Values written as they print (`format(value, "")` is `str(value)`): an integer, a Decimal and a date print
# as COPY reads them.
_AS_PRINTED = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "DecimalField",
    "DateField",
}
_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


def _escaped(value: str) -> str:
    """A string in COPY's text format."""
    if _SPECIAL.search(value) is None:
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _line_formatter(model: type[models.Model], fields: list[str], extra_text: str) -> Callable[[tuple], str]:
    """One function per table that turns a row tuple into its COPY line, written out for the table's columns
    (`lambda r: f"{r[0]}\t{e(r[1])}\t…\n"`).

    The seed writes tens of millions of values; a generic function per value (`_copy_text`) was a quarter of
    the write phase's Python time (issue 9, target 7). Each column gets the cheapest exact form for its field:
    integers, decimals and dates as they print, booleans as t/f, timestamps in ISO form, text escaped only
    when it holds a special character (never for a field with plain choices), NULL as \\N; anything else goes
    through `_copy_text`.
    """
    parts = []
    for index, name in enumerate(fields):
        field = model._meta.get_field(name)
        kind = field.get_internal_type()
        value = f"r[{index}]"
        plain_choices = field.choices and not any(_SPECIAL.search(str(key)) for key, _ in field.flatchoices)
        if kind == "ForeignKey":
            kind = field.target_field.get_internal_type()
        if kind in _AS_PRINTED or (kind in _TEXT and plain_choices):
            code = value
        elif kind in _TEXT:
            code = f"e({value})"
        elif kind == "BooleanField":
            code = f"b[{value}]"
        elif kind == "DateTimeField":  # the seed's rows share one timestamp: printed once, while it repeats
            code = f"(q[1] if {value} is q[0] else z({value}))"
        else:
            code = f"t({value})"
        if field.null:
            code = f"(n if {value} is None else {code})"
        parts.append("{" + code + "}")
    source = 'lambda r: f"' + "\\t".join(parts) + '{x}\\n"'
    last = [None, ""]  # the timestamp printed last, and how

    def timestamp(value: datetime.datetime) -> str:
        last[:] = [value, value.isoformat()]
        return last[1]

    namespace = {
        "e": _escaped,
        "b": {True: "t", False: "f"},
        "t": _copy_text,
        "n": r"\N",
        "x": extra_text,
        "q": last,
        "z": timestamp,
    }
    return eval(source, namespace)  # noqa: S307 -- built above from the model's own field list


class _Copier:
    """Runs the seed's COPYs (and the statements that follow a chunk) in a thread, on the seed's own connection
    (psycopg2 connections may be shared between threads; only this thread uses it meanwhile), so that
    PostgreSQL stores one chunk while Python generates the next (psycopg2 lets go of the GIL while the server
    works). A bounded queue keeps memory flat; `close()` waits for the last chunk and raises what the thread
    met."""

    def __init__(self, depth: int = 4) -> None:
        self.jobs: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        connection.ensure_connection()
        self.raw = connection.connection
        self.thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        cursor = self.raw.cursor()
        try:
            while (job := self.jobs.get()) is not None:
                if self.error is None:
                    sql, payload = job
                    try:
                        if isinstance(payload, io.StringIO):
                            cursor.copy_expert(sql, payload, size=1 << 20)
                        else:
                            cursor.execute(sql, payload)
                    except BaseException as error:  # handed to the main thread by close()/put()
                        self.error = error
        finally:
            cursor.close()

    def put(self, sql: str, payload: "io.StringIO | list") -> None:
        """COPY from `payload` (a buffer), or execute `sql` with `payload` as its parameters."""
        if self.error is not None:
            raise self.error
        self.jobs.put((sql, payload))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _copy_text(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, dict | list):
        return _copy_text(json.dumps(value))
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)


# --- register events -------------------------------------------------------------------------------------


def _register_event_statements() -> list[tuple[str, str]]:
    """(SQL, event kind) per event kind: the register events of a range of new loans (`%s` kind, status, first
    and last id), as `register_events_sync` writes them (its kinds, dating columns and copied columns, read
    from it), but a plain INSERT: new loans have no events to update or delete.

    Written chunk by chunk behind the COPYs, the events cost the seed's Python nothing; the whole-book sync
    after the load was a pass of its own (upserts over every loan: 34 s of 276 at a million loans; issue 9,
    target 7). tests/loanregister/test_seed_demo.py proves a sync afterwards finds nothing to change.
    """
    copied = ", ".join([*_COPIED, "borrower_do_not_contact"])
    copied_from_loan = ", ".join([*(f"l.{c}" for c in _COPIED), "COALESCE(b.do_not_contact, false)"])
    return [
        (
            f"INSERT INTO {RegisterEvent._meta.db_table} (loan_id, kind, event_date, {copied})"
            f" SELECT l.id, %s, l.{column}, {copied_from_loan} FROM {Loan._meta.db_table} l"
            f" LEFT JOIN {Borrower._meta.db_table} b ON b.id = l.borrower_id"
            f" WHERE l.status = %s AND l.{column} IS NOT NULL AND l.id BETWEEN %s AND %s ORDER BY l.id",
            kind.value,
        )
        for kind, column in _EVENT_SOURCES
    ]


def _write_register_events(first_id: int, last_id: int, copier: "_Copier | None") -> None:
    for sql, kind in _register_event_statements():
        params = [kind, LoanStatus.ACTIVE.value, first_id, last_id]
        if copier is not None:
            copier.put(sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)


@contextlib.contextmanager
def _local_settings(**settings: str) -> Iterator[None]:
    """PostgreSQL settings for the seed's transaction, put back as they were on the way out (a caller's own
    transaction goes on with its own). More memory for the aggregate's GROUP BY, the index builds' sorts and
    the foreign keys' validating joins: they sort in memory instead of on disk."""
    with connection.cursor() as cursor:
        before = {}
        for name, value in settings.items():
            cursor.execute("SELECT current_setting(%s)", [name])
            before[name] = cursor.fetchone()[0]
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield  # on an error, the rollback (of the transaction, or of the seed's savepoint) puts them back
    with connection.cursor() as cursor:
        for name, value in before.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


# --- reference data and the whole run --------------------------------------------------------------------


def _reference_data() -> tuple[dict[str, int], list, list]:
    offices = {}
    for code, name, kind, address, granted in OFFICES:
        office, _ = Office.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "address": address,
                "branch_capacity": granted is not None,
                "branch_capacity_granted_on": datetime.date(*granted) if granted else None,
            },
        )
        offices[code] = office.id
    servicers = []
    for code, name, is_own, share in SERVICERS:
        if is_own:  # the installation's own servicer, whatever its code and name: only one can be our own
            servicer = own_servicer_get_or_create()
        else:
            servicer, _ = Servicer.objects.get_or_create(code=code, defaults={"name": name, "is_own": False})
        servicers.append((servicer.id, servicer.is_own, share))
    group = Group.objects.get(name=LOAN_OFFICER)
    officers = []
    for username, first, last, office_code in OFFICERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()  # demo staff; the demo logins come from create_demo_users
            user.save(update_fields=["password"])
        user.groups.add(group)
        officers.append((user.id, office_code))
    # The demo login of `make run` gets a fair share of the book, so its home page has loans on it.
    demo_officer = User.objects.filter(username=DEMO_OFFICER_USERNAME).first()
    if demo_officer is not None:
        officers.append((demo_officer.id, "HO"))
    return offices, servicers, officers


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1


def _context(*, today: datetime.date) -> BookContext:
    offices, servicers, officers = _reference_data()
    last_number = (
        Loan.objects.filter(loan_number__regex=rf"^{LOAN_NUMBER_PREFIX}[0-9]{{9}}$")
        .order_by("-loan_number")
        .values_list("loan_number", flat=True)
        .first()
    )
    return BookContext(
        today=today,
        now=timezone.now(),
        offices=offices,
        servicers=servicers,
        officers=officers,
        first_ids={
            "borrower": _next_id(Borrower),
            "property": _next_id(Property),
            "loan": _next_id(Loan),
            "assignment": _next_id(ServicerAssignment),
        },
        first_loan_number=int(last_number[len(LOAN_NUMBER_PREFIX) :]) + 1 if last_number else 1,
        first_household=Property.objects.count(),
    )


def _post_opening_balances(*, first_loan_id: int, loans: int) -> int:
    """Tell the apps of the seeded loans as `import_loans` does: servicing starts each ledger with its opening
    balance, so that the ledger and the loans' cached balances agree. Returns how many were posted."""
    results = hooks.loans_imported(loan_ids=range(first_loan_id, first_loan_id + loans))
    return int(results.get("opening_balances") or 0)


BULK_LOADED_MODELS = (Borrower, Property, Loan, ServicerAssignment, RegisterEvent)


@contextlib.contextmanager
def _bulk_load_mode(result: SeedResult) -> Iterator[None]:
    """PostgreSQL: drop the book tables' non-unique indexes and foreign keys, and put them back on exit.

    Building an index once over a loaded table is far cheaper than a million random inserts into it, and one
    validating `ADD CONSTRAINT … FOREIGN KEY` is a single join instead of a million deferred row triggers
    queued until commit. Unique indexes and primary keys stay (the upserts need them). Everything happens
    inside the seed's transaction: on failure nothing changed, and the tables are locked until the commit.
    """
    # and the borrowers' name-search table, which their triggers fill as the borrowers are copied (migration 0027)
    tables = [model._meta.db_table for model in BULK_LOADED_MODELS] + [BORROWER_NAME_SEARCH_TABLE]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
            FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            ORDER BY 1, 2
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # A table with deferred checks still queued (earlier writes in an enclosing transaction) cannot be
        # altered: run those checks now. Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED, and
        # the end of this block defers them again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    result.rebuilt = len(indexes) + len(foreign_keys)


def seed_exchange_rates(*, seed: int, today: datetime.date, since: datetime.date = EURO_START) -> int:
    """EUR rates as Nationalbanken quotes them (DKK per 100) on each month's last bank day, and for today.

    Existing rates are left as they are.
    """

    rng = random.Random(f"{seed}-eur")
    days = []
    month = datetime.date(since.year, since.month, 1)
    while month <= today:
        # Nationalbanken fixes no rate on a closing day: the month's rate is its last bank day's.
        day = min(
            datetime.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1]), today
        )
        while not is_bank_day(day):
            day -= datetime.timedelta(days=1)
        days.append(day)
        month = add_months(month, 1)
    rows = [
        # Denmark's peg holds the krone within a narrow band around the central rate 746.038.
        ExchangeRate(
            rate_date=day, currency="EUR", rate=EUR_CENTRAL_RATE + Decimal(rng.randint(-250, 100)) / 100
        )
        for day in sorted(set(days))
    ]
    before = ExchangeRate.objects.filter(currency="EUR").count()
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True)
    return ExchangeRate.objects.filter(currency="EUR").count() - before


def seed_demo_book(
    *,
    loans: int,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
    if_empty: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    bulk_load_threshold: int = BULK_LOAD_THRESHOLD,
    ledger: bool = True,
) -> SeedResult:
    """Seed `loans` demo loans with their borrowers, properties, servicer assignments and register events."""
    today = today or timezone.localdate()
    result = SeedResult()
    if if_empty and Loan.objects.exists():
        result.skipped = True
        return result
    started = time.monotonic()
    writers = {
        "borrowers": _TableWriter(Borrower, BORROWER_FIELDS),
        "properties": _TableWriter(Property, PROPERTY_FIELDS),
        "loans": _TableWriter(Loan, LOAN_FIELDS),
        "assignments": _TableWriter(ServicerAssignment, ASSIGNMENT_FIELDS),
    }
    with transaction.atomic(), contextlib.ExitStack() as stack:
        # Ids are handed out here, not by the sequences: keep other writers out until the seed commits.
        with connection.cursor() as cursor:
            for model in (Borrower, Property, Loan, ServicerAssignment):
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        bulk = loans >= bulk_load_threshold
        if bulk:
            stack.enter_context(_local_settings(work_mem="256MB", maintenance_work_mem="1GB"))
            stack.enter_context(_bulk_load_mode(result))
        context = _context(today=today)
        generator = BookGenerator(seed=seed, context=context)
        # a big book: COPY in a thread while the next chunk is generated (issue 9, target 7)
        copier = _Copier() if bulk else None
        try:
            for chunk in generator.chunks(loans=loans, chunk_size=chunk_size):
                writers["borrowers"].write(chunk.borrowers, copier)
                writers["properties"].write(chunk.properties, copier)
                writers["loans"].write(chunk.loans, copier)
                writers["assignments"].write(chunk.assignments, copier)
                _write_register_events(chunk.loans[0][0], chunk.loans[-1][0], copier)
                result.loans += len(chunk.loans)
                result.borrowers += len(chunk.borrowers)
                result.properties += len(chunk.properties)
                if progress:
                    progress(result.loans)
        finally:
            if copier is not None:
                copier.close()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Borrower, Property, Loan, ServicerAssignment]
            ):
                cursor.execute(sql)
        result.timings["write"] = time.monotonic() - started
        mark = time.monotonic()
        with connection.cursor() as cursor:
            if bulk:
                # Statistics of the new rows for what plans queries over them in this transaction: the apps'
                # demo seeders, the aggregate's GROUP BY, the foreign keys' validation. Without them the
                # planner takes a million-row table for a few thousand (the seeders' queries took 39 s).
                cursor.execute(
                    f"ANALYZE {', '.join(m._meta.db_table for m in (Borrower, Loan, RegisterEvent))}"
                )
            # the events were written with the chunks; the aggregate of the whole register, as a sync of the
            # whole book would rebuild it
            register_sums.rebuild(cursor)
        bump_version()
        result.timings["register_events"] = time.monotonic() - mark
        result.exchange_rates = seed_exchange_rates(seed=seed, today=today)
        if ledger:
            mark = time.monotonic()
            result.opening_balances = _post_opening_balances(
                first_loan_id=context.first_ids["loan"], loans=result.loans
            )
            result.timings["ledger"] = time.monotonic() - mark
        mark = time.monotonic()
        stack.close()  # indexes and foreign keys back, validated, inside the same transaction
        if bulk:
            result.timings["indexes_and_keys"] = time.monotonic() - mark
        mark = time.monotonic()
        first = context.first_ids["loan"]
        result.extras = hooks.demo_seeded(
            loan_ids=range(first, first + result.loans), today=today, seed=seed, ledger=ledger
        )
        if result.extras:
            result.timings["extras"] = time.monotonic() - mark
    mark = time.monotonic()
    with connection.cursor() as cursor:
        # Fresh statistics, so the planner sees a million rows and not an empty table; and, outside a
        # transaction, VACUUM too: it sets the visibility map that index-only scans (the register's
        # covering indexes) need, which autovacuum would otherwise set only some minutes later.
        # The register's aggregate too: its first page reads a year of it, an index-only scan once vacuumed
        # (about 3 ms), a bitmap heap scan of 3,400 blocks before (75 ms on a fresh book).
        tables = [
            m._meta.db_table
            for m in (Borrower, Property, Loan, ServicerAssignment, RegisterEvent, RegisterDaySum)
        ] + [BORROWER_NAME_SEARCH_TABLE]
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
    result.timings["vacuum_analyze"] = time.monotonic() - mark
    result.timings["total"] = time.monotonic() - started
    return result
