"""File import speed: a CSV of a million readings into one KPI, against a bare ``executemany``.

Not a test: it writes a CSV of ``--rows`` readings (``date,value``, so every key is derived from
the row, the costlier case), then on a fresh database (an SQLite file in a temporary folder
unless ``--database-url`` names one) times:

1. a bare ``executemany`` of the same rows, already built in memory as the import would insert
   them, in one transaction: the practical limit of the database, without reading the file (on
   PostgreSQL a bare ``COPY``, which the import uses there: see ``Writer.insert``);
2. ``import_readings`` of the file (stream-parse, check every row, derive keys, skip known keys,
   insert in chunks, one transaction), after the table is emptied again;
3. the same import once more: every row is recorded already, nothing is written;
4. ``import_readings`` of an XLSX of ``--xlsx-rows`` readings into another KPI (date cells and
   number cells, as a spreadsheet saves them; read with calamine), and its ratio to the bare
   ``executemany`` scaled to the same number of rows. Writing the workbook with openpyxl takes
   a minute or two for a million rows; it is not timed.

    .venv/bin/python bench/ingest.py                  # 1,000,000 CSV rows, 1,000,000 XLSX rows
    .venv/bin/python bench/ingest.py --rows 200000 --xlsx-rows 0
    .venv/bin/python bench/ingest.py --database-url postgres://postgres@127.0.0.1:5432/backcast_ingest_bench

The database named by ``--database-url`` must exist and be empty; it is migrated first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

START = date(2020, 1, 1)
DAYS = 2000


def row(i: int) -> tuple[date, float]:
    """The i-th reading: dates cycle over ``DAYS`` days; every (date, value) pair is distinct."""
    return START + timedelta(days=i % DAYS), i / 8


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,value\n")
        for i in range(rows):
            day, value = row(i)
            out.write(f"{day.isoformat()},{value!r}\n")


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("readings")
    sheet.append(["Date", "Value"])
    for i in range(rows):
        sheet.append(list(row(i)))
    book.save(path)


def setup_kpi() -> tuple[int, int]:
    """An organisation, a goal and two KPIs; their ids."""
    from backcast.services.goals.goals import create_goal
    from backcast.services.goals.kpis import add_kpi
    from backcast.services.platform.accounts import create_user

    user, _ = create_user(
        "bench@backcast.local", "bench-password-1", org="Bench", role="admin", validate=False
    )
    goal = create_goal(user, {"title": "Raise OEE to 85%", "deadline": date(2031, 6, 30)})
    first = add_kpi(user, goal.pk, {"name": "OEE", "unit": "%", "baseline": 60.0, "target": 85.0})
    second = add_kpi(
        user, goal.pk, {"name": "Scrap", "unit": "%", "direction": "decrease", "baseline": 9.0, "target": 4.0}
    )
    return first.pk, second.pk


def bare_insert(kpi_id: int, rows: int) -> tuple[float, float]:
    """Seconds (wall, CPU) to insert the rows the import would, built beforehand, in one call."""
    from django.db import connection, transaction

    from backcast.goals.models import KPI, Reading
    from backcast.goals.stamps import inserts_bump_once
    from backcast.services.intake.imports import Writer, bulk_session

    writer = Writer(kpi_id, recorded_by=None)
    ops = connection.ops
    prepared = []
    for i in range(rows):
        day, value = row(i)
        key = f"file:{day.isoformat()}:{value!r}"
        prepared.append((kpi_id, ops.adapt_datefield_value(day), value, key, writer.recorded_at, None))
    began, cpu = time.perf_counter(), time.process_time()
    goal_id = KPI.objects.get(pk=kpi_id).goal_id
    with (
        bulk_session(),
        transaction.atomic(),
        inserts_bump_once(connection, Reading, [goal_id]),
    ):  # as the import does
        writer.insert(prepared)  # executemany on SQLite, COPY on PostgreSQL
    return time.perf_counter() - began, time.process_time() - cpu


def timed_import(kpi_id: int, path: Path) -> tuple[float, float, object]:
    """Seconds (wall, CPU) to import the file as the operator, and the result."""
    from backcast.services.intake.imports import import_readings

    began, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as file:
        result = import_readings(None, kpi_id, file, path.name)
    return time.perf_counter() - began, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="readings in the CSV")
    parser.add_argument("--xlsx-rows", type=int, default=1_000_000, help="readings in the XLSX (0: skip)")
    parser.add_argument("--database-url", default="", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (files and database)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="backcast-ingest-"))
    os.environ["BACKCAST_DATA_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = args.database_url
    from backcast.cli import setup

    setup.django(migrate=True)
    from django.db import connection

    from backcast.goals.models import Reading

    print(f"database: {setup.describe_database()}", flush=True)
    kpi_id, other_id = setup_kpi()
    csv_path = folder / "readings.csv"
    began = time.perf_counter()
    write_csv(csv_path, args.rows)
    size = csv_path.stat().st_size
    print(
        f"wrote {csv_path.name}: {args.rows:,} rows, {size / 1e6:.1f} MB in {time.perf_counter() - began:.1f} s"
    )

    bare, bare_cpu = bare_insert(kpi_id, args.rows)
    way = "COPY" if connection.vendor == "postgresql" else "executemany"
    label = f"bare {way} of the same rows:"
    print(f"{label:36}{bare:6.2f} s (CPU {bare_cpu:5.2f} s)  {args.rows / bare:9,.0f} rows/s")
    Reading.objects.all()._raw_delete(Reading.objects.db)  # empty again, without loading the rows
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")

    wall, cpu, result = timed_import(kpi_id, csv_path)
    print(
        f"import_readings (CSV):              {wall:6.2f} s (CPU {cpu:5.2f} s)  {args.rows / wall:9,.0f} rows/s"
    )
    print(f"  {result}")
    label = f"ratio import / bare {way}:"
    print(f"{label:36}{wall / bare:6.2f}      (CPU {cpu / bare_cpu:5.2f}: this process only)")
    wall, cpu, result = timed_import(kpi_id, csv_path)
    print(f"the same file again (idempotent):   {wall:6.2f} s (CPU {cpu:5.2f} s)  {result}")
    assert Reading.objects.filter(kpi_id=kpi_id).count() == args.rows

    if args.xlsx_rows:
        xlsx_path = folder / "readings.xlsx"
        write_xlsx(xlsx_path, args.xlsx_rows)
        wall, cpu, result = timed_import(other_id, xlsx_path)
        rate = args.xlsx_rows / wall
        print(f"import_readings (XLSX):             {wall:6.2f} s (CPU {cpu:5.2f} s)  {rate:9,.0f} rows/s")
        print(f"  {result}")
        scaled = bare * args.xlsx_rows / args.rows
        label = f"ratio XLSX import / bare {way}:"
        print(f"{label:36}{wall / scaled:6.2f}      (the bare time scaled to {args.xlsx_rows:,} rows)")
    sys.stdout.flush()
    if args.keep:
        print(f"kept {folder}")
    else:
        connection.close()
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
