"""How far a worksheet's cells reach, measured from its XML without parsing it.

calamine allocates the grid between a sheet's first and last cell before it reads a row, so the
grid must be measured first (see :mod:`backcast.services.workbooks`). A parser that calls back
per element takes longer for a million rows than calamine's whole read, and so do regular
expressions that make an object per match; this looks at a piece of the XML as a NumPy array,
finds every ``r="B12"`` at once and reads the letters and digits after it as numbers, a few
times faster than either.

That fast way knows one spelling: an unprefixed cell tag and ``r="..."`` after a space. XML
allows others (``r = 'B12'``, ``<x:c>``); a piece holding anything that could be one of them
is measured by the slower, general regular expressions instead. Either way the measure is never
smaller than what calamine will allocate: attributes that are not places can only enlarge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

WIDTH = 12  # bytes read after r=": up to 3 letters and 8 digits of a place, and its closing quote

COLUMN = re.compile(rb"r\s*=\s*[\"']([A-Z]+)[0-9]")
ROW = re.compile(rb"r\s*=\s*[\"'][A-Z]*([0-9]+)[\"']")
CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")


@dataclass
class Reach:
    """The furthest row and column named so far, how many cells named a place, and how many
    cells and rows there are (a cell or row without a place follows the one before it)."""

    row: int = 0
    column: int = 0
    named: int = 0
    cells: int = 0
    rows: int = 0

    def add(self, data: bytes) -> None:
        """Take in a piece of the sheet's XML that cuts no tag in two."""
        if not self.add_fast(data):
            self.add_general(data)
        self.rows += data.count(b"<row")

    @property
    def cells_spanned(self) -> int:
        return self.height * self.width

    @property
    def height(self) -> int:
        return max(self.row, self.rows)

    @property
    def width(self) -> int:
        return self.column + max(self.cells - self.named, 0)

    def add_general(self, data: bytes) -> None:
        found = COLUMN.findall(data)
        self.named += len(found)
        self.column = max(self.column, max(map(column_index, set(found)), default=0))
        self.row = max(self.row, max(map(int, set(ROW.findall(data))), default=0))
        self.cells += len(CELL_TAG.findall(data))

    def add_fast(self, data: bytes) -> bool:
        """Measure ``r="..."`` places with array operations; False if one is not plainly spelled.

        Not plain: an ``r`` after a space that is followed by a space, or by ``=`` and not a
        double quote (a word "r" in a text cell looks so too, and only costs the general way), a
        prefixed cell tag (``:c`` and a space, ``>`` or ``/``), or a place that is not capital
        letters then digits.
        """
        n = len(data)
        if n < 4 or b":c" in data:  # too short to bother, or prefixed tags
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
        self.cells += data.count(b"<c")  # and a few <col> and the like: only ever more
        starts = equals[named_r] + 2
        if not len(starts):
            return True
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
            return False  # lowercase, empty or odd: leave it to the general way
        columns = np.zeros(len(starts), dtype=np.int64)
        rows = np.zeros(len(starts), dtype=np.int64)
        for j in range(WIDTH):  # Horner's rule, one position of every place at a time
            byte = window[:, j]
            columns = np.where(j < letters, columns * 26 + byte - 64, columns)
            rows = np.where((j >= letters) & (j < end), rows * 10 + byte - 48, rows)
        self.column = max(self.column, int(columns.max()))
        self.row = max(self.row, int(rows.max()))
        self.named += int(np.count_nonzero(letters))
        return True


def space(x: Any) -> Any:
    """Where an array of bytes holds XML white space."""
    return (x == 0x20) | (x == 0x09) | (x == 0x0A) | (x == 0x0D)


def column_index(letters: bytes) -> int:
    """A column's number from its letters: A is 1, Z 26, AA 27."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index
