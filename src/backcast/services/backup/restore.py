"""Restoring a backup into an empty database: all of it in one transaction, or nothing.

Rows are written as they were, primary keys included, with one prepared ``INSERT`` per chunk
of rows (``executemany``), not through ``save()``: no signal fires, and no ``auto_now`` field
or other ``pre_save`` hook rewrites what the backup says. The database's foreign-key checks are
deferred to the end of the transaction and run before it commits, so a file whose rows refer to
rows it does not hold is refused whole. Afterwards the PostgreSQL sequences are moved past the
restored ids, and the derived tables are left to rebuild themselves: the goal-stamp triggers
fire on the inserts, and the dashboard computes every summary again on its first view, since
none is restored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction

from backcast.services.backup.catalog import (
    FORMAT,
    VERSION,
    Catalogues,
    Column,
    columns,
    exported_models,
    label,
)
from backcast.services.backup.reader import read_backup
from backcast.services.platform.errors import InvalidInput

CHUNK = 5000


@dataclass
class ImportResult:
    """What was restored: the backup's scope and rows per model label."""

    scope: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def what_is_there() -> list[str]:
    """The models that hold rows in this database, as ``label (count)``; empty for an empty one."""
    held = []
    for model in exported_models():
        count = model._base_manager.count()
        if count:
            held.append(f"{label(model)} ({count:,})")
    return held


def import_backup(stream: TextIO, name: str) -> ImportResult:
    """Restore the backup read from ``stream`` (called ``name`` in messages) into this database.

    Raises :class:`InvalidInput`, with nothing written, when the database is not empty (naming
    what it holds), when the file is not a backup of a format and version this code reads, or
    when any row is faulty (an unknown model or field, a value of the wrong kind, a duplicate
    key, a reference to a row the file does not hold).
    """
    result = ImportResult()

    def check_header(header: dict[str, Any]) -> None:
        if "format" not in header:
            raise InvalidInput(f"{name}: not a Backcast backup (no 'format' before its 'data')")
        if header.get("format") != FORMAT:
            raise InvalidInput(f"{name}: not a Backcast backup (its format is {header.get('format')!r})")
        if header.get("version") != VERSION:
            raise InvalidInput(
                f"{name}: backup version {header.get('version')!r} is not supported; "
                f"this Backcast reads version {VERSION}"
            )
        scope = header.get("scope")
        result.scope = scope if isinstance(scope, dict) else {}
        held = what_is_there()  # checked once the file is known to be a backup: that fault comes first
        if held:
            raise InvalidInput(
                f"the database is not empty: it holds {', '.join(held[:6])}"
                + (f" and {len(held) - 6} more" if len(held) > 6 else "")
                + "; a backup is restored only into a new, migrated database"
            )

    by_label = {label(m): m for m in exported_models()}
    catalogues = Catalogues()
    with transaction.atomic():
        batch = Batch(name, catalogues)
        for model_label, row in read_backup(stream, name, check_header):
            if model_label != batch.label:
                batch.flush()
                model = by_label.get(model_label)
                if model is None:
                    raise InvalidInput(f"{name}: {model_label!r} is not a model this Backcast restores")
                batch.start(model_label, model)
            batch.add(row)
            if len(batch.rows) >= CHUNK:
                batch.flush()
        batch.flush()
        result.counts = batch.counts
        check_references(name, [by_label[m] for m in batch.counts])
        reset_sequences([by_label[m] for m in batch.counts])
    return result


class Batch:
    """The rows of one model waiting to be inserted, checked and turned into database values."""

    def __init__(self, name: str, catalogues: Catalogues) -> None:
        self.name = name
        self.catalogues = catalogues
        self.label = ""
        self.model: type[models.Model] | None = None
        self.columns: dict[str, Column] = {}
        self.rows: list[list[Any]] = []
        self.counts: dict[str, int] = {}
        self.names: set[str] = set()
        self.native: dict[str, type | None] = {}
        self.connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per value

    def start(self, model_label: str, model: type[models.Model]) -> None:
        self.label, self.model = model_label, model
        self.columns = {c.name: c for c in columns(model)}
        self.names = set(self.columns)
        self.native = {c.name: native_type(c) for c in self.columns.values()}
        self.counts.setdefault(model_label, 0)

    def where(self) -> str:
        return f"{self.name}: {self.label} row {self.counts[self.label] + len(self.rows) + 1}"

    def add(self, row: Any) -> None:
        if not isinstance(row, dict):
            raise InvalidInput(f"{self.where()}: a row is an object of field names and values")
        if not row.keys() <= self.names:
            unknown = sorted(set(row) - self.names)[0]
            raise InvalidInput(f"{self.where()}: {self.label} has no field {unknown!r}")
        values = []
        for name, col in self.columns.items():
            if name not in row:
                if col.field.primary_key:
                    raise InvalidInput(f"{self.where()}: the primary key {name!r} is missing")
                values.append(col.field.get_db_prep_save(col.field.get_default(), self.connection))
                continue
            raw = row[name]
            if type(raw) is self.native[name]:  # stored as it is: skip the field's conversions
                values.append(raw)
            else:
                values.append(self.prepared(col, raw))
        self.rows.append(values)

    def prepared(self, col: Column, raw: Any) -> Any:
        try:
            if col.catalogue is not None:
                value = self.catalogues.pk_of(col.catalogue, raw)
            elif col.is_json:
                value = raw
            else:
                value = col.field.to_python(raw)
            if value is None and not col.field.null:
                raise ValidationError("may not be empty")
            return col.field.get_db_prep_save(value, self.connection)
        except KeyError:
            what = label(col.catalogue) if col.catalogue is not None else "row"
            raise InvalidInput(f"{self.where()}: {col.name}: no {what} {raw!r} in this database") from None
        except (ValidationError, TypeError, ValueError) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise InvalidInput(f"{self.where()}: {col.name}: {reason}") from None

    def flush(self) -> None:
        if not self.rows or self.model is None:
            return
        quote = connection.ops.quote_name
        cols = list(self.columns.values())
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the models only
            quote(self.model._meta.db_table),
            ", ".join(quote(c.column) for c in cols),
            ", ".join(["%s"] * len(cols)),
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, self.rows)
        except IntegrityError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"{self.name}: {self.label}: {first}") from None
        self.counts[self.label] += len(self.rows)
        self.rows = []


NATIVE = {
    **dict.fromkeys(
        [
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
        ],
        int,
    ),
    **dict.fromkeys(["PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"], int),
    **dict.fromkeys(["CharField", "TextField", "SlugField", "EmailField", "URLField"], str),
    "FloatField": float,
    "BooleanField": bool,
}


def native_type(col: Column) -> type | None:
    """The JSON type a column's value is stored as it is read (an int for an integer column, a
    foreign key to an integer id included); None where the field must convert it (dates, JSON)."""
    if col.catalogue is not None or col.is_json:
        return None
    field: Any = col.field
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return NATIVE.get(target.get_internal_type())


def check_references(name: str, restored: list[type[models.Model]]) -> None:
    """Run the deferred foreign-key checks now, so a dangling reference is one clear fault."""
    try:
        with transaction.atomic():
            connection.check_constraints(table_names=[m._meta.db_table for m in restored])
    except IntegrityError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"{name}: a row refers to a row the backup does not hold: {first}") from None


def reset_sequences(restored: list[type[models.Model]]) -> None:
    """Move PostgreSQL's id sequences past the restored ids (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
