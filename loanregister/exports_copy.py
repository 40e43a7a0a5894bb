"""The CSV export through `COPY (<the export's SELECT>) TO STDOUT WITH (FORMAT csv)`.

Python's row loop over a server-side cursor made the export about 3x slower than psql's COPY of the same query
(docs/benchmarks.md): a cursor's query never runs in parallel and every row crossed into Python. Here the server
writes the CSV and psycopg2's `copy_expert` hands it on: straight into the file for the command, and through a
background thread and a bounded queue for the web's StreamingHttpResponse, so memory stays flat either way.

The bytes equal the Python path's (exports._csv_chunks) for both dialects: the SELECT formats each cell the way
that path does (the dialect's decimal separator, contact columns blanked, empty text as NULL because COPY would
quote an empty string), and COPY's quoting rule (delimiter, quote, CR or LF in the value) is the Python path's.
The header (and the BOM) are written by Python, since the SELECT's column aliases cannot carry the header's names
(they clash with the model's fields). Text cells that a spreadsheet would run as a formula get a leading `'` in the
SELECT (common.exports.neutralized), as the Python path does with common.exports.neutralize.
"""

import queue
import threading
from collections.abc import Iterator

from django.db import connections
from django.db.models import CharField, F, QuerySet, TextField, Value
from django.db.models.functions import Cast, NullIf, Replace

from common.exports import neutralized

CHUNK_BYTES = 64 * 1024  # what the web stream yields at a time
QUEUE_CHUNKS = 8  # chunks the copy thread may run ahead of the client: the memory bound (~0.5 MB)
_TEXT_PATHS = {
    # text columns: '' becomes NULL, which COPY writes as an empty field (as the Python path does)
    "loan_number",
    "kind",
    "borrower__name",
    "borrower__address",
    "borrower__email",
    "borrower__phone",
    "borrower__preferred_language",
    "loan__property__address",
    "loan_type",
    "currency",
    "office__code",
    "office__name",
    "officer__username",
    "officer__email",
    "servicer__name",
}


def copy_queryset(
    *, rows: QuerySet, columns: list[tuple[str, str]], blank: set[str], decimal: str
) -> QuerySet:
    """`rows` (ordered, not yet narrowed to values) with the export's columns as the dialect prints them."""
    expressions = {}
    for index, (name, path) in enumerate(columns):
        if name in blank:
            expression = Value(None, output_field=CharField())
        elif path == "outstanding_balance":
            expression = Cast(F(path), TextField())  # numeric(18, 2) prints two decimals, as Python does
            if decimal != ".":
                expression = Replace(expression, Value("."), Value(decimal), output_field=TextField())
        elif path in _TEXT_PATHS:
            expression = neutralized(NullIf(F(path), Value("")))  # a formula-like text gets its leading '

        else:
            expression = F(path)  # dates print ISO (PostgreSQL's default DateStyle, as Python's str())
        expressions[f"c{index}"] = expression
    return rows.annotate(**expressions).values_list(*expressions)


def copy_sql(*, queryset: QuerySet, delimiter: str, using: str = "default") -> str:
    """The COPY statement, its parameters inlined (COPY takes no bind parameters) by psycopg2's own quoting."""
    sql, params = queryset.query.sql_with_params()
    with connections[using].cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    quoted = delimiter.replace("'", "''")
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, DELIMITER '{quoted}')"


def copy_into_file(*, sql: str, out, using: str = "default") -> int:
    """Run the COPY into a binary file object on the caller's connection; returns the row count."""
    with connections[using].cursor() as cursor:
        cursor.copy_expert(sql, out)
        return cursor.rowcount  # psycopg2 sets it from the "COPY n" command tag


class _Stopped(Exception):
    """The reader went away: abandon the COPY."""


_END = object()


class _CopyThread(threading.Thread):
    """Runs the COPY on a connection of its own (Django's connections are per thread) and puts the output, in
    chunks of about CHUNK_BYTES, into a bounded queue; closes that connection however it ends."""

    def __init__(self, *, sql: str, using: str):
        super().__init__(name="register-export-copy", daemon=True)
        self.sql, self.using = sql, using
        self.chunks: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.rows = 0
        self.error: BaseException | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = None

    # the file-like object copy_expert writes to: one call per row
    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._parts:
            chunk = b"".join(self._parts)
            self._parts, self._size = [], 0
            self._put(chunk)

    def _put(self, item) -> None:
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                self.chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        connection = connections[self.using]
        try:
            with connection.cursor() as cursor:
                self._raw = connection.connection
                cursor.copy_expert(self.sql, self)
                self._flush()
                self.rows = cursor.rowcount
        except BaseException as error:  # handed to the reader, which raises it
            self.error = error
        finally:
            self._raw = None
            connection.close()
            try:
                self._put(_END)
            except _Stopped:
                pass

    def cancel(self) -> None:
        """The reader is gone: stop the thread, also while it waits for the server."""
        self.stop.set()
        raw = self._raw
        if raw is not None:
            try:
                raw.cancel()  # psycopg2: safe to call from another thread
            except Exception:  # noqa: BLE001 - the connection may already be closed; the thread ends anyway
                pass
        self.join()


def copy_stream(*, sql: str, counter, using: str = "default") -> Iterator[bytes]:
    """Yield the COPY's output in chunks; sets counter.rows at the end. Closing the generator (a client that
    went away) stops the COPY and closes its connection."""
    thread = _CopyThread(sql=sql, using=using)
    thread.start()
    try:
        while (chunk := thread.chunks.get()) is not _END:
            yield chunk
        thread.join()
        if thread.error is not None:
            raise thread.error
        counter.rows = thread.rows
    finally:
        if thread.is_alive():
            thread.cancel()
