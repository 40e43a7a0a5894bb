"""Writing the demo book: reference rows through the ORM, the generated chunks with COPY, then register events,
the ledger's opening balances and EUR rates."""

import calendar
import contextlib
import datetime
import io
import json
import queue
import random
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

from ..models import Borrower, Loan, Office, Property, RegisterEvent, Servicer, ServicerAssignment
from ..roles import LOAN_OFFICER
from ..services import own_servicer_get_or_create, register_events_sync
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

    def write(self, rows: list[tuple], copier: "_Copier | None" = None) -> None:
        if not rows:
            return
        extra = self.extra_text
        buffer = io.StringIO("".join("\t".join(map(_copy_text, row)) + extra + "\n" for row in rows))
        if copier is not None:
            copier.put(self.copy_sql, buffer)
            return
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(self.copy_sql, buffer, size=1 << 20)


class _Copier:
    """Runs the seed's COPYs in a thread, on the seed's own connection (psycopg2 connections may be shared
    between threads; only this thread uses it meanwhile), so that PostgreSQL stores one chunk while Python
    generates the next (psycopg2 lets go of the GIL while the server works). A bounded queue keeps memory flat;
    `close()` waits for the last chunk and raises what the thread met."""

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
                    try:
                        cursor.copy_expert(job[0], job[1], size=1 << 20)
                    except BaseException as error:  # handed to the main thread by close()/put()
                        self.error = error
        finally:
            cursor.close()

    def put(self, sql: str, buffer: io.StringIO) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((sql, buffer))

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
    tables = [model._meta.db_table for model in BULK_LOADED_MODELS]
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
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
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
        if loans >= bulk_load_threshold:
            stack.enter_context(_bulk_load_mode(result))
        context = _context(today=today)
        generator = BookGenerator(seed=seed, context=context)
        # a big book: COPY in a thread while the next chunk is generated (issue 9, target 7)
        copier = _Copier() if loans >= bulk_load_threshold else None
        try:
            for chunk in generator.chunks(loans=loans, chunk_size=chunk_size):
                writers["borrowers"].write(chunk.borrowers, copier)
                writers["properties"].write(chunk.properties, copier)
                writers["loans"].write(chunk.loans, copier)
                writers["assignments"].write(chunk.assignments, copier)
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
        register_events_sync()
        result.timings["register_events"] = time.monotonic() - started - result.timings["write"]
        result.exchange_rates = seed_exchange_rates(seed=seed, today=today)
        if ledger:
            mark = time.monotonic()
            result.opening_balances = _post_opening_balances(
                first_loan_id=context.first_ids["loan"], loans=result.loans
            )
            result.timings["ledger"] = time.monotonic() - mark
        mark = time.monotonic()
        stack.close()  # indexes and foreign keys back, validated, inside the same transaction
        if loans >= bulk_load_threshold:
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
        tables = [m._meta.db_table for m in (Borrower, Property, Loan, ServicerAssignment, RegisterEvent)]
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
    result.timings["vacuum_analyze"] = time.monotonic() - mark
    result.timings["total"] = time.monotonic() - started
    return result
