"""How far a worksheet's cells can reach, measured from its XML without parsing it.

calamine allocates the grid between a sheet's first and last cell before it reads a row, so the
grid must be measured first (see :mod:`backcast.services.intake.workbooks`). The measure must never be
smaller than what calamine will allocate, whatever the XML says, so it follows calamine's rules
for a cell's place, not a tidy sheet's:

- A cell (an element named ``c`` in any namespace prefix) with an ``r`` attribute sits where
  ``r`` says; its column letters may be upper or lower case.
- A cell without one sits one column right of the cell before it in its row, from the first
  column; a row without ``r`` comes one after the row before it, and a row's end (even a stray
  ``</row>``) moves the next row down by one.

So the grid is at most as tall as the furthest row any ``r`` names plus, when some cell has no
place, one row for every row start or end; and at most as wide as the furthest column any ``r``
names plus one for every cell without a place. A tidy sheet (Excel, LibreOffice and the
libraries write ``<c r="B12"`` for every cell) measures exactly. Text that only looks like a
place (in a comment, say) can only make the measure bigger.

A parser that calls back per element takes longer for a million rows than calamine's whole
read, and so do regular expressions that make an object per match; the fast way looks at a
piece of the XML as a NumPy array, finds every ``r="B12"`` at once and reads the letters and
digits after it as numbers. It knows one spelling: unprefixed tags, capital letters and
``r="..."`` after a space. A piece holding anything else is measured by the slower, general
regular expressions instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

WIDTH = 12  # bytes read after r=": up to 3 letters and 8 digits of a place, and its closing quote

PREFIX = rb"(?:[^\s<>/!?:=\"']+:)?"  # a namespace prefix, which calamine ignores
COLUMN = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]+)[0-9]")
ROW = re.compile(rb"\br\s*=\s*[\"'][A-Za-z]*([0-9]+)[\"']")
CELL_TAG = re.compile(rb"<" + PREFIX + rb"c[\s/>]")
PLACED_CELL = re.compile(rb"<" + PREFIX + rb"c\s+r\s*=\s*[\"']")
ROW_TAG = re.compile(rb"</?" + PREFIX + rb"row[\s/>]")
CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")


@dataclass
class Reach:
    """The furthest row and column any place names, the cells with and without a place of their
    own, and every row start and end."""

    row: int = 0
    column: int = 0
    cells: int = 0
    placed: int = 0
    row_marks: int = 0

    def add(self, data: bytes) -> None:
        """Take in a piece of the sheet's XML that cuts no tag in two."""
        if not self.add_fast(data):
            self.add_general(data)

    @property
    def placeless(self) -> int:
        return self.cells - self.placed

    @property
    def height(self) -> int:
        return self.row + (self.row_marks if self.placeless else 0)

    @property
    def width(self) -> int:
        return self.column + self.placeless

    def add_general(self, data: bytes) -> None:
        self.column = max(self.column, max(map(column_index, set(COLUMN.findall(data))), default=0))
        self.row = max(self.row, max(map(int, set(ROW.findall(data))), default=0))
        self.cells += len(CELL_TAG.findall(data))
        self.placed += len(PLACED_CELL.findall(data))
        self.row_marks += len(ROW_TAG.findall(data))

    def add_fast(self, data: bytes) -> bool:
        """Measure ``r="..."`` places with array operations; False if one is not plainly spelled.

        Not plain: a prefixed tag (``:c`` or ``:row``), an ``r`` after a space that is followed by
        a space, or by ``=`` and not a double quote (a word "r" in a text cell looks so too, and
        only costs the general way), or a place that is not capital letters then digits.
        """
        n = len(data)
        if n < 4 or b":c" in data or b":row" in data:  # too short to bother, or prefixed tags
            return False
        a = np.frombuffer(b"\0\0" + data + b"\0" * WIDTH, dtype=np.uint8)
        equals = np.flatnonzero(a == ord("="))  # every attribute's, a few per cell
        name, before = a[equals - 1], a[equals - 2]
        if bool(space(name).any()):
            return False  # a space before "=": r = "B12" may be among them
        named_r = (name == ord("r")) & space(before)
        quoted = a[equals + 1] == ord('"')
        if bool((named_r & ~quoted).any()):
            return False  # r='B12' or r= "B12"
        starts = equals[named_r] + 2
        if len(starts):
            window = sliding_window_view(a, WIDTH)[starts].astype(np.int64)
            at = np.arange(WIDTH)
            letter = (window >= ord("A")) & (window <= ord("Z"))
            digit = (window >= ord("0")) & (window <= ord("9"))
            letters = np.argmin(letter, axis=1)  # leading letters (a run of WIDTH is not a place)
            lead = at < letters[:, None]
            end = np.argmin(lead | digit, axis=1)  # where the letters and then the digits stop
            plain = (
                (letters <= 3)  # beyond XFD: leave it to the general way, in Python's whole numbers
                & (end > letters)
                & (window[np.arange(len(starts)), end] == ord('"'))
            )
            if not bool(plain.all()):
                return False  # lower case, empty or odd: leave it to the general way
            columns = np.zeros(len(starts), dtype=np.int64)
            rows = np.zeros(len(starts), dtype=np.int64)
            for j in range(WIDTH):  # Horner's rule, one position of every place at a time
                byte = window[:, j]
                columns = np.where(j < letters, columns * 26 + byte - 64, columns)
                rows = np.where((j >= letters) & (j < end), rows * 10 + byte - 48, rows)
            self.column = max(self.column, int(columns.max()))
            self.row = max(self.row, int(rows.max()))
        self.cells += sum(data.count(start) for start in CELL_STARTS)
        self.placed += data.count(b'<c r="')
        self.row_marks += data.count(b"<row") + data.count(b"</row")
        return True


def space(x: Any) -> Any:
    """Where an array of bytes holds XML white space."""
    return (x == 0x20) | (x == 0x09) | (x == 0x0A) | (x == 0x0D)


def column_index(letters: bytes) -> int:
    """A column's number from its letters, in either case: A is 1, Z 26, AA 27."""
    index = 0
    for letter in letters:
        index = index * 26 + (letter & 0x1F)
    return index
