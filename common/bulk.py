"""Bulk writes of model instances, with their django-simple-history records, fast enough for a whole loan book.

Rows go in with `COPY` (ids drawn from the table's sequence first, so the instances get their
primary keys) and changed rows are updated from a `COPY`-filled temporary table in one `UPDATE … FROM`: Django's
`bulk_create` spends most of its time preparing values in Python, and `bulk_update` writes a `CASE` per field and
row. The history rows are then copied from the written rows by one `INSERT … SELECT` over the history model's
tracked fields, with the acting user and date, the rows simple-history's `bulk_history_create` would make.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import TypeVar

from django.db import connection, models

T = TypeVar("T")


def chunked(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """The items in lists of `size` (the last one shorter), lazily: batches of ids for one statement each."""
    if size < 1:
        raise ValueError("size must be at least 1")
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def instance_factory(model) -> Callable[[dict], models.Model]:
    """A maker of new, unsaved instances from {attname: value}, defaults for the rest.

    Positional construction (what `Model.from_db` uses) skips the per-field keyword handling of `Model(**kw)`,
    a third of the time it takes to plan a 100,000-row import. The defaults are taken once, so a model with a
    mutable (callable) default must not use this.
    """
    fields = model._meta.concrete_fields
    position = {f.attname: i for i, f in enumerate(fields)}
    template = [f.get_default() for f in fields]

    def make(values: dict) -> models.Model:
        row = template.copy()
        for name, value in values.items():
            row[position[name]] = value
        return model(*row)

    return make


def _has_history(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def _stamp(objs: Sequence[models.Model], model, now: datetime, *, created: bool) -> list[str]:
    """Set auto_now (and, for new rows, auto_now_add) fields, which COPY and bulk_update would not."""
    stamped = []
    for model_field in model._meta.concrete_fields:
        auto_now = getattr(model_field, "auto_now", False)
        if auto_now or (created and getattr(model_field, "auto_now_add", False)):
            for obj in objs:
                setattr(obj, model_field.attname, now)
            if auto_now:
                stamped.append(model_field.name)
    return stamped


def bulk_insert(objs: Sequence[models.Model], model, *, user, now: datetime) -> None:
    """Insert new instances (their pks are set), with a `+` history record each naming `user`."""
    if not objs:
        return
    _stamp(objs, model, now, created=True)
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(objs)],
        )
        for obj, (new_id,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, new_id)
            obj._state.adding = False
    _copy(model, model._meta.concrete_fields, objs)
    if _has_history(model):
        _copy_history(model, objs, user=user, now=now, history_type="+")


def bulk_change(
    objs: Sequence[models.Model],
    model,
    fields: Sequence[str],
    *,
    user,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Write `fields` of changed instances (and their auto_now stamp), with a `~` history record each (`reason`:
    its change reason)."""
    if not objs:
        return
    fields = list(fields) + [name for name in _stamp(objs, model, now, created=False) if name not in fields]
    table = model._meta.db_table
    pk = model._meta.pk
    columns = [pk] + [model._meta.get_field(name) for name in fields]
    temp = f"_bulk_change_{table}"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(temp)} ON COMMIT DROP AS "
            f"SELECT {', '.join(quote(c.column) for c in columns)} FROM {quote(table)} WITH NO DATA"
        )
        _copy_rows(
            cursor,
            temp,
            columns,
            ([getattr(o, c.attname) for c in columns] for o in objs),
        )
        assignments = ", ".join(f"{quote(c.column)} = t.{quote(c.column)}" for c in columns[1:])
        cursor.execute(
            f"UPDATE {quote(table)} SET {assignments} FROM {quote(temp)} t "
            f"WHERE {quote(table)}.{quote(pk.column)} = t.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {quote(temp)}")
    if _has_history(model):
        _copy_history(model, objs, user=user, now=now, history_type="~", reason=reason)


def _copy(model, model_fields, objs) -> None:
    with connection.cursor() as cursor:
        _copy_rows(
            cursor,
            model._meta.db_table,
            list(model_fields),
            ([getattr(obj, f.attname) for f in model_fields] for obj in objs),
        )


def _copy_history(model, objs, *, user, now: datetime, history_type: str, reason: str | None = None) -> None:
    """One history row per written instance, copied from the table by SQL: the record shows what was stored,
    and no value makes a second trip through Python."""
    history_model = getattr(model, model._meta.simple_history_manager_attribute).model
    quote = connection.ops.quote_name
    tracked = [quote(f.column) for f in history_model.tracked_fields]
    meta = history_model._meta
    extra = ["history_date", "history_change_reason", "history_type", "history_user"]
    columns = tracked + [quote(meta.get_field(name).column) for name in extra]
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(tracked)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(pk)} = ANY(%s) ORDER BY {quote(pk)}",
            [now, reason, history_type, user.pk if user is not None else None, [obj.pk for obj in objs]],
        )


def _copy_rows(cursor, table: str, columns: list, rows) -> None:
    """COPY rows into `table`. CSV format lets the C csv writer render the values; an empty unquoted field is
    NULL, so the NOT NULL text columns are told to read it as an empty string instead."""
    quote = connection.ops.quote_name
    not_null_text = [c.column for c in columns if c.get_internal_type() in _TEXT_TYPES and not c.null]
    options = "FORMAT csv"
    if not_null_text:
        options += f", FORCE_NOT_NULL ({', '.join(quote(c) for c in not_null_text)})"
    sql = f"COPY {quote(table)} ({', '.join(quote(c.column) for c in columns)}) FROM STDIN WITH ({options})"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 20000:
            writer.writerows(chunk)
            chunk = []
    writer.writerows(chunk)
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)


_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
