"""The nightly maturity radar (REG-2, REG-3): loans within reach of a register event become leads.

For a business date D, a register event (maturity, rate reset, end of interest-only) is *due* when
`D <= event_date <= D + horizon` (both ends counting; horizons per event kind are `RadarHorizon` rows an admin
edits). Loans of every servicer count: the lender owns the relationship. The run has three steps, each one
set-based SQL statement that writes the leads and their history rows together (a CTE), never a loop per loan:

1. **moved**: an open lead whose event now has another date (the loan was re-imported), still within the horizon
   or in the past, gets the new date (`UPDATE … FROM` the register; for an event kind without a horizon, the lead
   keeps its date);
2. **obsolete**: an open lead whose event left the register (the loan is no longer active, or the date was
   removed) or moved beyond the horizon is closed as `obsolete`, never deleted (`UPDATE`);
3. **created**: every due event without an open lead for its loan and kind gets one (`INSERT … SELECT … ON
   CONFLICT DO NOTHING` against the partial unique index "one open lead per loan and event"), for its owner: the
   loan's responsible officer, else its office's default officer, else the unassigned queue (officer NULL). An
   event whose lead a person already closed (won, lost, not interested) for that same date gets no second one.

A lead whose event date has passed stays open until someone closes it. The three statements run in one
transaction under an advisory lock, so a run that dies halfway leaves nothing behind and is simply run again
(common.jobs); a re-run for the same or a later date creates nothing twice. The steps do not depend on each
other's writes, which is why `maturity_radar_preview` (the `--dry-run` and the operator page) can show what a run
would do with the same conditions as plain SELECTs, writing nothing.

The radar reads the register (`RegisterEvent`), which `register_events_sync` keeps in step with the loans.

The same run is the **conversion radar** (loanregister/leads/conversion.py): after the three steps, the open
conversion leads of loans no longer active are closed as obsolete, and every loan whose refinancing at today's
offered rate pays (by the admin's rule) without an open conversion lead gets one, dated the business date, by the
same kind of statements (counted with the others as closed and created); the dry run shows them too.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from common.jobs import job_run
from common.models import JobRun
from common.users import system_user

from ..choices import OPEN_LEAD_STATUSES, LeadEvent, LeadStatus, LoanStatus, RegisterEventKind
from ..models import Lead, RadarHorizon
from . import conversion

JOB_NAME = "maturity_radar"
PREVIEW_ROWS = 50
# A fresh database gets these (migration 0013); admins edit them.
DEFAULT_HORIZONS = {
    RegisterEventKind.MATURITY: 180,
    RegisterEventKind.RATE_RESET: 120,
    RegisterEventKind.INTEREST_ONLY_END: 90,
}

_LEAD = Lead._meta.db_table
_HISTORY = Lead.history.model._meta.db_table
_EVENT = "loanregister_registerevent"
_HORIZON = RadarHorizon._meta.db_table
_OPEN = "(" + ", ".join(f"'{status.value}'" for status in OPEN_LEAD_STATUSES) + ")"
_REGISTER_KINDS = "(" + ", ".join(f"'{kind.value}'" for kind in RegisterEventKind) + ")"
_ACTIVE = f"'{LoanStatus.ACTIVE.value}'"

# Step 3's selection: due events that have no open lead, and whose lead for this very date no person closed.
# The owner chain skips a user who can no longer sign in (left the bank) to the next link.
_DUE_FROM = f"""
    {_EVENT} e
    JOIN {_HORIZON} h ON h.event = e.kind
    LEFT JOIN auth_user responsible ON responsible.id = e.officer_id AND responsible.is_active
    LEFT JOIN loanregister_office o ON o.id = e.office_id
    LEFT JOIN auth_user fallback ON fallback.id = o.default_officer_id AND fallback.is_active
"""
# `until` (the business date plus the longest horizon) bounds every read of the register to a range of its keyset
# index (event_date, id), which carries the columns read here (INCLUDE): an index-only range scan, never the table.
_DUE_WHERE = f"""
    e.status = {_ACTIVE}
    AND e.event_date BETWEEN %(day)s AND %(until)s AND e.event_date <= %(day)s::date + h.days
    AND NOT EXISTS (
        SELECT 1 FROM {_LEAD} other
        WHERE other.loan_id = e.loan_id AND other.event = e.kind
          AND (
            other.status IN {_OPEN}
            OR (other.status <> '{LeadStatus.OBSOLETE.value}' AND other.event_date = e.event_date)
          )
    )
"""
_OWNER = "COALESCE(responsible.id, fallback.id)"

# Step 1: open leads whose event has another date now, within the horizon or in the past.
_MOVED_FROM = f"{_EVENT} e JOIN {_HORIZON} h ON h.event = e.kind"
_MOVED_WHERE = f"""
    e.loan_id = l.loan_id AND e.kind = l.event AND l.status IN {_OPEN}
    AND e.status = {_ACTIVE} AND e.event_date <> l.event_date
    AND e.event_date <= %(until)s AND e.event_date <= %(day)s::date + h.days
"""

# Step 2: open leads of a register event that is gone, or moved beyond the horizon. An event still on the lead's
# date keeps it open (also when its date has passed, or the horizon was shortened since), and so does any event of a
# kind without a horizon. The first test (an event within the horizon, the common case) reads a range of the keyset
# index; only the few leads it leaves (`gone`) are looked up one by one in the register's unique (loan, kind) index.
# Each OFFSET 0 keeps PostgreSQL from merging that order away (into a join over the whole register).
_OBSOLETE_FROM = f"""(
    SELECT x.id, x.loan_id, x.event, x.event_date FROM {_LEAD} x
    WHERE x.status IN {_OPEN} AND x.event IN {_REGISTER_KINDS}
      AND NOT EXISTS (
        SELECT 1 FROM {_EVENT} e JOIN {_HORIZON} h ON h.event = e.kind
        WHERE e.loan_id = x.loan_id AND e.kind = x.event AND e.status = {_ACTIVE}
          AND e.event_date <= %(until)s AND e.event_date <= %(day)s::date + h.days
      )
    OFFSET 0
) gone"""
_OBSOLETE_WHERE = f"""
    l.id = gone.id AND l.status IN {_OPEN}
    AND NOT EXISTS (
        SELECT 1 FROM {_EVENT} e LEFT JOIN {_HORIZON} h ON h.event = e.kind
        WHERE e.loan_id = gone.loan_id AND e.kind = gone.event AND e.status = {_ACTIVE}
          AND (e.event_date = gone.event_date OR h.days IS NULL)
        OFFSET 0
    )
"""


def _history_columns() -> tuple[list[str], list[str]]:
    """(tracked columns, bookkeeping columns) of the lead's history table, as simple-history names them."""
    history = Lead.history.model
    tracked = [f.column for f in history.tracked_fields]
    meta = history._meta
    extra = [
        meta.get_field(name).column
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    ]
    return tracked, extra


def _with_history(statement: str, history_type: str) -> str:
    """The statement (an INSERT or UPDATE of the leads as `l`) and, in the same statement, one history row
    per lead it wrote: the record shows what was stored, who (the system user) and why."""
    tracked, extra = _history_columns()
    columns = ", ".join(tracked)
    return f"""
        WITH written AS ({statement} RETURNING l.*)
        INSERT INTO {_HISTORY} ({columns}, {", ".join(extra)})
        SELECT {columns}, %(now)s, %(reason)s, '{history_type}', %(user)s FROM written
    """


_MOVED_SQL = _with_history(
    f"UPDATE {_LEAD} l SET event_date = e.event_date, updated_at = %(now)s FROM {_MOVED_FROM} WHERE {_MOVED_WHERE}",
    "~",
)
_OBSOLETE_SQL = _with_history(
    f"""UPDATE {_LEAD} l SET status = '{LeadStatus.OBSOLETE.value}', closed_on = %(day)s,
        status_changed_at = %(now)s, updated_at = %(now)s FROM {_OBSOLETE_FROM} WHERE {_OBSOLETE_WHERE}""",
    "~",
)
_CREATE_SQL = _with_history(
    f"""INSERT INTO {_LEAD} AS l (loan_id, event, event_date, officer_id, status, found_on, status_changed_at,
            created_at, updated_at)
        SELECT e.loan_id, e.kind, e.event_date, {_OWNER}, '{LeadStatus.NEW.value}', %(day)s, %(now)s, %(now)s,
            %(now)s
        FROM {_DUE_FROM} WHERE {_DUE_WHERE}
        ON CONFLICT (loan_id, event) WHERE status IN {_OPEN} DO NOTHING""",
    "+",
)
# The conversion radar (issue 10 item 4a, loanregister/leads/conversion.py): its open leads of loans no longer active
# closed, then its new leads, in the same run.
_CONVERSION_OBSOLETE_SQL = _with_history(conversion.OBSOLETE_STATEMENT, "~")
_CONVERSION_CREATE_SQL = _with_history(conversion.CREATE_STATEMENT, "+")
_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('loanregister.maturity_radar'))"
# Step 3 checks "no lead yet" against the lead table it is filling. With the table's statistics saying it is empty
# (the first night, or a re-run before autovacuum has looked), PostgreSQL would check that with a nested loop over a
# sequential scan of the leads, which also reads the rows the statement has just inserted: quadratic (minutes at a
# million loans). A hash anti join reads the leads once. The setting lasts to the end of the radar's transaction.
_NO_NESTED_LOOPS_SQL = "SET LOCAL enable_nestloop = off"
# After writing this many leads, the run updates the lead table's statistics for what follows in the night.
_ANALYZE_AFTER = 1000


def _window(business_date: datetime.date) -> dict:
    """The business date, and the last date any horizon reaches (`until`)."""
    longest = max(RadarHorizon.objects.values_list("days", flat=True), default=0)
    return {"day": business_date, "until": business_date + datetime.timedelta(days=longest)}


def maturity_radar_apply(*, business_date: datetime.date) -> dict[str, int]:
    """Run the radar for a business date: returns how many leads were created, updated (moved) and closed
    (obsolete). Idempotent: run again for the same date, it finds nothing left to do."""
    params = {
        **_window(business_date),
        "now": timezone.now(),
        "reason": f"maturity radar {business_date.isoformat()}",
        "user": system_user().pk,
    }
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL)  # one radar at a time, whatever dates they were started for
        for name, sql in (("updated", _MOVED_SQL), ("closed", _OBSOLETE_SQL), ("created", _CREATE_SQL)):
            if name == "created":
                cursor.execute(_NO_NESTED_LOOPS_SQL)
            cursor.execute(sql, params)
            counts[name] = cursor.rowcount
        # the conversion radar: its leads count with the others (created, closed)
        cursor.execute(_CONVERSION_OBSOLETE_SQL, params)
        counts["closed"] += cursor.rowcount
        cursor.execute(_CONVERSION_CREATE_SQL, params)
        counts["created"] += cursor.rowcount
        if counts["created"] >= _ANALYZE_AFTER:
            cursor.execute(f"ANALYZE {_LEAD}")
    return {"created": counts["created"], "updated": counts["updated"], "closed": counts["closed"]}


def maturity_radar_run(*, business_date: datetime.date, force: bool = False) -> JobRun | None:
    """The nightly job: once per business date (common.jobs.job_run), its counts stored on the run; None when it
    was done already (`force` runs it again, which only re-checks)."""
    return job_run(
        job=JOB_NAME,
        business_date=business_date,
        body=lambda day: maturity_radar_apply(business_date=day),
        force=force,
    )


# ---------------------------------------------------------------- the dry run


@dataclass
class RadarStep:
    count: int = 0
    rows: list[dict] = field(default_factory=list)


@dataclass
class RadarPreview:
    """What a run for `business_date` would do, step by step: a count and the first rows of each."""

    business_date: datetime.date
    horizons: dict[str, int]
    created: RadarStep
    updated: RadarStep
    closed: RadarStep

    def counts(self) -> dict[str, int]:
        return {"created": self.created.count, "updated": self.updated.count, "closed": self.closed.count}


def _step(cursor, select: str, source: str, order: str, params: dict, limit: int) -> RadarStep:
    cursor.execute(f"SELECT count(*) FROM {source}", params)
    count = cursor.fetchone()[0]
    cursor.execute(
        f"SELECT {select} FROM {source} ORDER BY {order} LIMIT %(limit)s", {**params, "limit": limit}
    )
    names = [column.name for column in cursor.description]
    return RadarStep(count=count, rows=[dict(zip(names, row, strict=True)) for row in cursor.fetchall()])


def maturity_radar_preview(*, business_date: datetime.date, limit: int = PREVIEW_ROWS) -> RadarPreview:
    """What tonight's run would create, update and close for the date, by the very conditions the run uses,
    as SELECTs only: nothing is written (no lead, no history, no job run, no system user)."""
    params = _window(business_date)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_NO_NESTED_LOOPS_SQL)  # as the run does (above)
        created = _step(
            cursor,
            f"""e.loan_id, e.loan_number, e.kind AS event, e.event_date, {_OWNER} AS officer_id,
                (SELECT username FROM auth_user WHERE id = {_OWNER}) AS officer""",
            f"{_DUE_FROM} WHERE {_DUE_WHERE}",
            "e.event_date, e.loan_number, e.kind",
            params,
            limit,
        )
        updated = _step(
            cursor,
            """l.id AS lead_id, loan.loan_number, l.event, l.event_date AS old_date, e.event_date,
               l.status, u.username AS officer""",
            f"""{_LEAD} l JOIN loanregister_loan loan ON loan.id = l.loan_id
                LEFT JOIN auth_user u ON u.id = l.officer_id, {_MOVED_FROM} WHERE {_MOVED_WHERE}""",
            "e.event_date, loan.loan_number, l.event",
            params,
            limit,
        )
        closed = _step(
            cursor,
            "l.id AS lead_id, loan.loan_number, l.event, l.event_date, l.status, u.username AS officer",
            f"""{_LEAD} l JOIN loanregister_loan loan ON loan.id = l.loan_id
                LEFT JOIN auth_user u ON u.id = l.officer_id, {_OBSOLETE_FROM} WHERE {_OBSOLETE_WHERE}""",
            "l.event_date, loan.loan_number, l.event",
            params,
            limit,
        )
        # the conversion radar's part of the run, added to the steps it shares
        converted = _step(
            cursor,
            f"""c.loan_id, c.loan_number, '{LeadEvent.CONVERSION.value}' AS event, %(day)s::date AS event_date,
                {conversion.OWNER} AS officer_id,
                (SELECT username FROM auth_user WHERE id = {conversion.OWNER}) AS officer""",
            f"{conversion.DUE_FROM} WHERE {conversion.DUE_WHERE}",
            "c.loan_number",
            params,
            limit,
        )
        gone = _step(
            cursor,
            "l.id AS lead_id, loan.loan_number, l.event, l.event_date, l.status, u.username AS officer",
            f"""{_LEAD} l JOIN loanregister_loan loan ON loan.id = l.loan_id
                LEFT JOIN auth_user u ON u.id = l.officer_id, {conversion.OBSOLETE_FROM}
                WHERE {conversion.OBSOLETE_WHERE}""",
            "l.event_date, loan.loan_number, l.event",
            params,
            limit,
        )
    for step, extra, key in (
        (created, converted, lambda row: (row["event_date"], row["loan_number"], row["event"])),
        (closed, gone, lambda row: (row["event_date"], row["loan_number"], row["event"])),
    ):
        step.count += extra.count
        step.rows = sorted(step.rows + extra.rows, key=key)[:limit]
    horizons = dict(RadarHorizon.objects.values_list("event", "days"))
    return RadarPreview(
        business_date=business_date, horizons=horizons, created=created, updated=updated, closed=closed
    )
