"""The cells of an XLSX workbook's first worksheet, row by row, for the readings import.

calamine (a Rust parser, through python-calamine) reads a sheet of a million rows in about two
seconds, ten times faster than openpyxl; three things it does not do are done here, around it:

- **Room.** calamine builds the sheet as one dense grid from its first to its last cell, a slot
  of 32 bytes each, before handing over a single row. A file of a few kilobytes naming the cells
  A1 and XFD1048576 would ask for 512 GB and abort the process (a Rust allocation failure is not
  an exception). So the sheet's part is scanned first, as a stream, for the grid it can span
  (:func:`measure`), and a grid over :data:`MAX_CELLS` is refused; so are more than
  :data:`MAX_STRINGS` shared strings. A good sheet of a million rows of two columns takes about
  165 MB while it is read (the grid, the sparse cells it is built from and the shared strings),
  not a streamed few: calamine has no streaming reader. The rows are then converted to Python
  one at a time.
- **The parts read are the parts checked.** calamine finds a workbook's parts its own way (by
  fixed names, ignoring case); a file can hold one set of parts for a checker and another for
  the reader. So calamine is never given the upload: it reads a copy of the workbook made of
  exactly the parts checked here (:func:`checked_copy`), the sheet's XML byte for byte. Two parts
  whose names differ only in case, two sheets of one name, or a package that names another part
  than ``xl/workbook.xml`` as its workbook refuse the file: its parts disagree.
- **Percentages.** calamine gives a cell's number but not its number format; a cell shown as a
  percentage counts as the number it shows (see :class:`Percent`), so the styles that show a
  percentage are read from ``xl/styles.xml`` and, only when the measuring pass saw a cell use
  one, the cells that do are found in a second pass over the sheet's XML as the rows go by.
- **Error cells.** calamine gives ``#DIV/0!`` or ``#N/A`` as an empty cell, which would make a
  row of errors a blank row, silently skipped. They are found the same way and given as their
  text, so the row is named as faulty.

Which sheet: the first worksheet in the workbook's order, hidden or not (a chart sheet is not a
worksheet). Rows are numbered as the spreadsheet numbers them, from its first row, whatever
rows are empty above the first cell.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any

from backcast.services.intake.sheet_grid import CELL_TAG, Reach, column_index
from backcast.services.intake.workbook_parts import (
    COPIED_SHEET,
    DAMAGED,
    MAIN,
    STRINGS,
    STYLES,
    UNREADABLE,
    Package,
    checked_copy,
    find_book,
)
from backcast.services.platform.errors import InvalidInput

MAX_UNPACKED = 1024 * 2**20  # bytes an XLSX may unpack to (a million rows take about 100 MB)
MAX_SHARED_STRINGS = 128 * 2**20  # bytes of its shared strings, which calamine holds in memory
MAX_CELLS = 8 * 2**20  # slots of the grid calamine builds (a million rows of 8 columns: 256 MB)
MAX_STRINGS = 4 * 2**20  # shared strings calamine holds, each a small allocation of its own
READ = 2**20  # bytes of the sheet's XML scanned at a time
CHUNK_ROWS = 10_000  # rows between progress reports
PERCENT_BUILTIN = {"9", "10"}  # Excel's built-in number formats 0% and 0.00%

Cells = Generator[tuple[int, list[Any]], None, None]  # numbered raw rows of a sheet
Progress = Callable[[int, int | None], None]

# a cell's or a row's place, r="B12", in any of the spellings XML allows (r = 'B12'); other
# attributes ending in r that hold a whole number (none that a sheet has) would only make the
# grid measured bigger than it is, never smaller
PLACE = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]*)([0-9]+)[\"']")
PREFIXED_STRING = re.compile(rb"<[^\s<>/!?:]+:si[\s/>]")
VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{0,64})<")


@dataclass(frozen=True)
class Percent:
    """A number a cell shows as a percentage: ``shown`` is what people see (95 for 0.95)."""

    shown: float

    def __repr__(self) -> str:
        return f"{self.shown:g}%"


def xlsx_cells(file: IO[bytes], name: str, progress: Progress | None) -> Cells:
    """The numbered rows of the workbook's first worksheet: lists of its cells' values.

    A value is what calamine gives (a str, float, bool, date, datetime, time or timedelta; an
    empty cell is ``""``), a :class:`Percent` for a number shown as a percentage, or the text of
    an error cell (``"#DIV/0!"``). Anything that cannot be made sense of refuses the file as a
    whole with :class:`InvalidInput`: a damaged workbook has no trustworthy rows.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    with zipped(file, name) as archive:
        check_unpacked_size(archive, name)
        package = Package(archive, name)
        book = find_book(package)
        percent = percent_styles(package)
        hits = measure(package, book.sheet, percent)
        count_strings(package)
        with checked_copy(package, book) as copy:
            try:
                reader = CalamineWorkbook.from_path(copy)
                grid = reader.get_sheet_by_name(COPIED_SHEET)  # the whole sheet, in memory
                reader.close()  # the sheet keeps its own cells; the shared strings can go
            except (CalamineError, ValueError, OSError) as exc:
                raise InvalidInput(
                    f"{UNREADABLE} (its first sheet is damaged: {short_error(exc)})", name
                ) from None
            except BaseException as exc:
                if not panicked(exc):
                    raise
                raise InvalidInput(f"{UNREADABLE} (its first sheet is damaged)", name) from None
    sheet_part = book.sheet

    def rows() -> Cells:
        # calamine's rows run from the sheet's first row (empty ones above the first cell
        # included), its columns from the first column that holds a cell
        left = grid.start[1] if grid.start is not None else 0
        total = grid.end[0] + 1 if grid.end is not None else 0
        marks = marked_cells(file, sheet_part, percent, name) if hits else iter(())
        mark = next(marks, None)
        number = 0
        try:
            for values in grid.iter_rows():
                number += 1
                while mark is not None and mark[0] < number:
                    mark = next(marks, None)
                while mark is not None and mark[0] == number:
                    mark_cell(values, mark[1] - 1 - left, mark[2])
                    mark = next(marks, None)
                if progress is not None and not number % CHUNK_ROWS:
                    progress(number, total)
                yield number, values
        except BaseException as exc:
            if not unconvertible(exc):
                raise
            raise InvalidInput(
                f"row {number + 1}: a cell holds a date, time or duration out of range: "
                "format it as a number, or save the sheet as CSV",
                name,
            ) from None
        finally:
            if progress is not None:
                progress(total, total)
            close = getattr(marks, "close", None)
            if close is not None:
                close()

    return rows()


def panicked(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic inside calamine: pyo3 raises it as a BaseException of its own."""
    return type(exc).__name__ == "PanicException"


def unconvertible(exc: BaseException) -> bool:
    """Whether calamine failed to convert a cell: a number formatted as a date or duration beyond
    what it (a panic) or Python (OverflowError, ValueError) can represent. The row's number is then
    the one after the last given: the rows of a sheet calamine has failed on are not read on."""
    if isinstance(exc, InvalidInput):
        return False
    return panicked(exc) or isinstance(exc, OverflowError | ValueError)


def mark_cell(values: list[Any], index: int, mark: str | None) -> None:
    """Put back what calamine drops: an error's text (``mark``), or a number's percentage."""
    if not 0 <= index < len(values):
        return
    if mark is not None:
        values[index] = mark
    elif type(values[index]) in (int, float):
        values[index] = Percent(hundredfold(values[index]))


def hundredfold(number: float) -> float:
    """``number`` times 100 in decimal, as shown: 0.953 is 95.3, not 95.30000000000001."""
    text = repr(number)
    if "e" in text:  # 1e-05, 1.5e+300: shift the exponent instead
        digits, _, exponent = text.partition("e")
        return float(f"{digits}e{int(exponent) + 2}")
    return float(f"{text}e2")


class zipped:
    """The file as a ZIP archive, any failure to read it as one refusing the file; rewound after."""

    def __init__(self, file: IO[bytes], name: str) -> None:
        self.file, self.name = file, name

    def __enter__(self) -> zipfile.ZipFile:
        try:
            self.archive = zipfile.ZipFile(self.file)
        except DAMAGED:
            self.file.seek(0)
            raise InvalidInput(UNREADABLE, self.name) from None
        return self.archive

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.archive.close()
        self.file.seek(0)
        if not isinstance(exc, InvalidInput) and isinstance(exc, DAMAGED):
            # a damaged member (bad CRC, bad deflate stream, encrypted) found while reading it
            raise InvalidInput(UNREADABLE, self.name) from None


def check_unpacked_size(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a workbook whose parts unpack to more than a sheet of a million readings needs.

    calamine holds the shared strings and the sheet in memory, so a small file that unpacks to
    gigabytes (a "zip bomb") would take the server's memory. The sizes are those the archive
    declares; zipfile never unpacks more than declared.
    """
    parts = {info.filename: info.file_size for info in archive.infolist()}
    strings = sum(size for part, size in parts.items() if part.lower().endswith("sharedstrings.xml"))
    if sum(parts.values()) > MAX_UNPACKED or strings > MAX_SHARED_STRINGS:
        raise InvalidInput(
            f"unpacks to more than {MAX_UNPACKED // 2**20:,} MB (or its text to more than "
            f"{MAX_SHARED_STRINGS // 2**20} MB): split it, or save it as CSV",
            name,
        )


def percent_styles(package: Package) -> set[str]:
    """The cell styles (``s`` attributes) whose number format shows a percentage."""
    styles = package.xml(STYLES)
    if styles is None:
        return set()
    percent = set(PERCENT_BUILTIN)
    for fmt in styles.iter(f"{MAIN}numFmt"):
        if "%" in fmt.get("formatCode", ""):
            percent.add(fmt.get("numFmtId", ""))
    xfs = styles.find(f"{MAIN}cellXfs")
    return {
        str(index) for index, xf in enumerate([] if xfs is None else xfs) if xf.get("numFmtId") in percent
    }


def sheet_chunks(package: Package, part: str, what: str = "first sheet") -> Iterator[bytes]:
    """A part's XML in pieces that each end just before a tag begins.

    So no tag is cut in two; a single tag bigger than a piece only makes the piece longer.
    """
    with package.open(part, what) as stream:
        carry = b""
        while block := stream.read(READ):
            data = carry + block
            cut = data.rfind(b"<")
            if cut <= 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]
        if carry:
            yield carry


def tokens(percent: set[str]) -> list[bytes]:
    """The attribute texts that mark a cell to look at: an error's type, a percentage's style."""
    return [b't="e"', *(f's="{s}"'.encode() for s in sorted(percent))]


def measure(package: Package, part: str, percent: set[str]) -> bool:
    """Refuse a sheet whose grid can span more than MAX_CELLS; say whether it has cells to mark.

    The grid runs from A1 (at most) to the furthest row and column a cell can reach, by the rules
    calamine places cells with (see :mod:`backcast.services.intake.sheet_grid`). One pass over the XML.
    """
    name = package.name
    reach = Reach()
    marked = False
    marks = tokens(percent)
    for data in sheet_chunks(package, part):
        reach.add(data)
        marked = marked or any(mark in data for mark in marks)
    width, height = reach.width, reach.height
    if width * height > MAX_CELLS:
        raise InvalidInput(
            f"its first sheet spans {height:,} rows by {width:,} columns, more than {MAX_CELLS:,} "
            "cells: delete what lies beyond the readings, or save it as CSV",
            name,
        )
    return marked


def count_strings(package: Package) -> None:
    """Refuse more than MAX_STRINGS shared strings: calamine keeps each as an allocation of its
    own, so many short ones cost several times their bytes. Counted without parsing, as every
    ``si`` element's start tag (any prefix), which a string has exactly one of."""
    if package.info(STRINGS) is None:
        return
    count = 0
    for data in sheet_chunks(package, STRINGS, "shared strings"):
        count += data.count(b"<si") + (len(PREFIXED_STRING.findall(data)) if b":si" in data else 0)
    if count > MAX_STRINGS:
        raise InvalidInput(
            f"holds {count:,} pieces of text, more than {MAX_STRINGS:,}: save it as CSV",
            package.name,
        )


def marked_cells(
    file: IO[bytes], part: str, percent: set[str], name: str
) -> Iterator[tuple[int, int, str | None]]:
    """(row, column, error text or None for a percentage) of the marked cells, in sheet order.

    Rows are in ascending order in every workbook Excel, LibreOffice or a library writes; a
    sheet whose marked cells go back up is refused rather than read with marks missed.
    """
    marks = tokens(percent)
    plain = plain_percent_cell(percent)
    columns: dict[bytes, int] = {}
    last = 0
    with zipped(file, name) as archive:
        for data in sheet_chunks(Package(archive, name), part):
            cells = plain_marks(data, plain, marks, columns)
            if cells is None:  # anything else than plain percentage cells: one by one
                found = sorted({at for mark in marks for at in positions(data, mark)})
                cells = [cell for cell in map(functools.partial(marked_cell, data), found) if cell]
            for cell in cells:
                if cell[0] < last:
                    raise InvalidInput(f"{UNREADABLE} (its first sheet's rows are out of order)", name)
                last = cell[0]
                yield cell


def plain_percent_cell(percent: set[str]) -> re.Pattern[bytes] | None:
    """A cell tag as Excel, LibreOffice and openpyxl write one with a percentage style."""
    if not percent:
        return None
    styles = b"|".join(re.escape(s.encode()) for s in sorted(percent))
    return re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,8})" s="(?:' + styles + rb')"(?: t="n")?>')


def plain_marks(
    data: bytes, plain: re.Pattern[bytes] | None, marks: list[bytes], columns: dict[bytes, int]
) -> list[tuple[int, int, str | None]] | None:
    """The marked cells of a piece read at once, when each is a plainly written percentage cell.

    None when the piece has an error cell, or a mark that is not such a cell (a style on a row, a
    cell written otherwise): the piece is then read mark by mark. A million percentage cells cost
    about a second this way, against several one by one.
    """
    if plain is None or marks[0] in data:
        return None
    found = plain.findall(data)
    if len(found) != sum(data.count(mark) for mark in marks[1:]):
        return None
    cells: list[tuple[int, int, str | None]] = []
    for letters, digits in found:
        column = columns.get(letters)
        if column is None:
            column = columns[letters] = column_index(letters)
        cells.append((int(digits), column, None))
    return cells


def positions(data: bytes, needle: bytes) -> Iterator[int]:
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


def marked_cell(data: bytes, at: int) -> tuple[int, int, str | None] | None:
    """The cell whose start tag holds the attribute at ``at``, if it is a cell's with a place."""
    if at == 0 or data[at - 1 : at] not in (b" ", b"\t", b"\n", b"\r"):
        return None  # part of another attribute's name, like "xs="
    begin = data.rfind(b"<", 0, at)
    end = data.find(b">", at)
    tag = data[begin:end]
    if begin < 0 or end < 0 or not CELL_TAG.match(tag + b" "):
        return None
    place = PLACE.search(tag)
    if place is None:
        return None
    row, column = int(place.group(2)), column_index(place.group(1))
    if b't="e"' not in tag:
        return (row, column, None)
    value = VALUE.search(data, end, data.find(b"</", end + 1) + 64)
    text = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
    return (row, column, text or "#ERROR")


def short_error(exc: BaseException) -> str:
    """calamine's reason, on one line and cut short: enough to find the fault, not a dump."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 80 else text[:77] + "..."
