"""Workbooks built to make the import read more than it checked, or more than memory holds.

Each is refused with one clear fault before calamine allocates anything for it. The ones that
would abort the process (a Rust allocation failure is not an exception) are read in a child
process under a memory limit, so a regression fails the test instead of killing the run.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from backcast.services.intake import workbooks
from backcast.services.intake.sheet_grid import Reach
from backcast.services.platform.errors import InvalidInput

MEMORY_LIMIT = 1024 * 2**20  # bytes of data a reading process may hold: the README states it
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = b"</sheetData></worksheet>"


def base() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["date", "value"])
    sheet.append([date(2026, 1, 5), 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rebuilt(data: bytes, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> bytes:
    """The workbook with its parts (name -> bytes) changed as a whole, in the order given."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, body in change(parts).items():
            target.writestr(name, body)
    return out.getvalue()


def with_sheet(body: bytes) -> bytes:
    """The base workbook with its first sheet's data replaced by ``body``."""
    return rebuilt(base(), lambda parts: {**parts, SHEET: HEAD + body + TAIL})


def rows_of(data: bytes) -> list[list[object]]:
    return [values for _, values in workbooks.xlsx_cells(io.BytesIO(data), "r.xlsx", None)]


def read_in_child(tmp_path: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    """Read the workbook in a child process whose data may not grow past MEMORY_LIMIT."""
    path = tmp_path / "r.xlsx"
    path.write_bytes(data)
    script = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_DATA, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
        "from backcast.services.platform.errors import InvalidInput\n"
        "from backcast.services.intake.workbooks import xlsx_cells\n"
        "try:\n"
        f"    rows = sum(1 for _ in xlsx_cells(open({str(path)!r}, 'rb'), 'r.xlsx', None))\n"
        "except InvalidInput as exc:\n"
        "    print('refused:', exc)\n"
        "else:\n"
        "    print('rows:', rows)\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def package_naming_another_workbook() -> bytes:
    """A small sheet behind the workbook the package names, a 17-billion-cell one behind the
    ``xl/workbook.xml`` that a reader opening parts by fixed names would take."""
    huge = (
        HEAD
        + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        + TAIL
    )

    def change(parts: dict[str, bytes]) -> dict[str, bytes]:
        changed = dict(parts)
        changed["xl/other.xml"] = parts["xl/workbook.xml"]
        changed["xl/_rels/other.xml.rels"] = parts["xl/_rels/workbook.xml.rels"]
        changed["_rels/.rels"] = parts["_rels/.rels"].replace(b"xl/workbook.xml", b"xl/other.xml")
        changed["xl/worksheets/sheet1.xml"] = parts[SHEET]
        changed["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"worksheets/sheet1.xml", b"worksheets/big.xml"
        )
        changed["xl/worksheets/big.xml"] = huge
        return changed

    return rebuilt(base(), change)


def test_a_package_naming_another_workbook_beside_xl_workbook_is_refused(tmp_path: Path) -> None:
    data = package_naming_another_workbook()
    assert len(data) < 8192  # a few kilobytes
    done = read_in_child(tmp_path, data)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == (
        "refused: r.xlsx: is not a readable XLSX workbook (its parts disagree: the package names "
        "xl/other.xml as its workbook, beside xl/workbook.xml)"
    )


def test_a_place_in_lower_case_counts_where_the_reader_puts_it(tmp_path: Path) -> None:
    data = with_sheet(b'<row r="1"><c r="a1"><v>1</v></c><c r="xfd1048576"><v>2</v></c></row>')
    done = read_in_child(tmp_path, data)
    assert done.returncode == 0, done.stderr[-500:]
    assert "spans 1,048,576 rows by 16,384 columns" in done.stdout


def test_a_legitimate_sheet_reads_within_the_memory_limit(tmp_path: Path) -> None:
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>%d.5</v></c></row>' % (i, i, 46000 + i, i, i)
        for i in range(1, 50_001)
    )
    done = read_in_child(tmp_path, with_sheet(rows))
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "rows: 50000"


def test_parts_whose_names_differ_only_in_case_are_refused() -> None:
    def twin(parts: dict[str, bytes]) -> dict[str, bytes]:
        return {"XL/Worksheets/Sheet1.xml": HEAD + b'<row r="9"><c r="Z9"><v>1</v></c></row>' + TAIL, **parts}

    with pytest.raises(
        InvalidInput, match=r"its parts disagree: two parts are named xl/worksheets/sheet1\.xml"
    ):
        rows_of(rebuilt(base(), twin))


def test_parts_are_found_whatever_their_case_as_the_reader_finds_them() -> None:
    def shout(parts: dict[str, bytes]) -> dict[str, bytes]:
        return {name.upper() if name.startswith("xl/") else name: body for name, body in parts.items()}

    assert rows_of(rebuilt(base(), shout))[1][1] == 1


def test_what_else_the_file_holds_is_never_read() -> None:
    """A second sheet, listed after the first, spans the whole grid: only the first is read."""

    def second(parts: dict[str, bytes]) -> dict[str, bytes]:
        changed = dict(parts)
        changed["xl/worksheets/sheet2.xml"] = (
            HEAD + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + TAIL
        )
        changed["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"</sheets>", b'<sheet name="Huge" sheetId="2" r:id="rId9"/></sheets>'
        )
        changed["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>',
        )
        return changed

    assert rows_of(rebuilt(base(), second))[1][1] == 1


def test_prefixed_rows_and_cells_without_places_are_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """``<x:row><x:c>`` with no ``r``: every row and cell still takes a slot of the grid."""
    body = b"".join(b"<x:row>" + b"<x:c><x:v>1</x:v></x:c>" * 10 + b"</x:row>" for _ in range(30))
    data = rebuilt(
        base(),
        lambda parts: {
            **parts,
            SHEET: HEAD.replace(
                b"<worksheet ",
                b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
            )
            + body
            + TAIL,
        },
    )
    monkeypatch.setattr(workbooks, "MAX_CELLS", 200)
    with pytest.raises(InvalidInput, match=r"spans 60 rows by 300 columns"):
        rows_of(data)


def test_too_many_shared_strings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbooks, "MAX_STRINGS", 2)
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>one</t></si><si><t>two</t></si><x:si><x:t>three</x:t></x:si></sst>"
    )
    data = rebuilt(base(), lambda parts: {**parts, "xl/sharedStrings.xml": strings})
    with pytest.raises(InvalidInput, match="holds 3 pieces of text, more than 2"):
        rows_of(data)
    monkeypatch.setattr(workbooks, "MAX_STRINGS", 3)
    assert rows_of(data)[1][1] == 1


# A sheet's XML from pieces calamine places cells by: rows and cells with or without a place
# (either case), stray row ends, namespace prefixes, and a comment that looks like cells.
places = st.builds(
    lambda col, row, lower: (re.sub(r"\d", "", col) or "A").lower() + str(row) if lower else col + str(row),
    st.sampled_from(["A", "B", "C", "Z", "AA", "AZ", "BC"]),
    st.integers(1, 60),
    st.booleans(),
)
cells = st.one_of(
    st.builds(lambda p: b'<c r="%s"><v>1</v></c>' % p.encode(), places),
    st.just(b"<c><v>1</v></c>"),
    st.just(b"<x:c><x:v>1</x:v></x:c>"),
    st.just(b"<c/>"),
)
rows = st.one_of(
    st.builds(
        lambda r, cs: b'<row r="%d">' % r + b"".join(cs) + b"</row>",
        st.integers(1, 60),
        st.lists(cells, max_size=6),
    ),
    st.builds(lambda cs: b"<row>" + b"".join(cs) + b"</row>", st.lists(cells, max_size=6)),
    st.builds(lambda cs: b"<x:row>" + b"".join(cs) + b"</x:row>", st.lists(cells, max_size=6)),
    st.just(b"</row>"),
    st.just(b'<!-- <c r="A1"> r="B2" -->'),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=12))
def test_the_measure_is_never_smaller_than_the_grid_the_reader_builds(parts: list[bytes]) -> None:
    from python_calamine import CalamineError, CalamineWorkbook

    body = b"".join(parts)
    head = HEAD.replace(
        b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    )
    reach = Reach()
    reach.add(head + body + TAIL)
    data = rebuilt(base(), lambda p: {**p, SHEET: head + body + TAIL})
    try:
        grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except CalamineError:  # a sheet calamine refuses builds no grid
        return
    if grid.start is None or grid.end is None:
        return
    assert reach.height >= grid.end[0] + 1
    assert reach.width >= grid.end[1] + 1
