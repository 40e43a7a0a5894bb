"""The register's XLSX written straight from PostgreSQL's COPY stream (issue 9, target 6).

An XLSX file is a zip of a few XML parts. Here PostgreSQL writes the sheet's rows: the export's SELECT (the same
columns and order as the CSV's, text neutralized against formulas by common.exports.neutralized, contact columns
blanked) is wrapped in one that turns each row into its `<row>` of SpreadsheetML, and `COPY (…) TO STDOUT` hands
those lines on (exports_copy.py: a thread and a bounded queue for the web, the file for the command). Python only
puts the fixed parts around them and deflates the stream into the zip, so memory stays flat and no cell is built
in Python: openpyxl's write-only mode built 1.8 million cell objects for 100,000 rows (15x psql's COPY).

The sheet is what the openpyxl writer made: a bold header row that stays in view, an autofilter over the data,
column widths, dates as date cells (serial day numbers in the yyyy-mm-dd format), the balance as a number in
#,##0.00, text as inline strings (no shared-string table, which would need every string before the sheet).

Each row's XML holds no tab, newline, carriage return or backslash (written as character references), so COPY's
text format passes it through unchanged; characters XML 1.0 forbids are dropped.
"""

import datetime
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from django.db import connections
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import NullIf

from common.exports import neutralized

from . import exports_copy

DATE_COLUMNS = {"event_date", "maturity_date"}
NUMBER_COLUMNS = {"outstanding_balance"}
COMPRESS_LEVEL = 1  # deflate at its fastest: the XML repeats itself, level 1 already shrinks it ~8x
EXCEL_EPOCH = datetime.date(1899, 12, 30)

# cellXfs: 0 General, 1 the amount (#,##0.00), 2 a date (yyyy-mm-dd), 3 the bold header
STYLE_AMOUNT, STYLE_DATE, STYLE_HEADER = 1, 2, 3

_CONTROL = r"E'[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F]'"


def _xml_text(column: str) -> str:
    """SQL: the text of a column as XML character data with no tab, LF, CR or backslash left."""
    expression = f"regexp_replace({column}, {_CONTROL}, '', 'g')"
    for char, reference in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("chr(92)", "&#92;"),
        ("chr(9)", "&#9;"),
        ("chr(10)", "&#10;"),
        ("chr(13)", "&#13;"),
    ):
        needle = char if char.startswith("chr(") else f"'{char}'"
        expression = f"replace({expression}, {needle}, '{reference}')"
    return expression


def _cell_sql(name: str, column: str) -> str:
    if name in DATE_COLUMNS:
        value = f"'<c s=\"{STYLE_DATE}\"><v>' || ({column} - DATE '{EXCEL_EPOCH.isoformat()}') || '</v></c>'"
    elif name in NUMBER_COLUMNS:
        value = f"'<c s=\"{STYLE_AMOUNT}\"><v>' || {column}::text || '</v></c>'"
    else:
        value = (
            f"'<c t=\"inlineStr\"><is><t xml:space=\"preserve\">' || {_xml_text(column)} || '</t></is></c>'"
        )
    return f"COALESCE({value}, '<c/>')"


def rows_queryset(*, rows: QuerySet, columns: list[tuple[str, str]], blank: set[str]) -> QuerySet:
    """`rows` (ordered) with the export's columns, typed: text neutralized ('' as NULL), dates and amounts as
    they are, blanked columns NULL."""
    expressions = {}
    for index, (name, path) in enumerate(columns):
        if name in blank:
            expression = Value(None, output_field=CharField())
        elif name in DATE_COLUMNS or name in NUMBER_COLUMNS:
            expression = F(path)
        else:
            expression = neutralized(NullIf(F(path), Value("")))
        expressions[f"c{index}"] = expression
    return rows.annotate(**expressions).values_list(*expressions)


def copy_sql(*, queryset: QuerySet, columns: list[tuple[str, str]], using: str = "default") -> str:
    """COPY of one `<row>` line per exported row (the parameters inlined by psycopg2's own quoting)."""
    sql, params = queryset.query.sql_with_params()
    with connections[using].cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    cells = " || ".join(_cell_sql(name, f"x.c{index}") for index, (name, _path) in enumerate(columns))
    return f"COPY (SELECT '<row>' || {cells} || '</row>' FROM ({select}) x) TO STDOUT"


# --- the fixed parts ---------------------------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
    ' Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _workbook(sheet_title: str, last_column: str, rows: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_title)}" sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"'{escape(sheet_title)}'!$A$1:${last_column}${rows + 1}</definedName></definedNames>"
        "</workbook>"
    )


def _sheet_head(header: list[str], widths: list[float]) -> str:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    cells = "".join(
        f'<c s="{STYLE_HEADER}" t="inlineStr"><is><t xml:space="preserve">{escape(label)}</t></is></c>'
        for label in header
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData><row>{cells}</row>\n"
    )


def _sheet_tail(last_column: str, rows: int) -> str:
    return f'</sheetData><autoFilter ref="A1:{last_column}{rows + 1}"/></worksheet>'


class _Sink(io.RawIOBase):
    """A write-only, unseekable file collecting what the zip writer writes (so it writes data descriptors)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts = []
        return data


def write_xlsx(
    *, out, header: list[str], widths: list[float], row_chunks: Iterable[bytes], counter, sheet_title: str
) -> Iterator[None]:
    """Write the workbook into `out` (a file or a _Sink), the sheet's rows from `row_chunks` (the COPY's lines).
    A generator: it pauses after each chunk so that a stream can hand on what was written; `counter.rows` says
    how many rows there were once `row_chunks` is exhausted."""
    last = _column_letter(len(header))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(header, widths).encode("utf-8"))
            yield
            for chunk in row_chunks:
                sheet.write(chunk)
                yield
            sheet.write(_sheet_tail(last, counter.rows).encode("utf-8"))
        book.writestr("xl/workbook.xml", _workbook(sheet_title, last, counter.rows))
    yield


def _row_chunks(*, sql: str, counter, using: str, in_atomic_block: bool) -> Iterator[bytes]:
    """The COPY's lines in chunks. Outside a transaction the COPY runs in a thread of its own with a bounded
    queue (exports_copy.copy_stream); inside one (a test) it can only run on this connection: into a temporary
    file first."""
    if not in_atomic_block:
        yield from exports_copy.copy_stream(sql=sql, counter=counter, using=using)
        return
    with tempfile.TemporaryFile(prefix="register-export-") as spool:
        counter.rows = exports_copy.copy_into_file(sql=sql, out=spool, using=using)
        spool.seek(0)
        while chunk := spool.read(exports_copy.CHUNK_BYTES):
            yield chunk


def xlsx_stream(
    *,
    sql: str,
    header: list[str],
    widths: list[float],
    counter,
    using: str,
    sheet_title: str,
    in_atomic_block: bool,
) -> Iterator[bytes]:
    """The workbook's bytes as they are written (the web download)."""
    sink = _Sink()
    rows = _row_chunks(sql=sql, counter=counter, using=using, in_atomic_block=in_atomic_block)
    for _ in write_xlsx(
        out=sink, header=header, widths=widths, row_chunks=rows, counter=counter, sheet_title=sheet_title
    ):
        if data := sink.take():
            yield data


def xlsx_into_file(
    *,
    out,
    sql: str,
    header: list[str],
    widths: list[float],
    counter,
    using: str,
    sheet_title: str,
    in_atomic_block: bool,
) -> None:
    """The workbook into a file (the command)."""
    rows = _row_chunks(sql=sql, counter=counter, using=using, in_atomic_block=in_atomic_block)
    for _ in write_xlsx(
        out=out, header=header, widths=widths, row_chunks=rows, counter=counter, sheet_title=sheet_title
    ):
        pass
