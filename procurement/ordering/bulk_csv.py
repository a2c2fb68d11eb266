"""Reading an uploaded order list: bytes → text → rows of (product reference, quantity).

Spreadsheets in China save CSV as UTF-8 (with or without a byte-order mark), GB18030/GBK, or UTF-16 ("Unicode
text"); cells may be separated by commas, semicolons or tabs, in half- or full-width form (，；). A header row
is optional and, when present, says which column holds what. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass
from typing import IO

from flask_babel import lazy_gettext as _l

from core.errors import DomainError

#: Largest file read, in bytes.
MAX_FILE_BYTES = 1024 * 1024
#: Most product lines in one list (the purchase order's limit).
MAX_LIST_LINES = 200
#: Longest cell kept, in characters (a product reference or a quantity is far shorter).
MAX_CELL = 40

#: Header names (lower case, without spaces, ``_`` or ``-``) of the columns a list may have.
ID_HEADERS = frozenset(
    {"id", "productid", "产品id", "产品编号", "产品编码", "商品id", "商品编号", "商品编码", "编号"}
)
GTIN_HEADERS = frozenset(
    {"gtin", "gtin14", "gtin13", "ean", "ean13", "barcode", "条码", "条形码", "商品条码", "商品条形码"}
)
QUANTITY_HEADERS = frozenset({"quantity", "qty", "数量", "采购数量", "订购数量", "订货数量"})


class ListFileError(DomainError):
    """The uploaded file as a whole cannot be read (no line of it is ordered)."""

    status = 400
    message = _l("This file cannot be read.")


class FileTooLarge(ListFileError):
    """The file exceeds :data:`MAX_FILE_BYTES`."""

    message = _l("The file is larger than %(max)s KB. Split the list and upload the parts one after another.")


class NotCsv(ListFileError):
    """A spreadsheet or other binary file instead of CSV text."""

    message = _l(
        "This is not a CSV text file. In Excel or WPS choose “Save as” → “CSV (comma delimited)” and upload "
        "that file."
    )


class UnreadableText(ListFileError):
    """Neither UTF-8 nor GB18030 decodes the file."""

    message = _l("The file's text encoding is not recognised. Save it as CSV in UTF-8 or GBK and try again.")


class MalformedCsv(ListFileError):
    """The CSV structure is broken (e.g. an unclosed quotation mark)."""

    message = _l("Line %(line)s of the file cannot be read: a quotation mark is misplaced or not closed.")


class EmptyList(ListFileError):
    """No line with content."""

    message = _l("The file has no lines with a product and a quantity.")


class TooManyLines(ListFileError):
    """More than :data:`MAX_LIST_LINES` product lines."""

    message = _l("The list has %(count)s lines; at most %(max)s lines can be ordered at once.")


@dataclass(frozen=True)
class ListLine:
    """One line of an order list as the buyer wrote it: a product id or barcode, a quantity (both text).

    ``origin`` tells where it came from (the line number in the uploaded file), for the report.
    """

    reference: str
    quantity: str
    origin: str = ""


@dataclass
class ParsedFile:
    """The lines read from a file and what the reader noticed about the file as a whole."""

    lines: list[ListLine]
    header_line: int | None = None
    blank_lines: int = 0
    encoding: str = "utf-8"


def read_limited(stream: IO[bytes]) -> bytes:
    """Read at most :data:`MAX_FILE_BYTES` from ``stream``; raise :class:`FileTooLarge` beyond."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(max=MAX_FILE_BYTES // 1024)
    return data


def decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` as UTF-16 (with its BOM), UTF-8 (BOM optional) or GB18030; return text and encoding.

    Raises :class:`NotCsv` for spreadsheets and other binary files, :class:`UnreadableText` otherwise.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnreadableText() from exc
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")) or b"\x00" in data:
        raise NotCsv()
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableText() from exc


def _clean(cell: str) -> str:
    """A cell in NFKC form (full-width digits become ASCII) without surrounding space, invisible characters
    and excess length."""
    text = unicodedata.normalize("NFKC", cell)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(text.split())[:MAX_CELL]


#: Each separator and its other-width twin (typed when the input method switches between half and full width).
TWINS = {",": "，", "，": ",", ";": "；", "；": ";"}


def _delimiter(first_line: str) -> str:
    """The separator used by the list: the most frequent of comma, semicolon and tab, in half or full width,
    on its first line (half width wins a tie)."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t", "，", "；")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _separated(line: str, delimiter: str) -> str:
    """``line`` with the delimiter's twin as separator when it lacks the delimiter itself.

    A line typed with the other width (``12，30`` in a list of ``12,30``) is read the same way, while a line
    that has the delimiter keeps its twin as text (a note “请尽快，谢谢” or a quantity “1，200”).
    """
    twin = TWINS.get(delimiter)
    if twin is None or delimiter in line:
        return line
    return line.replace(twin, delimiter)


def _header_key(cell: str) -> str:
    """A header cell compared without case, spaces, underscores, hyphens and brackets' contents."""
    text = cell.split("(")[0].lower()
    return "".join(ch for ch in text if ch not in " _-")


def _looks_numeric(cell: str) -> bool:
    """Whether a cell reads like a number (a product id, barcode or quantity), possibly mistyped."""
    text = cell.lstrip("#").replace(" ", "").replace(",", "").replace(".", "", 1)
    return text.isdigit()


def _columns(header: list[str]) -> tuple[int | None, int | None, int] | None:
    """Positions of the id, barcode and quantity columns named by ``header``, or None if not recognised."""
    keys = [_header_key(cell) for cell in header]
    ids = next((i for i, key in enumerate(keys) if key in ID_HEADERS), None)
    gtins = next((i for i, key in enumerate(keys) if key in GTIN_HEADERS), None)
    quantity = next((i for i, key in enumerate(keys) if key in QUANTITY_HEADERS), None)
    if quantity is None or (ids is None and gtins is None):
        return None
    return ids, gtins, quantity


def _cell(row: list[str], index: int | None) -> str:
    """The cleaned cell at ``index`` (empty when the row is shorter or there is no such column)."""
    if index is None or index >= len(row):
        return ""
    return _clean(row[index])


def parse_text(text: str) -> ParsedFile:
    """Split CSV ``text`` into list lines (blank lines skipped, an optional header row understood).

    Without a header the first column is the product id or barcode and the second the quantity; a header
    may name the columns (产品编号 / 条码 / 数量, product id / GTIN / quantity) in any order, and other
    columns (a product name, a note) are ignored. Raises :class:`MalformedCsv`, :class:`EmptyList` and
    :class:`TooManyLines`.
    """
    # Lines end at \r\n, \r or \n only, as in the csv module (str.splitlines would also split a cell at
    # U+2028, form feeds and other separators, shifting every later line number). Cells are normalised
    # (NFKC) one by one after splitting, so a full-width comma inside a cell does not split it.
    physical = io.StringIO(text, newline="").readlines()
    first = next((line for line in physical if line.strip()), "")
    delimiter = _delimiter(first)
    lines = [_separated(line, delimiter) for line in physical]
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True, strict=True)
    parsed = ParsedFile(lines=[])
    columns: tuple[int | None, int | None, int] = (0, None, 1)
    seen_content, end = False, 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            cells = [_clean(cell) for cell in row]
            if not any(cells):
                parsed.blank_lines += 1
                continue
            if not seen_content:
                seen_content = True
                named = _columns(cells)
                if named is not None or not any(_looks_numeric(cell) for cell in cells[:2]):
                    columns = named or columns
                    parsed.header_line = start
                    continue
            ids, gtins, quantity = columns
            reference = _cell(row, ids) or _cell(row, gtins)
            parsed.lines.append(ListLine(reference, _cell(row, quantity), str(start)))
            if len(parsed.lines) > MAX_LIST_LINES:
                count = len(parsed.lines) + sum(1 for line in reader if any(cell.strip() for cell in line))
                raise TooManyLines(count=count, max=MAX_LIST_LINES)
    except csv.Error as exc:
        raise MalformedCsv(line=end + 1) from exc
    if not parsed.lines:
        raise EmptyList()
    return parsed


def read_upload(stream: IO[bytes]) -> ParsedFile:
    """Read an uploaded CSV list (size limit, encoding, separators, header); see :func:`parse_text`."""
    text, encoding = decode(read_limited(stream))
    parsed = parse_text(text)
    parsed.encoding = encoding
    return parsed
