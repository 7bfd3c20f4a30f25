"""Readings from a file, CSV or XLSX: checked whole, written in one transaction, idempotent.

The file format (the README's "Importing readings" says the same for people):

- A header row names the columns ``date`` and ``value``, and optionally ``key`` (any case, any
  order; other columns are ignored). It is the first row that names both, within the first 20
  rows: a title or notes above it are skipped. Every row below it is one reading; blank rows are
  skipped. Rows are numbered as a spreadsheet numbers them: the file's first row is row 1.
- CSV is UTF-8 text (a byte-order mark is fine; UTF-16 with one, as Excel's "Unicode text", too)
  separated by commas, semicolons or tabs: whichever splits the header into ``date`` and ``value``. In a semicolon- or tab-separated file a value may
  use a decimal comma (``93,5``); a comma-separated file uses a point. Thousands separators are
  refused rather than guessed at. XLSX: the first worksheet, with dates as date cells or text.
- A date is ``YYYY-MM-DD``; a time of day after it is allowed and ignored. A value is a finite
  number; a trailing ``%`` is dropped (``95%`` is 95), and an XLSX cell formatted as a percentage
  counts as the number it shows (a cell holding 0.95 shown as 95% is 95): what the team sees in
  its sheet is what is recorded.
- ``key`` is the reading's idempotency key, as in the API. A row without one gets
  ``file:DATE:VALUE`` (the KPI is implied: keys are unique per KPI), so importing the same file,
  or a longer export of the same sheet, records each reading once; a corrected value on a day is a
  new reading. A key given twice in one file is a fault; the same date and value twice is one
  reading.

A file with any faulty row is refused whole: nothing is written, and every faulty row is named
with its number and reason (the first :data:`MAX_FAULTS` are kept, all are counted); so is a file of
more than ``backcast.limits.IMPORT_ROWS`` readings (one import is one transaction). A good file
is parsed as a stream and written in chunks inside one transaction, skipping the keys the KPI
already has (read in one query), so a million readings take seconds rather than minutes. An XLSX
sheet is read by calamine, whole, after checks of its size (see :mod:`backcast.services.intake.workbooks`).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.timezone import now

from backcast import limits
from backcast.goals import stamps
from backcast.goals.models import KPI, Reading
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.intake.workbooks import Percent, xlsx_cells
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.activity import record_readings_batch

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

HEADER_ROWS = 20  # the header may follow a title or notes, within this many rows
MAX_FAULTS = 1000  # faulty rows kept to show; beyond this they are only counted
SHOWN_FAULTS = 5  # faulty rows named in the one-line message
CHUNK = 10_000  # rows written (and progress reported) at a time
BULK_CACHE_KIB = 256 * 1024  # SQLite's page cache during an import (see bulk_session)
MAX_CACHED_DAYS = 100_000  # distinct date cells remembered, parsed once each
MAX_KEY = 100
COLUMNS = ("date", "value", "key")
DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"  # a ZIP archive
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # an OLE2 compound file

Progress = Callable[[int, int | None], None]
"""Told (done, total) as the file is read: bytes of a CSV, rows of an XLSX; total may be unknown."""


@dataclass(frozen=True)
class RowFault:
    """Why one row of the file cannot be recorded."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class ImportRejected(InvalidInput):
    """The file is refused whole. ``faults`` holds the first faulty rows, ``count`` all of them."""

    def __init__(self, name: str, faults: list[RowFault], count: int) -> None:
        shown = "; ".join(str(f) for f in faults[:SHOWN_FAULTS])
        more = count - min(len(faults), SHOWN_FAULTS)
        tail = f"; and {more:,} more" if more else ""
        super().__init__(f"{count:,} faulty row{'' if count == 1 else 's'}: {shown}{tail}", name)
        self.faults = faults
        self.count = count


@dataclass(frozen=True)
class ImportResult:
    """What an import did: readings in the file, newly recorded, and skipped as already recorded."""

    format: str
    rows: int
    created: int
    duplicates: int


Row = tuple[int, date, float, str]  # row number, day, value, key (given or derived)
Cells = Generator[tuple[int, list[Any]], None, None]  # numbered raw rows of a file


class Fault(Exception):
    """A cell that cannot be read, with the reason (inside this module: it becomes a RowFault)."""


def import_readings(
    actor: AnyUser | None,
    kpi_id: int,
    file: IO[bytes],
    name: str,
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Record the readings of a CSV or XLSX file for a KPI: all of them or, on any fault, none.

    ``actor`` must be allowed to contribute to the KPI's goal (as for recording one reading); the
    readings carry them as ``recorded_by``. ``None`` is the operator at the command line, who holds
    the database itself: no role is checked and ``recorded_by`` stays empty. ``name`` names the
    file in messages. Raises :class:`ImportRejected` listing the faulty rows, or
    :class:`InvalidInput` for a fault of the whole file (not CSV or XLSX, no header, no readings).
    """
    with bulk_session(), transaction.atomic():
        if actor is None:
            kpi = KPI.objects.select_for_update(of=("self",)).filter(pk=kpi_id).first()
            if kpi is None:
                raise InvalidInput(f"no KPI with id {kpi_id}", "kpi")
        else:  # one writer per KPI at a time, as in record_readings
            kpi = get_for(KPI.objects.select_for_update(of=("self",)), actor, Action.CONTRIBUTE, pk=kpi_id)
        writer = Writer(kpi.pk, recorded_by=None if actor is None else user_pk(actor) or None)
        kind, rows = read_file(file, name, progress)
        with closing(rows), stamps.inserts_bump_once(connection, Reading, [kpi.goal_id]):
            faults, count = writer.write(rows, name)
        if count:
            raise ImportRejected(name, faults, count)  # and the transaction undoes what was written
        if not writer.rows:
            raise InvalidInput("has no readings below its header row", name)
        record_readings_batch(actor, kpi, writer.created, name)  # one event for the file
    return ImportResult(kind, writer.rows, writer.created, writer.rows - writer.created)


@contextmanager
def bulk_session() -> Iterator[None]:
    """On SQLite, room in memory for a big insert while the import runs, set back afterwards.

    Two of SQLite's defaults cost more than the inserts themselves once a million rows go into
    an indexed table whose rows fire triggers: a 2 MB page cache that the indexes outgrow and
    spill again and again, and statement journals in temporary files, which every row's trigger
    writes. A 256 MB cache (it grows only as pages are used) and statement journals in memory
    halve the time of the same inserts. Both are per connection; SQLite changes where temporary
    data goes only outside a transaction, so inside one the default stays.
    """
    if connection.vendor != "sqlite":
        yield
        return
    pragmas = {"cache_size": -BULK_CACHE_KIB}
    if not connection.in_atomic_block:
        pragmas["temp_store"] = 2  # memory
    before = {}
    with connection.cursor() as cursor:
        for pragma, value in pragmas.items():
            cursor.execute(f"PRAGMA {pragma}")
            before[pragma] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {pragma} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pragma, value in before.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")


class Writer:
    """Skips the keys recorded before and writes the rest in chunks with one prepared INSERT.

    ``bulk_create`` builds a model instance and prepares every field of every row in Python,
    which at a million rows costs several times the insert itself; this writes the same columns
    (see :meth:`insert`), each value adapted by the database backend as the ORM adapts it.
    """

    def __init__(self, kpi_id: int, *, recorded_by: int | None) -> None:
        self.kpi_id = kpi_id
        self.recorded_by = recorded_by
        self.recorded_at = connection.ops.adapt_datetimefield_value(now())
        self.seen: set[str | None] = set(
            Reading.objects.filter(kpi_id=kpi_id, key__isnull=False).values_list("key", flat=True)
        )
        self.days: dict[date, Any] = {}
        self.pending: list[tuple[Any, ...]] = []
        self.rows = 0
        self.created = 0
        column = {f.name: f.column for f in Reading._meta.concrete_fields}
        names = ["kpi", "date", "value", "key", "recorded_at", "recorded_by"]
        quote = connection.ops.quote_name
        target = f"{quote(Reading._meta.db_table)} ({', '.join(quote(column[n]) for n in names)})"
        marks = ", ".join(["%s"] * len(names))
        self.sql = f"INSERT INTO {target} VALUES ({marks})"  # noqa: S608 - names from the model, quoted
        self.copy_sql = f"COPY {target} FROM STDIN"

    def write(self, items: Iterator[Row | RowFault], name: str = "the file") -> tuple[list[RowFault], int]:
        """Write good rows until the first fault, then only collect faults; return them and their count.

        The hot loop of an import: per row a set lookup, a tuple and, every CHUNK rows, one
        ``executemany``. A file of more than ``limits.IMPORT_ROWS`` rows (good or faulty) is
        refused (:class:`InvalidInput` at ``name``) as soon as the row after the limit is reached,
        so the import's transaction stays within what the limit allows.
        """
        seen, days, pending = self.seen, self.days, self.pending
        adapt = connection.ops.adapt_datefield_value
        kpi_id, recorded_at, recorded_by = self.kpi_id, self.recorded_at, self.recorded_by
        faults: list[RowFault] = []
        count = 0
        limit = limits.IMPORT_ROWS
        for number, item in enumerate(items, 1):
            if number > limit:
                raise InvalidInput(
                    f"has more than {limit:,} readings: split it into files of at most {limit:,}", name
                )
            if type(item) is RowFault:
                count += 1
                if len(faults) < MAX_FAULTS:
                    faults.append(item)
            elif not count:  # after a fault nothing will be written: only look for more faults
                _, day, value, key = item  # type: ignore[misc]
                self.rows += 1
                if key in seen:
                    continue
                seen.add(key)
                db_day = days.get(day)
                if db_day is None:
                    db_day = days[day] = adapt(day)
                pending.append((kpi_id, db_day, value, key, recorded_at, recorded_by))
                if len(pending) >= CHUNK:
                    self.flush()
        if not count:
            self.flush()
        return faults, count

    def flush(self) -> None:
        if self.pending:
            self.insert(self.pending)
            self.created += len(self.pending)
            self.pending.clear()

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert the rows: ``executemany`` on SQLite, one ``COPY`` on PostgreSQL.

        On PostgreSQL each INSERT statement fires the goal-stamp trigger once (it is per
        statement), and a million updates of one stamp row in one transaction slow down as its
        versions pile up; a COPY a chunk fires it once a chunk, and is the fastest way in besides.
        """
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)


def read_file(
    file: IO[bytes], name: str, progress: Progress | None = None
) -> tuple[str, Generator[Row | RowFault, None, None]]:
    """The format of ``file`` ("CSV" or "XLSX", told by its first bytes) and its rows, read lazily.

    Pure: no database. Yields a :data:`Row` for each good row and a :class:`RowFault` for each
    faulty one; raises :class:`InvalidInput` (naming the file) when the file as a whole cannot be
    read.
    """
    head = file.read(4)
    file.seek(0)
    if not head:
        raise InvalidInput("is empty", name)
    if head == XLS_MAGIC:
        raise InvalidInput("is an old Excel .xls workbook: save it as .xlsx or CSV", name)
    if head == XLSX_MAGIC:
        return "XLSX", check_rows(xlsx_cells(file, name, progress), name, comma_decimal=True)
    cells, delimiter = csv_cells(file, name, progress)
    return "CSV", check_rows(cells, name, comma_decimal=delimiter != ",")


def blank(row: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def check_rows(cells: Cells, name: str, *, comma_decimal: bool) -> Generator[Row | RowFault, None, None]:
    """Turn numbered raw rows into readings and faults, below the header (see :func:`find_header`).

    However it ends, it closes ``cells``, which lets go of the file at once.
    """
    with closing(cells):
        at = find_columns(find_header(cells, name), name)
        i_date, i_value, i_key = at["date"], at["value"], at.get("key", -1)
        days: dict[Any, date] = {}
        keys: dict[str, int] = {}
        for number, row in cells:
            size = len(row)
            try:
                raw = row[i_date] if i_date < size else None
                day = days.get(raw)
                if day is None:
                    day = to_day(raw)
                    if len(days) < MAX_CACHED_DAYS:
                        days[raw] = day
                value = to_value(row[i_value] if i_value < size else None, comma_decimal)
                given = cell_text(row[i_key]) if 0 <= i_key < size and row[i_key] is not None else ""
                key = check_key(given, number, keys) if given else f"file:{day.isoformat()}:{value!r}"
            except Fault as fault:
                if not blank(row):  # a blank row is skipped, not a fault
                    yield RowFault(number, str(fault))
            else:
                yield (number, day, value, key)


def find_header(cells: Cells, name: str) -> list[Any]:
    """The header: the first row naming date and value among the first HEADER_ROWS rows.

    Rows above it (a title, a note) are skipped. Without such a row, the first non-blank row is
    taken for the header, so that the fault names what it holds.
    """
    first = None
    for number, row in cells:
        if not blank(row):
            names = {str(c).strip().lower() for c in row if c is not None}
            if "date" in names and "value" in names:
                return row
            first = first or row
        if number >= HEADER_ROWS:
            break
    if first is None:
        raise InvalidInput("has no header row: the first row must name the columns date and value", name)
    return first


def find_columns(header: list[Any], name: str) -> dict[str, int]:
    """Where the date, value and key columns are; a missing or repeated one faults the file."""
    names = [str(c).strip().lower() if c is not None else "" for c in header]
    at: dict[str, int] = {}
    for index, column in enumerate(names):
        if column in COLUMNS:
            if column in at:
                raise InvalidInput(f"the header row names the column {column!r} twice", name)
            at[column] = index
    missing = [c for c in COLUMNS[:2] if c not in at]
    if missing:
        found = ", ".join(short(n) for n in names[:8] if n)
        raise InvalidInput(
            "the header row must name the columns date and value (and optionally key); "
            f"{' and '.join(missing)} not found among {found}",
            name,
        )
    return at


def to_day(cell: Any) -> date:
    """A reading's day from a date cell or ``YYYY-MM-DD`` text (a time of day after it is ignored)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise Fault("date is missing")
    if isinstance(cell, time):
        raise Fault(f"date {cell.isoformat()} is a time of day, not a date")
    if not isinstance(cell, str):
        raise Fault(f"date {short(whole(cell))} is a number, not a date: format the column as dates")
    text = cell.strip()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:10].isascii():
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            if text[10] in "T ":
                return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise Fault(f"date {short(cell)} is not a date as YYYY-MM-DD")


def to_value(cell: Any, comma_decimal: bool) -> float:
    """A finite number from a number cell or text (see the module's docstring for what text may be)."""
    if isinstance(cell, str):
        value = text_value(cell, comma_decimal)
    elif isinstance(cell, Percent):
        value = cell.shown
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    elif cell is None:
        raise Fault("value is missing")
    elif isinstance(cell, date):
        day = cell.date() if isinstance(cell, datetime) and cell == datetime.combine(cell, time()) else cell
        raise Fault(f"value {day.isoformat()} is a date, not a number")
    else:
        raise Fault(f"value {short(cell)} is not a number")
    if not math.isfinite(value):
        raise Fault(f"value {short(cell)} is not a finite number")
    return value + 0.0  # -0.0 becomes 0.0, so both give one key


def text_value(cell: str, comma_decimal: bool) -> float:
    if cell.isascii() and "_" not in cell:  # float() also takes other scripts' digits and 1_000
        try:
            return float(cell)
        except ValueError:
            pass
    text = cell.strip()
    if not text:
        raise Fault("value is missing")
    if text.endswith("%"):
        text = text[:-1].rstrip()
    if "," in text:
        if "." in text or text.count(",") > 1:
            raise Fault(f"value {short(cell)} has a thousands separator: write the number without one")
        if not comma_decimal:
            raise Fault(
                f"value {short(cell)} has a decimal comma in a comma-separated file: "
                "use a point, or separate the columns with semicolons"
            )
        text = text.replace(",", ".")
    try:
        if text.isascii() and "_" not in text:
            return float(text)
    except ValueError:
        pass
    raise Fault(f"value {short(cell)} is not a number")


def check_key(key: str, number: int, keys: dict[str, int]) -> str:
    """A given key: 1 to 100 printable characters, not given on an earlier row of the file."""
    if len(key) > MAX_KEY:
        raise Fault(f"key is longer than {MAX_KEY} characters")
    if not key.isprintable():
        raise Fault(f"key {short(key)} holds control characters or bytes that are not UTF-8")
    earlier = keys.setdefault(key, number)
    if earlier != number:
        raise Fault(f"key {short(key)} is also on row {earlier}")
    return key


def whole(cell: Any) -> Any:
    """A number as a spreadsheet shows it: an XLSX keeps every number as a float, 1001 as 1001.0."""
    if type(cell) is float and cell.is_integer() and abs(cell) < 2**53:
        return int(cell)
    return cell


def cell_text(cell: Any) -> str:
    """A cell's text, stripped: a key typed as the number 1001 is the key "1001"."""
    return str(whole(cell)).strip()


def short(value: Any) -> str:
    """A cell as a message quotes it: its repr, cut to about 40 characters; bad bytes as bytes."""
    text = repr(value)
    if isinstance(value, str) and not value.isprintable():
        with suppress(UnicodeEncodeError):  # only undecodable bytes become surrogates, but be sure
            text = repr(value.encode("utf-8", "surrogateescape"))[1:]
    return text if len(text) <= 40 else text[:36] + "...'"


def csv_cells(file: IO[bytes], name: str, progress: Progress | None) -> tuple[Cells, str]:
    """The numbered rows of a CSV file, and its delimiter: the one that splits its header.

    UTF-8 (with or without a byte-order mark), or UTF-16 with one (Excel's "Unicode text").
    Bytes that are not UTF-8 are kept as lone surrogates, so a bad byte faults its row and not
    the whole file.
    """
    total = size_of(file)
    utf16 = file.read(2) in (b"\xff\xfe", b"\xfe\xff")
    file.seek(0)
    text = io.TextIOWrapper(
        file, encoding="utf-16" if utf16 else "utf-8-sig", errors="surrogateescape", newline=""
    )
    lines = iter(text)
    first: list[str] = []  # the lines up to the header (or HEADER_ROWS of them), read to sniff
    delimiter = ""
    try:
        for line in lines:
            first.append(line)
            delimiter = sniff(line)
            if delimiter or len(first) >= HEADER_ROWS:
                break
    except UnicodeError:
        text.detach()
        raise InvalidInput("is not UTF-16 text, though it starts as such", name) from None

    delimiter = delimiter or ","

    def rows() -> Cells:
        reader = csv.reader(itertools.chain(first, lines), delimiter=delimiter)
        number = 0
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except (csv.Error, UnicodeError) as exc:  # a field over the size limit, bad UTF-16
                    raise InvalidInput(f"row {number + 1}: cannot be read as CSV ({exc})", name) from None
                number += 1
                if progress is not None and not number % CHUNK:
                    progress(tell(file), total)
                yield number, row
        finally:
            if progress is not None:
                progress(tell(file), total)
            with suppress(ValueError):  # already closed
                text.detach()  # leave the caller's file open

    return rows(), delimiter


def sniff(line: str) -> str:
    """The delimiter that splits ``line`` into cells named date and value; "" when none does."""
    for delimiter in DELIMITERS:
        cells = {c.strip().strip('"').strip().lower() for c in line.split(delimiter)}
        if {"date", "value"} <= cells:
            return delimiter
    return ""


def size_of(file: IO[bytes]) -> int | None:
    try:
        end = file.seek(0, io.SEEK_END)
        file.seek(0)
    except (OSError, ValueError):  # pragma: no cover - every file the interfaces pass can seek
        return None
    return end


def tell(file: IO[bytes]) -> int:
    try:
        return file.tell()
    except (OSError, ValueError):  # pragma: no cover - closed or unseekable
        return 0
