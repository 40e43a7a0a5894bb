"""Reading the CSV files of docs/requirements.md §3: UTF-8 (a BOM allowed), comma or semicolon delimited, decimal
point or decimal comma, ISO dates, and every problem reported as `line N: column: reason` (the header is line 1).

A file that is not UTF-8 is read as Windows-1252 when it decodes as that (Danish Excel's "CSV (semikolonsepareret)"
saves it so), and the import says so with a notice (`ErrorList.notices`); otherwise it is refused with the advice
to save it as "CSV UTF-8".

Shared by the file imports, so that they read numbers and dates the same way and report errors alike.
Reasons are translated into the active language; management commands run untranslated (English).
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


class CellError(Exception):
    """A cell's value is wrong; the message is the reason in `line N: column: reason`."""


class ErrorList:
    """Errors in line order (header first), however late in the checks each was found."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, str]] = []
        # What the reader did that the user should know although nothing is wrong (a file read as Windows-1252):
        # shown with the result and kept on the ImportRun, whether the import succeeded or not.
        self.notices: list[str] = []

    def add(self, line: int, column: str, reason: str) -> None:
        self._items.append((line, len(self._items), f"line {line}: {column}: {reason}"))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def lines(self) -> list[str]:
        return [text for _line, _seq, text in sorted(self._items)]


# A multi-byte UTF-8 sequence. Windows-1252 text hardly ever holds one (it would take a letter such as Ø or æ
# followed by €, a curly quote, a dash or one of ¡ to ¿), so a file with one is UTF-8 with a stray byte.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _line_of(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def decode(data: bytes, errors: ErrorList) -> str | None:
    """The file's text: UTF-8 (a BOM allowed), else Windows-1252 with a notice, else None and an error.

    Windows-1252 decodes every byte but five (0x81, 0x8D, 0x8F, 0x90, 0x9D). A file with one of those, or with a
    NUL (UTF-16, "Unicode text"), is neither and is refused; so is a UTF-8 file with a stray byte, whose æøå a
    Windows-1252 reading would garble.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        stray = exc.start
    if _UTF8_SEQUENCE.search(data):
        errors.add(
            _line_of(data, stray),
            "file",
            _(
                "byte 0x%(byte)02x is not UTF-8, though the file has UTF-8 text elsewhere; "
                'save it as "CSV UTF-8" in Excel and import that'
            )
            % {"byte": data[stray]},
        )
        return None
    # UTF-16 would decode as Windows-1252 too, into nonsense: its NUL bytes give it away.
    position = data.find(b"\0")
    if position < 0:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            position = exc.start
    if position >= 0:
        errors.add(
            _line_of(data, position),
            "file",
            _(
                "neither UTF-8 nor Windows-1252 text (byte 0x%(byte)02x); "
                'save it as "CSV UTF-8" in Excel and import that'
            )
            % {"byte": data[position]},
        )
        return None
    errors.notices.append(
        _(
            "The file is not UTF-8 (byte 0x%(byte)02x on line %(line)s), so it was read as Windows-1252, "
            'as Danish Excel saves "CSV (semikolonsepareret)". Check that æ, ø, å and € came through, '
            'or save the file as "CSV UTF-8" next time.'
        )
        % {"byte": data[stray], "line": _line_of(data, stray)}
    )
    return text


class CsvText:
    """The header and the records of a decoded file, with its dialect sniffed from the header line."""

    def __init__(self, text: str, errors: ErrorList) -> None:
        first_line = text.split("\n", 1)[0]
        self.delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        # A semicolon file is the Danish spreadsheet dialect: decimal comma, `.` between thousands.
        self.decimal_comma = self.delimiter == ";"
        self.errors = errors
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        self.header: list[str] = []
        try:
            self.header = [name.strip() for name in next(self._reader)]
        except StopIteration:
            errors.add(1, "file", _("empty: the first line must name the columns"))
        except csv.Error as exc:
            errors.add(1, "file", _("not readable as CSV (%(error)s)") % {"error": exc})

    def check_header(self, *, required: Iterable[str], optional: Iterable[str]) -> None:
        """Unknown and repeated columns are errors (a typo must not drop a column silently); so are missing ones."""
        if not self.header:
            return  # an empty or unreadable file has been reported already
        required = list(required)
        known = set(required) | set(optional)
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                self.errors.add(1, name, _("column appears more than once"))
            elif name not in known:
                self.errors.add(1, name or "(blank)", _("unknown column"))
            seen.add(name)
        for name in required:
            if name not in seen:
                self.errors.add(1, name, _("required column missing"))

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line where the record starts, cells), skipping blank lines; a record of the wrong width is an error."""
        if not self.header:
            return
        previous_end = 1
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.errors.add(
                    previous_end + 1, "file", _("not readable as CSV (%(error)s)") % {"error": exc}
                )
                return
            line, previous_end = previous_end + 1, self._reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != len(self.header):
                self.errors.add(
                    line,
                    "row",
                    _("has %(cells)s fields, the header has %(columns)s")
                    % {"cells": len(cells), "columns": len(self.header)},
                )
                continue
            yield line, cells


# ---------------------------------------------------------------- cell parsers (the cell is stripped, not blank)


def text(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise CellError(_("longer than %(limit)s characters") % {"limit": max_length})
        return raw

    return parse


def choice(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = list(choices)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise CellError(
                _("%(value)r is not one of %(choices)s") % {"value": raw, "choices": ", ".join(allowed)}
            )
        return raw

    return parse


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(raw: str) -> date:
    if not _DATE.fullmatch(raw):
        raise CellError(_("%(value)r is not a date in the form YYYY-MM-DD") % {"value": raw})
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CellError(_("%(value)r is not a valid date") % {"value": raw}) from None


_BOOLEANS = {
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "ja": True,
    "nej": False,
}


def parse_boolean(raw: str) -> bool:
    try:
        return _BOOLEANS[raw.lower()]
    except KeyError:
        raise CellError(_("%(value)r is not yes/no, true/false, 1/0 or ja/nej") % {"value": raw}) from None


_NUMBER_CHARS = re.compile(r"[+-]?[0-9.,]+")
_PLAIN_POINT = re.compile(r"-?\d+(?:\.\d+)?")
_PLAIN_COMMA = re.compile(r"-?\d+(?:,\d+)?")


def _not_a_number(raw: str) -> CellError:
    return CellError(_("%(value)r is not a number") % {"value": raw})


def parse_decimal(raw: str, *, decimal_comma: bool) -> Decimal:
    """Read `1234.5`, `1,234.50`, `1.234.567,89`, `1 234,5` or `4,25`.

    A separator is the decimal mark unless it can only be a thousands separator (it repeats, or the other mark
    follows it). The one ambiguous case, a single separator followed by exactly three digits (`1.234`), is read
    in the file's dialect: a semicolon file writes the Danish way, a comma file the English way.
    """
    plain = (_PLAIN_COMMA if decimal_comma else _PLAIN_POINT).fullmatch(raw)
    if plain:  # the common case, 1234 or 1234,5 in the file's own dialect: no more checks needed
        return Decimal(raw.replace(",", "."))
    number = raw.replace(" ", "").replace("\u00a0", "")
    if not _NUMBER_CHARS.fullmatch(number):
        raise _not_a_number(raw)
    sign = ""
    if number[0] in "+-":
        sign, number = ("-" if number[0] == "-" else ""), number[1:]
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        mark = "," if number.rfind(",") > number.rfind(".") else "."
    elif dots + commas == 1:
        separator = "." if dots else ","
        ambiguous = re.fullmatch(r"\d{1,3}[.,]\d{3}", number) is not None
        mark = None if ambiguous and separator == ("." if decimal_comma else ",") else separator
    else:
        mark = None  # no separator, or one that repeats: thousands only
    whole, _mark, fraction = number.rpartition(mark) if mark else (number, "", "")
    if mark and not fraction.isdigit():
        raise _not_a_number(raw)
    thousands = [c for c in ".," if c != mark and c in whole]
    if thousands:
        if len(thousands) > 1 or not re.fullmatch(rf"\d{{1,3}}(\{thousands[0]}\d{{3}})+", whole):
            raise CellError(_("%(value)r is not a number (thousands separators misplaced)") % {"value": raw})
        whole = whole.replace(thousands[0], "")
    if not whole.isdigit():
        raise _not_a_number(raw)
    return Decimal(f"{sign}{whole}.{fraction or '0'}")


def _decimal_places(value: Decimal) -> int:
    """Significant decimals: 4.2500 has two."""
    sign, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and (exponent >= 0 or digits[-1] != 0):
        return max(0, -exponent)  # no decimals, or the last one is not zero: nothing to normalise
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def amount(*, max_digits: int, decimal_places: int, positive: bool = False, negative: bool = False):
    """A parser for a DecimalField's range: `positive` refuses zero, `negative` allows below zero."""
    limit = Decimal(10) ** (max_digits - decimal_places)
    step = Decimal(1).scaleb(-decimal_places)

    def parse(raw: str, *, decimal_comma: bool) -> Decimal:
        value = parse_decimal(raw, decimal_comma=decimal_comma)
        if positive and value <= 0:
            raise CellError(_("%(value)r must be more than zero") % {"value": raw})
        if value < 0 and not negative:
            raise CellError(_("%(value)r must not be negative") % {"value": raw})
        if _decimal_places(value) > decimal_places:
            raise CellError(
                _("%(value)r has more than %(places)s decimals") % {"value": raw, "places": decimal_places}
            )
        if abs(value) >= limit:
            raise CellError(_("%(value)r is too large") % {"value": raw})
        return value.quantize(step)

    return parse


_CURRENCIES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def parse_currency(raw: str) -> str:
    """An ISO 4217 code from pycountry's maintained list, not just any three letters."""
    code = raw.upper()
    if code not in _CURRENCIES:
        raise CellError(_("%(value)r is not an ISO 4217 currency code") % {"value": raw})
    return code


_REGIONS: dict[str, bool] = {}


def parse_region(raw: str) -> str:
    """An ISO 3166 country (DK) or subdivision (US-CA) code: the jurisdictions recourse rules are kept by."""
    code = raw.upper()
    if code not in _REGIONS:
        found = pycountry.countries.get(alpha_2=code) or pycountry.subdivisions.get(code=code)
        _REGIONS[code] = found is not None
    if not _REGIONS[code]:
        raise CellError(
            _("%(value)r is not an ISO 3166 country or subdivision code (e.g. DK, US-CA)") % {"value": raw}
        )
    return code


def email(max_length: int) -> Callable[[str], str]:
    check_length = text(max_length)

    def parse(raw: str) -> str:
        check_length(raw)
        try:
            validate_email(raw)
        except ValidationError:
            raise CellError(_("%(value)r is not an e-mail address") % {"value": raw}) from None
        return raw

    return parse
