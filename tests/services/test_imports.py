"""Importing readings from CSV and XLSX files: formats, every kind of fault, all-or-nothing, idempotency."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from openpyxl import Workbook

from backcast.accounts.models import User
from backcast.goals.models import KPI, Reading
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.intake import imports, workbooks
from backcast.services.intake.imports import ImportRejected, RowFault, import_readings
from backcast.services.platform.errors import InvalidInput


@pytest.fixture
def kpi(alice: User) -> KPI:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})


def run(actor: Any, kpi: KPI, data: bytes, name: str = "readings.csv", **kwargs: Any) -> imports.ImportResult:
    return import_readings(actor, kpi.pk, io.BytesIO(data), name, **kwargs)


def rows_of(kpi: KPI) -> list[tuple[date, float, str | None]]:
    return list(Reading.objects.filter(kpi=kpi).order_by("date", "id").values_list("date", "value", "key"))


def xlsx(*rows: list[Any], formats: dict[str, str] | None = None, sheets: int = 1) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    for n in range(1, sheets):
        book.create_sheet(f"other {n}").append(["date", "value"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_time(*parts: int) -> datetime:
    """A date-and-time cell's value: spreadsheets have no time zones."""
    return datetime(*parts)  # type: ignore[arg-type]  # noqa: DTZ001


def rejected(actor: Any, kpi: KPI, data: bytes, name: str = "readings.csv") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run(actor, kpi, data, name)
    assert not Reading.objects.filter(kpi=kpi).exists()
    return caught.value


# --- good files ----------------------------------------------------------------------------------


def test_a_good_csv_is_recorded_with_derived_keys_and_who_recorded_it(kpi: KPI, carol: User) -> None:
    data = b"Date,VALUE,note\n2026-01-05,81,first\n\n2026-01-12, 82.5 ,\n,,\n2026-01-19T08:30:00,-0,\n"
    result = run(carol, kpi, data)
    assert result == imports.ImportResult("CSV", rows=3, created=3, duplicates=0)
    assert rows_of(kpi) == [
        (date(2026, 1, 5), 81.0, "file:2026-01-05:81.0"),
        (date(2026, 1, 12), 82.5, "file:2026-01-12:82.5"),
        (date(2026, 1, 19), 0.0, "file:2026-01-19:0.0"),
    ]
    assert set(Reading.objects.values_list("recorded_by", flat=True)) == {carol.pk}


def test_given_keys_are_kept_and_a_blank_key_is_derived(kpi: KPI, alice: User) -> None:
    run(alice, kpi, b"key,value,date\nERP-1,81,2026-01-05\n ,82,2026-01-06\n")
    assert [r[2] for r in rows_of(kpi)] == ["ERP-1", "file:2026-01-06:82.0"]


def test_semicolons_tabs_decimal_commas_percent_bom_and_utf16(kpi: KPI, alice: User) -> None:
    run(alice, kpi, "\ufeffdate;value;key\n2026-01-05;81,5;ä-1\n2026-01-06;82%;\n".encode())
    run(alice, kpi, b'"date"\t"value"\n2026-01-07\t83,25\n')
    run(alice, kpi, "date\tvalue\r\n2026-01-08\t84,5\r\n".encode("utf-16"))
    assert [(r[0].day, r[1]) for r in rows_of(kpi)] == [(5, 81.5), (6, 82.0), (7, 83.25), (8, 84.5)]
    assert rows_of(kpi)[0][2] == "ä-1"


def test_a_good_xlsx_with_date_cells_text_dates_and_percentages(kpi: KPI, alice: User) -> None:
    data = xlsx(
        ["Readings of OTD"],
        [],
        ["Date", "Value", "Key"],
        [cell_time(2026, 1, 5), 0.953, None],
        [date(2026, 1, 6), 82, "ERP-7"],
        [None, None, None],
        ["2026-01-07", "83,5", None],
        [cell_time(2026, 1, 8, 14, 30), "84.5%", 1001],
        formats={"B4": "0.0%"},
        sheets=2,
    )
    result = run(alice, kpi, data, "otd.xlsx")
    assert (result.format, result.rows, result.created) == ("XLSX", 4, 4)
    assert rows_of(kpi) == [
        (date(2026, 1, 5), 95.3, "file:2026-01-05:95.3"),  # 0.953 shown as 95.3%
        (date(2026, 1, 6), 82.0, "ERP-7"),
        (date(2026, 1, 7), 83.5, "file:2026-01-07:83.5"),
        (date(2026, 1, 8), 84.5, "1001"),
    ]


def test_progress_is_reported_to_the_end(kpi: KPI, alice: User) -> None:
    lines = "".join(f"2026-01-01,{i}\n" for i in range(imports.CHUNK + 5))
    data = f"date,value\n{lines}".encode()
    seen: list[tuple[int, int | None]] = []
    run(alice, kpi, data, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 2 and seen[-1] == (len(data), len(data))
    seen.clear()
    book = xlsx(["date", "value"], *[[date(2026, 1, 1), i] for i in range(imports.CHUNK + 5)])
    run(alice, kpi, book, "big.xlsx", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (imports.CHUNK + 6, imports.CHUNK + 6)


# --- idempotency ---------------------------------------------------------------------------------


def test_the_same_file_again_records_nothing_and_a_longer_export_only_the_new_rows(
    kpi: KPI, alice: User
) -> None:
    first = b"date,value\n2026-01-05,81\n2026-01-05,81.0\n2026-01-12,82\n"
    assert run(alice, kpi, first) == imports.ImportResult("CSV", rows=3, created=2, duplicates=1)
    assert run(alice, kpi, first) == imports.ImportResult("CSV", rows=3, created=0, duplicates=3)
    longer = first + b"2026-01-19,83\n2026-01-12,82.5\n"
    assert run(alice, kpi, longer).created == 2  # the new week, and the corrected value of another
    assert len(rows_of(kpi)) == 4


def test_keys_are_shared_with_the_api(kpi: KPI, alice: User) -> None:
    record_readings(alice, kpi.pk, [ReadingIn(date(2026, 1, 5), 81.0, key="ERP-1")])
    result = run(alice, kpi, b"date,value,key\n2026-01-05,81,ERP-1\n2026-01-06,82,ERP-2\n")
    assert (result.created, result.duplicates) == (1, 1)
    assert record_readings(alice, kpi.pk, [ReadingIn(date(2026, 1, 6), 82.0, key="ERP-2")]).duplicates == 1


# --- faults --------------------------------------------------------------------------------------

FAULTY_ROWS = [
    ("2026-01-05,abc", "value 'abc' is not a number"),
    ("2026-01-05,", "value is missing"),
    ("2026-01-05", "value is missing"),
    ("2026-01-05,nan", "value 'nan' is not a finite number"),
    ("2026-01-05,1e999", "value '1e999' is not a finite number"),
    ("2026-01-05,1_000", "value '1_000' is not a number"),
    ('2026-01-05,"1,5"', "has a decimal comma in a comma-separated file"),
    ('2026-01-05,"1.234,5"', "has a thousands separator"),
    (",81", "date is missing"),
    ("05/01/2026,81", "date '05/01/2026' is not a date as YYYY-MM-DD"),
    ("2026-02-30,81", "date '2026-02-30' is not a date"),
    ("20260105,81", "date '20260105' is not a date"),
    ("2026-01-05x,81", "date '2026-01-05x' is not a date"),
    ("2026-01-05,81," + "k" * 101, "key is longer than 100 characters"),
    ("2026-01-05,81,a\x00b", "key 'a\\x00b' holds control characters"),
    ("2026-01-05,\udcff", "value '\\xff' is not a number"),
]


@pytest.mark.parametrize(("line", "reason"), FAULTY_ROWS)
def test_every_kind_of_faulty_row_is_named_with_its_number(
    kpi: KPI, alice: User, line: str, reason: str
) -> None:
    data = f"date,value,key\n2026-01-04,80,\n{line}\n2026-01-06,82,\n".encode("utf-8", "surrogateescape")
    exc = rejected(alice, kpi, data)
    assert exc.count == 1 and exc.faults[0].row == 3
    assert reason in exc.faults[0].reason
    assert str(exc).startswith(f"readings.csv: 1 faulty row: row 3: {exc.faults[0].reason}")


def test_a_key_given_twice_names_the_earlier_row(kpi: KPI, alice: User) -> None:
    exc = rejected(alice, kpi, b"date,value,key\n2026-01-05,1,k\n2026-01-06,2,j\n2026-01-07,3,k\n")
    assert exc.faults == [RowFault(4, "key 'k' is also on row 2")]


def test_xlsx_cells_of_the_wrong_kind_are_named(kpi: KPI, alice: User) -> None:
    data = xlsx(
        ["date", "value"],
        [45000, 1],
        [date(2026, 1, 5), date(2026, 1, 6)],
        [date(2026, 1, 5), True],
        [date(2026, 1, 5), "#DIV/0!"],
        [date(2026, 1, 5), None],
    )
    exc = rejected(alice, kpi, data, "r.xlsx")
    assert [str(f) for f in exc.faults] == [
        "row 2: date 45000 is a number, not a date: format the column as dates",
        "row 3: value 2026-01-06 is a date, not a number",
        "row 4: value True is not a number",
        "row 5: value '#DIV/0!' is not a number",
        "row 6: value is missing",
    ]


def test_a_bad_file_is_refused_whole_after_chunks_were_written(kpi: KPI, alice: User) -> None:
    good = "".join(f"2026-01-01,{i}\n" for i in range(imports.CHUNK * 2 + 10))
    exc = rejected(alice, kpi, f"date,value\n{good}2026-01-02,x\n".encode())
    assert exc.faults == [RowFault(imports.CHUNK * 2 + 12, "value 'x' is not a number")]


def test_many_faults_are_counted_all_and_listed_up_to_the_limit(kpi: KPI, alice: User) -> None:
    bad = "".join(f"2026-01-01,x{i}\n" for i in range(imports.MAX_FAULTS + 500))
    exc = rejected(alice, kpi, f"date,value\n2026-01-01,1\n{bad}".encode())
    assert exc.count == imports.MAX_FAULTS + 500 and len(exc.faults) == imports.MAX_FAULTS
    message = str(exc)
    assert message.startswith("readings.csv: 1,500 faulty rows: row 3: value 'x0' is not a number; row 4:")
    assert message.endswith("; and 1,495 more") and message.count("; row ") == imports.SHOWN_FAULTS - 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n \n", "has no header row"),
        (b"day,amount\n2026-01-05,1\n", "date and value not found among 'day', 'amount'"),
        (b"date;amount\n2026-01-05;1\n", "value not found among 'date;amount'"),
        (b"date,value,Date\n", "names the column 'date' twice"),
        (b"date,value\n", "has no readings below its header row"),
        (b"date,value\n\n,,\n", "has no readings below its header row"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel .xls workbook"),
        (b"PK\x03\x04not really a zip", "is not a readable XLSX workbook"),
        (b"date,value\n2026-01-05," + b"9" * 200_000 + b"\n", "row 2: cannot be read as CSV (field larger"),
        (
            b"\xff\xfed\x00a\x00t\x00e\x00,\x00v\x00a\x00l\x00u\x00e\x00\n\x002",
            "row 2: cannot be read as CSV",
        ),
        (b"\xff\xfe\x00\xd8", "is not UTF-16 text"),
    ],
)
def test_faults_of_the_whole_file(kpi: KPI, alice: User, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=r"^r\.csv: .*" + re.escape(message)):
        run(alice, kpi, data, "r.csv")
    assert not Reading.objects.exists()


def test_a_workbook_without_a_header_or_with_a_damaged_sheet(kpi: KPI, alice: User) -> None:
    with pytest.raises(InvalidInput, match="has no header row"):
        run(alice, kpi, xlsx(), "r.xlsx")
    good = xlsx(["date", "value"], [date(2026, 1, 5), 1])
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = body.replace(b"<sheetData>", b"<sheetData><row r=")
            target.writestr(item, body)
    with pytest.raises(InvalidInput, match="its first sheet is damaged"):
        run(alice, kpi, damaged.getvalue(), "r.xlsx")


def test_a_workbook_that_unpacks_too_big_is_refused(
    kpi: KPI, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = io.BytesIO(xlsx(["date", "value"], [date(2026, 1, 5), 1]))
    with zipfile.ZipFile(packed, "a") as archive:  # Excel keeps text cells in a part of their own
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 10 + "</sst>")
    book = packed.getvalue()
    monkeypatch.setattr(workbooks, "MAX_SHARED_STRINGS", 10)
    with pytest.raises(InvalidInput, match="its text to more than 0 MB"):
        run(alice, kpi, book, "r.xlsx")
    monkeypatch.setattr(workbooks, "MAX_SHARED_STRINGS", 2**20)
    monkeypatch.setattr(workbooks, "MAX_UNPACKED", 1000)
    with pytest.raises(InvalidInput, match="unpacks to more than 0 MB"):
        run(alice, kpi, book, "r.xlsx")
    monkeypatch.setattr(workbooks, "MAX_UNPACKED", 2**20)
    assert run(alice, kpi, book, "r.xlsx").created == 1


# --- who may import ------------------------------------------------------------------------------


def test_viewers_may_not_import_and_outsiders_see_no_kpi(kpi: KPI, bob: User, charlie: User) -> None:
    data = b"date,value\n2026-01-05,81\n"
    with pytest.raises(PermissionDenied):
        run(bob, kpi, data)
    with pytest.raises(Http404):
        run(charlie, kpi, data)
    assert not Reading.objects.exists()


def test_the_operator_imports_without_a_role_and_names_no_one(kpi: KPI) -> None:
    run(None, kpi, b"date,value\n2026-01-05,81\n")
    assert Reading.objects.get().recorded_by is None
    with pytest.raises(InvalidInput, match=r"^kpi: no KPI with id 999999$"):
        import_readings(None, 999_999, io.BytesIO(b"date,value\n2026-01-05,81\n"), "r.csv")


def test_sqlite_settings_are_set_back(kpi: KPI, alice: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        run(alice, kpi, b"date,value\n2026-01-05,81\n")
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before
