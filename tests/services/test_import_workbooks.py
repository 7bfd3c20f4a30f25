"""Reading an XLSX for the import: the first worksheet, its numbering, error and percent cells, room.

Pure: the rows a workbook gives, without a database (``read_file`` is what the import reads).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart

from backcast.services.intake import workbooks
from backcast.services.intake.imports import Row, RowFault, read_file
from backcast.services.platform.errors import InvalidInput


def book_of(*rows: list[Any], formats: dict[str, str] | None = None, at: str = "A1") -> Workbook:
    """A workbook whose first sheet holds ``rows``, its top left cell at ``at``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    top, left = sheet[at].row, sheet[at].column
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(top + r, left + c, value)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    return book


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def items(data: bytes) -> list[Row | RowFault]:
    kind, rows = read_file(io.BytesIO(data), "r.xlsx")
    assert kind == "XLSX"
    return list(rows)


def days(data: bytes) -> list[date]:
    """The days of the readings; every row must be good."""
    found = items(data)
    assert not any(isinstance(i, RowFault) for i in found), found
    return [i[1] for i in found if not isinstance(i, RowFault)]


def faults(data: bytes) -> list[str]:
    return [str(i) for i in items(data) if isinstance(i, RowFault)]


def edited(data: bytes, change: Callable[[bytes], bytes], part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with one part's bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info, change(body) if info.filename == part else body)
    return out.getvalue()


def test_rows_are_numbered_as_the_sheet_numbers_them_wherever_the_cells_start() -> None:
    data = saved(book_of(["date", "value"], [date(2026, 1, 5), 81], [], [date(2026, 1, 7), "x"], at="C4"))
    found = items(data)
    assert found[0] == (5, date(2026, 1, 5), 81.0, "file:2026-01-05:81.0")
    assert found[1] == RowFault(7, "value 'x' is not a number")


def test_error_cells_fault_their_row_rather_than_blank_it() -> None:
    data = saved(
        book_of(
            ["date", "value"],
            [date(2026, 1, 5), "#N/A"],
            ["#REF!", "#DIV/0!"],  # a row of errors is not a blank row
            [date(2026, 1, 6), 0.5],
            formats={"B4": "0%"},
        )
    )
    assert faults(data) == [
        "row 2: value '#N/A' is not a number",
        "row 3: date '#REF!' is not a date as YYYY-MM-DD",
    ]
    assert items(data)[-1] == (4, date(2026, 1, 6), 50.0, "file:2026-01-06:50.0")


def test_percent_formats_built_in_and_custom_count_as_shown_and_text_stays_text() -> None:
    data = saved(
        book_of(
            ["date", "value"],
            [date(2026, 1, 5), 0.95],
            [date(2026, 1, 6), 0.953],
            [date(2026, 1, 7), "96"],
            [date(2026, 1, 8), 97],
            formats={"B2": "0%", "B3": "0.0%", "B4": "0%"},
        )
    )
    assert [(r[0], r[2]) for r in items(data) if not isinstance(r, RowFault)] == [
        (2, 95.0),
        (3, 95.3),
        (4, 96.0),  # a text cell: its format does not apply
        (5, 97.0),
    ]


def test_numbers_show_as_the_sheet_shows_them_and_times_are_not_days() -> None:
    data = saved(
        book_of(
            ["date", "value", "key"],
            [45000, 1, None],
            [date(2026, 1, 5), 2, 1001],
            [time(8, 30), 3, None],
            formats={"A4": "hh:mm"},
        )
    )
    assert faults(data) == [
        "row 2: date 45000 is a number, not a date: format the column as dates",
        "row 4: date 08:30:00 is a time of day, not a date",
    ]
    assert items(data)[1] == (3, date(2026, 1, 5), 2.0, "1001")


def test_the_1904_date_system() -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = book_of(["date", "value"], [date(2026, 1, 5), 1])
    book.epoch = CALENDAR_MAC_1904
    assert items(saved(book)) == [(2, date(2026, 1, 5), 1.0, "file:2026-01-05:1.0")]


def test_the_first_worksheet_is_read_hidden_or_not_and_a_chart_sheet_is_not_one() -> None:
    book = book_of(["date", "value"], [date(2026, 1, 5), 1])
    book.create_chartsheet("chart", 0).add_chart(BarChart())
    assert book.sheetnames[0] == "chart"
    assert days(saved(book)) == [date(2026, 1, 5)]
    book = book_of(["date", "value"], [date(2026, 1, 5), 1])
    assert book.active is not None
    book.active.sheet_state = "hidden"
    book.create_sheet("shown").append(["date", "value"])
    book.active = 1
    assert days(saved(book)) == [date(2026, 1, 5)]


def test_a_sheet_spanning_a_huge_grid_is_refused_before_it_is_read() -> None:
    book = book_of(["date", "value"], [date(2026, 1, 5), 1])
    sheet = book.active
    assert sheet is not None
    sheet["XFD1048576"] = 1  # two cells, 17 billion between them
    with pytest.raises(InvalidInput, match=r"spans 1,048,576 rows by 16,384 columns, more than"):
        items(saved(book))
    far = edited(saved(book_of(["date", "value"])), lambda b: b.replace(b'r="B1"', b'r="B99999999999"'))
    with pytest.raises(InvalidInput, match="spans 99,999,999,999 rows"):
        items(far)


def test_cells_without_a_place_widen_the_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    data = saved(book_of(["date", "value"], [date(2026, 1, 5), 1]))
    placeless = edited(data, lambda b: re.sub(rb' r="[A-Z]+[0-9]+"', b"", b))
    assert days(placeless) == [date(2026, 1, 5)]
    monkeypatch.setattr(workbooks, "MAX_CELLS", 4)
    # two rows of two cells; with cells placed one after another, each row start and end may
    # move the cells down a row: the grid is measured as the reader could build it
    with pytest.raises(InvalidInput, match="spans 6 rows by 4 columns"):
        items(placeless)


def test_marked_cells_in_rows_out_of_order_refuse_the_sheet() -> None:
    data = saved(book_of(["date", "value"], [date(2026, 1, 5), "#N/A"], [date(2026, 1, 6), "#N/A"]))

    def swap(body: bytes) -> bytes:
        two, three = re.search(rb'<row r="2".*?</row>', body), re.search(rb'<row r="3".*?</row>', body)
        assert two and three
        return (
            body.replace(two.group(), b"@").replace(three.group(), two.group()).replace(b"@", three.group())
        )

    with pytest.raises(InvalidInput, match="rows are out of order"):
        items(edited(data, swap))


def test_damaged_parts_refuse_the_file_with_a_reason() -> None:
    data = saved(book_of(["date", "value"], [date(2026, 1, 5), 1]))
    cases = [
        (
            edited(data, lambda b: b.replace(b"<sheetData>", b"<sheetData><row r=")),
            "its first sheet is damaged",
        ),
        (
            edited(data, lambda b: b'<!DOCTYPE x [<!ENTITY a "b">]>' + b, "xl/workbook.xml"),
            "declares a document type",
        ),
        (edited(data, lambda b: b[:-20], "xl/styles.xml"), "its xl/styles.xml is damaged"),
        (
            edited(data, lambda b: b.replace(b"worksheet", b"chartsheet"), "xl/_rels/workbook.xml.rels"),
            "no worksheet",
        ),
    ]
    for damaged, reason in cases:
        with pytest.raises(InvalidInput, match=re.escape(reason)):
            items(damaged)


def test_progress_counts_rows_of_the_sheet() -> None:
    data = saved(book_of(["date", "value"], *[[datetime(2026, 1, 5), i] for i in range(25)], at="A3"))  # noqa: DTZ001
    seen: list[tuple[int, int | None]] = []
    kind, rows = read_file(io.BytesIO(data), "r.xlsx", lambda done, total: seen.append((done, total)))
    assert len(list(rows)) == 25
    assert seen[-1] == (28, 28)


@pytest.mark.parametrize(("number", "number_format"), [(1e300, "[h]:mm"), (-1e300, "yyyy-mm-dd")])
def test_a_number_formatted_as_a_time_beyond_range_refuses_the_file_naming_its_row(
    number: float, number_format: str
) -> None:
    data = saved(
        book_of(["date", "value"], [date(2026, 1, 5), 1], [number, 2], formats={"A3": number_format})
    )
    with pytest.raises(InvalidInput) as caught:
        items(data)
    assert str(caught.value) == (
        "r.xlsx: row 3: a cell holds a date, time or duration out of range: "
        "format it as a number, or save the sheet as CSV"
    )
    far = saved(book_of(["date", "value"], [1e10, 2], formats={"A2": "yyyy-mm-dd"}))
    assert faults(far) == ["row 2: date 10000000000 is a number, not a date: format the column as dates"]


@pytest.mark.parametrize(
    ("number", "shown"), [(0.953, 95.3), (82, 8200.0), (1.5e-05, 0.0015), (1.5e300, 1.5e302), (0.1, 10.0)]
)
def test_a_percentage_is_the_number_shown_in_decimal(number: float, shown: float) -> None:
    assert workbooks.hundredfold(number) == shown
