"""Any file in, a clear answer out: the readings import fuzzed with arbitrary and near-valid files.

Whatever the bytes, reading them ends in readings and faulty rows, or in one
:class:`InvalidInput` naming the file (:class:`ImportRejected` is one, listing rows), never in
another exception; and importing them writes all of them or nothing. The examples are random
locally and fixed under CI (the ``CI`` environment variable derandomizes them), each property
bounded to a couple of seconds.
"""

from __future__ import annotations

import functools
import io
import math
import os
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from backcast.accounts.models import User
from backcast.goals.models import KPI, Reading
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import add_kpi
from backcast.services.intake import imports
from backcast.services.intake.imports import ImportRejected, Row, RowFault, import_readings, read_file
from backcast.services.platform.errors import InvalidInput

CI = bool(os.environ.get("CI"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=CI,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def parse(data: bytes, name: str = "f.csv") -> list[Row | RowFault] | InvalidInput:
    """Read ``data`` as the import does: rows and faults that keep their contract, or one InvalidInput."""
    try:
        kind, rows = read_file(io.BytesIO(data), name)
        items = list(rows)
    except InvalidInput as exc:
        refused: InvalidInput | None = exc
    else:
        refused = None
    if refused is not None:
        assert str(refused).startswith(f"{name}: ") and "\n" not in refused.message
        return refused
    assert kind in {"CSV", "XLSX"}
    for item in items:
        if isinstance(item, RowFault):
            assert item.row >= 1 and item.reason and "\n" not in item.reason
        else:
            number, day, value, key = item
            assert number >= 2 and isinstance(day, date) and not isinstance(day, datetime)
            assert isinstance(value, float) and math.isfinite(value)
            assert 0 < len(key) <= imports.MAX_KEY and key.isprintable()
    return items


# --- arbitrary bytes -----------------------------------------------------------------------------


@fuzz(300)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_a_clear_rejection(data: bytes) -> None:
    parse(data)


@fuzz(150)
@given(st.binary(max_size=400))
def test_any_bytes_after_the_zip_signature_give_a_clear_rejection(data: bytes) -> None:
    assert isinstance(parse(b"PK\x03\x04" + data, "f.xlsx"), InvalidInput)


# --- text that looks like CSV --------------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(
        ["nan", "NaN", "inf", "-Infinity", "1e999", "-0", "0x10", "1_000", "٣", "95%", "93,5", "1.234,5"]
    ),
)
DAYS = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["0000-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "2026-13-01", "2026-1-5"]),
    st.datetimes().map(lambda d: d.isoformat(" ")),
)
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "=1+1", '=HYPERLINK("x")', "+1", "@SUM(A1)", '"', '""', "\ufeff", "\x00", "\r"]
    ),
    st.text(min_size=1, max_size=3).map(lambda t: t * 5000),  # a very long field
)
CELLS = st.one_of(NUMBERS, DAYS, TEXT)


@fuzz(100)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["date,value", "value,date,key", "Date,VALUE,Key,note"]),
    st.lists(st.lists(CELLS, max_size=5), max_size=12),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_csv_with_any_cells_gives_rows_or_a_clear_rejection(
    delimiter: str, header: str, rows: list[list[str]], encoding: str, newline: str
) -> None:
    lines = [header.replace(",", delimiter)] + [delimiter.join(row) for row in rows]
    parse(newline.join(lines).encode(encoding, "replace" if encoding == "latin-1" else "surrogatepass"))


CSV_BITS = [
    "date",
    "value",
    "key",
    "Date",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    '"',
    "2026-01-05",
    "2026-13-40",
    "1.5",
]


@fuzz(200)
@given(
    st.sampled_from(["date,value,key\n", "date;value\n", "value\tdate\tkey\n", "\ufeffDATE,Value\n"]),
    st.lists(st.sampled_from(CSV_BITS) | st.text(max_size=4), max_size=40),
    st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_csv_like_text_gives_rows_or_a_clear_rejection(header: str, parts: list[str], encoding: str) -> None:
    text = header + "".join(parts)
    parse(text.encode(encoding, "replace" if encoding == "latin-1" else "surrogatepass"))


# --- workbooks with any cells --------------------------------------------------------------------

SHEET_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs"))  # what a worksheet may hold
SHEET_TEXT = st.text(SHEET_CHARACTERS, max_size=20)
SHEET_CELLS = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**62), 2**62),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),  # noqa: DTZ001 - a spreadsheet has no time zones
    st.times(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9999)),
    SHEET_TEXT,
    st.sampled_from(
        ["=1+1", "=A1/0", "#N/A", "#DIV/0!", "#REF!", "nan", "inf", "1e999", "2026-01-05", "95%"]
    ),
    st.text(SHEET_CHARACTERS, min_size=1, max_size=2).map(lambda t: t * 3_000),
)
FORMATS = st.sampled_from(["General", "0%", "0.0%", "yyyy-mm-dd", "hh:mm", "[h]:mm", "@", '0.0"%"'])


def workbook(rows: list[list[Any]], formats: list[str], *, at: str = "A1") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    top, left = sheet[at].row, sheet[at].column
    sheet.cell(top, left, "date")
    sheet.cell(top, left + 1, "value")
    sheet.cell(top, left + 2, "key")
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row, start=left):
            if value is not None:
                cell = sheet.cell(r, c, value)
                cell.number_format = formats[(r + c) % len(formats)]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@fuzz(60)
@given(
    st.lists(st.lists(SHEET_CELLS, max_size=4), max_size=8),
    st.lists(FORMATS, min_size=1, max_size=3),
    st.sampled_from(["A1", "B3", "AA100"]),
)
def test_workbooks_with_any_cells_give_rows_or_a_clear_rejection(
    rows: list[list[Any]], formats: list[str], at: str
) -> None:
    parse(workbook(rows, formats, at=at), "f.xlsx")


@fuzz(60)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
            st.floats(-1e300, 1e300) | st.integers(-(2**53), 2**53),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_good_workbooks_give_every_reading_as_the_sheet_shows_it(rows: list[tuple[date, Any, bool]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Value"])
    for day, value, percent in rows:
        sheet.append([day, value])
        if percent:
            sheet.cell(sheet.max_row, 2).number_format = "0.00%"
    out = io.BytesIO()
    book.save(out)
    found = parse(out.getvalue(), "f.xlsx")
    assert isinstance(found, list)
    expected = [
        (n, day, float(value) * (100 if percent else 1))
        for n, (day, value, percent) in enumerate(rows, start=2)
    ]
    good = [item for item in found if not isinstance(item, RowFault)]
    assert [(r[0], r[1]) for r in good] == [(n, d) for n, d, _ in expected]
    for item, (_, _, value) in zip(good, expected, strict=True):
        assert item[2] == pytest.approx(value, rel=1e-12)


# --- damaged and invented archives ---------------------------------------------------------------


@functools.cache
def small_workbook() -> bytes:
    """One workbook for every example: a new one differs (its time stamp), and so its length."""
    return workbook(
        [[date(2026, 1, 5), 1.5, None], ["2026-01-06", "x", "k"], [date(2026, 1, 7), 0.5]], ["0%"]
    )


@functools.cache
def parts_of_small_workbook() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(small_workbook())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@fuzz(60)
@given(st.data())
def test_damaged_workbooks_give_rows_or_a_clear_rejection(data: st.DataObject) -> None:
    book = bytearray(small_workbook())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(book) - 1))
        book[at] = data.draw(st.integers(0, 255))
    parse(bytes(book), "f.xlsx")


@fuzz(60)
@given(st.integers(1, 10_000))
def test_truncated_workbooks_give_a_clear_rejection_or_rows(length: int) -> None:
    parse(small_workbook()[: length % len(small_workbook())], "f.xlsx")


@fuzz(80)
@given(st.data())
def test_workbooks_with_parts_changed_missing_or_invented_give_rows_or_a_clear_rejection(
    data: st.DataObject,
) -> None:
    parts = dict(parts_of_small_workbook())
    names = sorted(parts)
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from([*names, "xl/sharedStrings.xml", "xl/worksheets/sheet2.xml"]))
        change = data.draw(st.sampled_from(["drop", "garbage", "cut", "splice"]))
        body = parts.get(name, b"")
        if change == "drop":
            parts.pop(name, None)
        elif change == "garbage":
            parts[name] = data.draw(st.binary(max_size=200))
        elif change == "cut":
            parts[name] = body[: data.draw(st.integers(0, max(len(body) - 1, 0)))]
        else:
            at = data.draw(st.integers(0, len(body)))
            bit = data.draw(
                st.sampled_from(
                    [
                        b'<c r="XFD1048576"><v>1</v></c>',
                        b"<row>",
                        b"<c/>" * 50,
                        b'r="A0"',
                        b't="e"',
                        b"\x00",
                        b"&x;",
                    ]
                )
            )
            parts[name] = body[:at] + bit + body[at:]
    method = data.draw(
        st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    parse(out.getvalue(), "f.xlsx")


# --- with a database: all or nothing ------------------------------------------------------------


@pytest.fixture
def kpi(alice: User) -> KPI:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})


def attempt(kpi: KPI, alice: User, data: bytes, name: str) -> imports.ImportResult | InvalidInput:
    """Import ``data``; the result, or the InvalidInput it raised after writing nothing."""
    before = Reading.objects.filter(kpi=kpi).count()
    try:
        result = import_readings(alice, kpi.pk, io.BytesIO(data), name)
    except InvalidInput as exc:
        refused: InvalidInput | None = exc
    else:
        refused = None
    after = Reading.objects.filter(kpi=kpi).count()
    if refused is not None:
        assert str(refused).startswith(f"{name}: ") and after == before
        assert not isinstance(refused, ImportRejected) or (refused.count >= 1 and refused.faults)
        return refused
    assert after == before + result.created
    assert result.rows >= 1 and result.created + result.duplicates == result.rows
    return result


@fuzz(40)
@given(
    st.lists(
        st.tuples(DAYS | st.just(""), NUMBERS | st.just(""), st.just("") | TEXT.map(lambda t: t[:120])),
        max_size=6,
    ),
    st.sampled_from([",", ";"]),
)
def test_an_import_writes_every_reading_or_none(
    kpi: KPI, alice: User, rows: list[tuple[str, str, str]], delimiter: str
) -> None:
    lines = [delimiter.join(["date", "value", "key"])]
    lines += [delimiter.join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows]
    attempt(kpi, alice, "\n".join(lines).encode("utf-8", "surrogatepass"), "f.csv")


@fuzz(20)
@given(st.lists(st.lists(SHEET_CELLS, max_size=3), max_size=5), st.lists(FORMATS, min_size=1, max_size=2))
def test_a_workbook_import_writes_every_reading_or_none(
    kpi: KPI, alice: User, rows: list[list[Any]], formats: list[str]
) -> None:
    attempt(kpi, alice, workbook(rows, formats), "f.xlsx")
