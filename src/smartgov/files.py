"""Files from outside — CSV, XLSX, any zip or XML — read with hard limits; and cells written safely.

Reading. Every upload that is parsed goes through this module, which refuses a hostile file
before it costs memory or time, with a 422 naming the form field (:class:`FileRefused`):

* **zip** (XLSX today; .qdpx and DOCX are zips too): the entry count is read from the archive's
  end record *before* the central directory is parsed; then every entry's declared size, the
  archive's total and each entry's compression ratio are checked; encrypted entries and
  compression methods other than stored/deflate are refused; while an entry is read the bytes
  that actually come out are counted against the same caps (headers are never trusted alone).
* **XML** is parsed by ``defusedxml`` with DTDs forbidden, so entity declarations (billion
  laughs, external entities) are refused outright; big parts (a worksheet, the shared strings)
  are parsed as a stream — no tree is built — and rows, cells, columns and the length of every
  string are counted as they arrive, so a limit stops the parse at once.
* **XLSX** is read by that streaming parser rather than by openpyxl: openpyxl keeps a whole
  row's elements and every shared string in memory before a caller could count anything (one
  300 MB shared string took a server to 1.2 GB). The first worksheet's cells come back as
  openpyxl's ``values_only`` gives them (text, ``int``, ``float``, ``bool``, ``None``), except
  that date-formatted numbers stay numbers.
* **CSV** is decoded as a stream (UTF-8, BOM optional); lines, fields per row, rows and the
  file's size are limited, and NUL bytes are dropped.

Writing. :func:`safe_cell` neutralizes a value a spreadsheet would run as a formula (OWASP CSV
injection: text starting with ``= + - @``, tab or carriage return gets a leading apostrophe);
:func:`csv_text` and :func:`xlsx_sheet_rows` are what every CSV/XLSX export uses.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, fromstring

from smartgov.errors import DomainError
from smartgov.i18n import N_

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a caller accepts in one file; the defaults fit a spreadsheet a person makes by hand."""

    max_rows: int = 100_000
    max_columns: int = 1_000
    max_cells: int = 500_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_text_chars: int = 8_000_000  # XLSX: all strings kept, together
    max_line_chars: int = 256 * 1024  # CSV: one physical line
    max_entries: int = 200  # zip: files inside
    max_unpacked_bytes: int = 48 * MB  # zip: all entries together, and so each one
    max_ratio: int = 200  # zip: unpacked / packed size of an entry larger than RATIO_FLOOR

    def but(self, **changes: Any) -> Limits:
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
RATIO_FLOOR = MB  # small entries may compress oddly well (an empty sheet); only big ones are judged
SMALL_PART = MB  # a manifest or relationships part parsed whole is never bigger
_CHUNK = 64 * 1024


class FileRefused(DomainError):
    """A file refused for its shape, not its content: too big unpacked, too many parts, unsafe XML … (422)."""

    status = 422

    def __init__(self, code: str, message: str, field: str, *, line: int | None = None, **params: Any) -> None:
        if line is not None:
            params["line"] = line
        super().__init__(code, message, field=field, **params)
        self.line = line  # the CSV line (or spreadsheet row) it happened at, when there is one


# --------------------------------------------------------------------------- zip


def open_zip(data: bytes, *, field: str, limits: Limits = DEFAULT_LIMITS, kind: str = "XLSX") -> zipfile.ZipFile:
    """A zip archive whose entry count, sizes, ratios and methods are within ``limits``.

    Read its entries with :func:`read_entry` / :func:`stream_entry`, which count what comes out.
    """
    entries = _declared_entries(data, field, kind)
    if entries > limits.max_entries:
        raise FileRefused("file_too_many_parts", N_("The file has more than {max} parts inside; it was refused as "
                                                    "unsafe."), field, max=limits.max_entries)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise _damaged(field, kind) from exc
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise FileRefused("file_too_many_parts", N_("The file has more than {max} parts inside; it was refused as "
                                                    "unsafe."), field, max=limits.max_entries)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRefused("file_unsupported", N_("The file is encrypted or packed in a way {kind} files never "
                                                     "are; it was refused."), field, kind=kind)
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise _too_big(field, limits)
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _ratio(field, limits)
    return archive


def _declared_entries(data: bytes, field: str, kind: str) -> int:
    """The entry count in the end-of-central-directory record (zip64 too), read before zipfile parses
    the directory, so a directory of millions of entries is never turned into objects."""
    tail_start = max(0, len(data) - 22 - 65535)
    end = data.rfind(b"PK\x05\x06", tail_start)
    if end < 0 or len(data) < end + 22:
        raise _damaged(field, kind)
    entries, size = struct.unpack_from("<HI", data, end + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: the real numbers are in the zip64 end record
        locator = end - 20
        if locator < 0 or data[locator:locator + 4] != b"PK\x06\x07":
            raise _damaged(field, kind)
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 56 > len(data) or data[record:record + 4] != b"PK\x06\x06":
            raise _damaged(field, kind)
        (entries,) = struct.unpack_from("<Q", data, record + 32)
    return int(entries)


def stream_entry(archive: zipfile.ZipFile, name: str, *, field: str, limits: Limits = DEFAULT_LIMITS,
                 kind: str = "XLSX") -> Iterator[bytes]:
    """The entry's bytes in chunks, refused as soon as more come out than it declared or the limits allow."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _damaged(field, kind) from None
    cap = min(info.file_size, limits.max_unpacked_bytes)
    seen = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                seen += len(chunk)
                if seen > cap:
                    raise _too_big(field, limits)
                if seen > RATIO_FLOOR and seen > limits.max_ratio * max(info.compress_size, 1):
                    raise _ratio(field, limits)
                yield chunk
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise _damaged(field, kind) from exc


def read_entry(archive: zipfile.ZipFile, name: str, *, field: str, limits: Limits = DEFAULT_LIMITS,
               kind: str = "XLSX") -> bytes:
    """A small entry (a manifest, a relationships part) whole: at most :data:`SMALL_PART` bytes."""
    small = limits.but(max_unpacked_bytes=min(SMALL_PART, limits.max_unpacked_bytes))
    return b"".join(stream_entry(archive, name, field=field, limits=small, kind=kind))


# --------------------------------------------------------------------------- XML


def parse_xml(data: bytes, *, field: str, kind: str = "XML") -> Any:
    """A small XML document as an ElementTree element, with DTDs and entities refused."""
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _unsafe_xml(field) from exc
    except (ParseError, ValueError) as exc:
        raise _damaged(field, kind) from exc


def stream_xml(chunks: Iterable[bytes], target: Any, *, field: str, kind: str = "XML") -> None:
    """Feed a big XML document to a parser ``target`` (``start``/``end``/``data``/``close``) chunk by
    chunk, with DTDs and entities refused; the target raises :class:`FileRefused` to stop early."""
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except DefusedXmlException as exc:
        raise _unsafe_xml(field) from exc
    except ParseError as exc:
        raise _damaged(field, kind) from exc


# --------------------------------------------------------------------------- XLSX

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_C, _V, _T, _ROW, _SI, _RPH = (f"{_MAIN}{tag}" for tag in ("c", "v", "t", "row", "si", "rPh"))


def xlsx_rows(data: bytes, *, field: str, limits: Limits = DEFAULT_LIMITS) -> list[list[Any]]:
    """The first worksheet's rows (gaps kept as empty rows, short rows not padded)."""
    archive = open_zip(data, field=field, limits=limits)
    sheet = _first_sheet(archive, field, limits)
    names = set(archive.namelist())
    budget = _Budget(field, limits)
    strings = _shared_strings(archive, field, limits, budget) if "xl/sharedStrings.xml" in names else []
    reader = _SheetReader(strings, field, limits, budget)
    stream_xml(stream_entry(archive, sheet, field=field, limits=limits), reader, field=field, kind="XLSX")
    return reader.rows


def _first_sheet(archive: zipfile.ZipFile, field: str, limits: Limits) -> str:
    book = parse_xml(read_entry(archive, "xl/workbook.xml", field=field, limits=limits), field=field, kind="XLSX")
    first = book.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if first is None:
        raise _damaged(field, "XLSX")
    rel_id = first.get(f"{_REL}id")
    rels = parse_xml(read_entry(archive, "xl/_rels/workbook.xml.rels", field=field, limits=limits), field=field,
                     kind="XLSX")
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path in archive.namelist():
                return path
    raise _damaged(field, "XLSX")


class _Budget:
    """Characters of text a workbook may still keep (shared and inline strings together)."""

    def __init__(self, field: str, limits: Limits) -> None:
        self.left, self.field, self.limits = limits.max_text_chars, field, limits

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise FileRefused("file_too_much_text", N_("The file holds more than {max} characters of text."),
                              self.field, max=self.limits.max_text_chars)


class _Text:
    """Collects the text of one string (a shared string, an inline string, a value), refusing long ones."""

    def __init__(self, budget: _Budget) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.budget = budget
        self.field, self.limit = budget.field, budget.limits.max_cell_chars

    def add(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            raise FileRefused("file_cell_too_long", N_("A cell is longer than {max} characters."), self.field,
                              max=self.limit)
        self.budget.spend(len(text))
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


def _shared_strings(archive: zipfile.ZipFile, field: str, limits: Limits, budget: _Budget) -> list[str]:
    reader = _StringsReader(field, limits, budget)
    stream_xml(stream_entry(archive, "xl/sharedStrings.xml", field=field, limits=limits), reader, field=field,
               kind="XLSX")
    return reader.strings


class _StringsReader:
    """``<sst><si><t>…</t></si>`` (rich text: several ``<r><t>`` runs per ``si``; phonetic runs skipped)."""

    def __init__(self, field: str, limits: Limits, budget: _Budget) -> None:
        self.strings: list[str] = []
        self.text = _Text(budget)
        self.field, self.limits = field, limits
        self.in_t = False
        self.skip = 0  # inside <rPh> (phonetic guide): not part of the value

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == _T and not self.skip:
            self.in_t = True
        elif tag == _RPH:
            self.skip += 1

    def end(self, tag: str) -> None:
        if tag == _T:
            self.in_t = False
        elif tag == _RPH:
            self.skip -= 1
        elif tag == _SI:
            if len(self.strings) >= self.limits.max_cells:  # more strings than cells could ever use
                raise _too_many_cells(self.field, self.limits)
            self.strings.append(self.text.take())

    def data(self, text: str) -> None:
        if self.in_t:
            self.text.add(text)

    def close(self) -> None:
        return None


class _SheetReader:
    """``<sheetData><row><c r="B3" t="s"><v>0</v></c>…``: cells placed by their reference, typed as openpyxl does."""

    def __init__(self, strings: list[str], field: str, limits: Limits, budget: _Budget) -> None:
        self.rows: list[list[Any]] = []
        self.strings, self.field, self.limits = strings, field, limits
        self.text = _Text(budget)
        self.row: list[Any] | None = None
        self.cells = 0
        self.kind = "n"
        self.column = 0
        self.in_value = False
        self.skip = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == _C:
            self.kind = attrib.get("t", "n")
            column = _column_index(attrib.get("r", "").rstrip("0123456789"))
            self.column = column if column >= 0 else len(self.row or [])
            if self.column >= self.limits.max_columns:
                raise FileRefused("file_too_many_columns", N_("A row has more than {max} columns."), self.field,
                                  max=self.limits.max_columns)
        elif tag in (_V, _T):
            self.in_value = not self.skip
        elif tag == _RPH:
            self.skip += 1
        elif tag == _ROW:
            number = attrib.get("r", "")
            index = int(number) - 1 if number.isascii() and number.isdigit() and len(number) < 10 else -1
            index = max(index, len(self.rows))  # no number, or out of order: the next row
            if index >= self.limits.max_rows:
                raise FileRefused("file_too_many_rows", N_("The file has more than {max} rows."), self.field,
                                  max=self.limits.max_rows)
            while len(self.rows) < index:  # rows the sheet skips are empty rows
                self.rows.append([])
            self.row = []
            self.rows.append(self.row)

    def end(self, tag: str) -> None:
        if tag in (_V, _T):
            self.in_value = False
        elif tag == _RPH:
            self.skip -= 1
        elif tag == _C and self.row is not None:
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise _too_many_cells(self.field, self.limits)
            value = self._value(self.text.take())
            if self.column >= len(self.row):
                self.row.extend([None] * (self.column - len(self.row) + 1))
            self.row[self.column] = value
        elif tag == _ROW:
            self.row = None

    def data(self, text: str) -> None:
        if self.in_value:
            self.text.add(text)

    def close(self) -> None:
        return None

    def _value(self, raw: str) -> Any:
        kind = self.kind
        if kind in ("inlineStr", "str", "e", "d"):
            return raw
        if raw == "":
            return None
        if kind == "s":
            index = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else -1
            if not 0 <= index < len(self.strings):
                raise _damaged(self.field, "XLSX")
            return self.strings[index]
        if kind == "b":
            return raw == "1"
        try:
            number = float(raw)
        except ValueError:
            raise _damaged(self.field, "XLSX") from None
        whole = raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 18  # int() refuses 4,300+ digits
        return int(raw) if whole else number


@functools.lru_cache(maxsize=4096)
def _column_index(letters: str) -> int:
    """``A`` → 0, ``AB`` → 27; -1 for anything that is not one to three capital letters."""
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha() and letters.isupper()):
        return -1
    index = 0
    for c in letters:
        index = index * 26 + ord(c) - 64
    return index - 1


# --------------------------------------------------------------------------- CSV


def csv_records(data: bytes | str, *, field: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[list[str]]:
    """CSV records, read as a stream: UTF-8 (a BOM is allowed), NUL bytes dropped.

    Raises :class:`FileRefused` (with ``line``) past a limit or for text that is not UTF-8, and
    lets ``csv.Error`` through for a malformed record, so the caller can say where.
    """
    stream: io.TextIOBase = (io.StringIO(data.removeprefix("\ufeff"), newline="") if isinstance(data, str)
                             else io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    lines = _Lines(stream, field, limits)
    reader = csv.reader(lines)
    for count, record in enumerate(reader, start=1):
        if count > limits.max_rows:
            raise FileRefused("file_too_many_rows", N_("The file has more than {max} rows."), field,
                              line=lines.number, max=limits.max_rows)
        if len(record) > limits.max_columns:
            raise FileRefused("file_too_many_columns", N_("A row has more than {max} columns."), field,
                              line=lines.number, max=limits.max_columns)
        yield record


class _Lines:
    """Physical lines, each at most ``max_line_chars`` long (``readline`` with a limit: never more in memory)."""

    def __init__(self, stream: io.TextIOBase, field: str, limits: Limits) -> None:
        self.stream, self.field, self.limits = stream, field, limits
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = self.stream.readline(self.limits.max_line_chars + 1)
        except UnicodeDecodeError:
            raise FileRefused("encoding", N_("The file is not UTF-8 text; save it as “CSV UTF-8” and try again."),
                              self.field, line=self.number + 1) from None
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > self.limits.max_line_chars:
            raise FileRefused("file_line_too_long", N_("Line {line} is longer than {max} characters."), self.field,
                              line=self.number, max=self.limits.max_line_chars)
        return line.replace("\0", "")


def read_table(filename: str, data: bytes, *, field: str, limits: Limits = DEFAULT_LIMITS) -> list[list[Any]]:
    """Rows of a ``.csv`` (or ``.txt``) or ``.xlsx``/``.xlsm`` upload, chosen by its name."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return xlsx_rows(data, field=field, limits=limits)
    if name.endswith((".csv", ".txt")):
        try:
            return [list(r) for r in csv_records(data, field=field, limits=limits)]
        except csv.Error as exc:
            raise _damaged(field, "CSV") from exc
    raise FileRefused("file_type", N_("Upload a .csv or .xlsx file."), field, status=400)


# --------------------------------------------------------------------------- refusals


def _damaged(field: str, kind: str) -> FileRefused:
    return FileRefused("file_unreadable", N_("The file cannot be read as {kind}: it is damaged or not that kind of "
                                             "file."), field, kind=kind)


def _too_big(field: str, limits: Limits) -> FileRefused:
    return FileRefused("file_unpacked_too_large", N_("The file unpacks to more than {mb} MB; split it into smaller "
                                                     "files."), field, mb=limits.max_unpacked_bytes // MB)


def _ratio(field: str, limits: Limits) -> FileRefused:
    return FileRefused("file_compression", N_("The file is compressed more than {ratio} to 1, which no spreadsheet "
                                              "needs; it was refused as unsafe."), field, ratio=limits.max_ratio)


def _too_many_cells(field: str, limits: Limits) -> FileRefused:
    return FileRefused("file_too_many_cells", N_("The file has more than {max} cells."), field, max=limits.max_cells)


def _unsafe_xml(field: str) -> FileRefused:
    return FileRefused("file_xml_declarations", N_("The file contains XML declarations (a DTD or entities) that "
                                                   "spreadsheets never need; it was refused as unsafe."), field)


# --------------------------------------------------------------------------- writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as an export may write it: text a spreadsheet would run as a formula (it starts with
    ``= + - @``, tab or CR, OWASP's list) gets a leading ``'``, which shows the text as typed.

    Numbers stay numbers (a negative amount is not a formula); everything else is unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """A CSV export with every cell through :func:`safe_cell` (``bom``: for spreadsheet programs)."""
    out = io.StringIO()
    if bom:
        out.write(codecs.BOM_UTF8.decode())
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_sheet_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """Rows for ``Worksheet.append`` with every cell through :func:`safe_cell`."""
    for row in rows:
        yield [safe_cell(v) for v in row]
