"""Writing a backup: one JSON document, streamed a chunk of rows at a time.

The document::

    {"format": "backcast-backup", "version": 1, "exported_at": "2026-...+00:00",
     "scope": {"organization": "acme-plant"} | {"instance": true}, "app_version": "0.1.0",
     "data": {"organizations.organization": [{"id": 1, "name": ...}, ...], ...}}

Each row is an object of the model's stored columns by field name (a foreign key under the
field's name, holding the id), one row a line. Models come in dependency order. Rows are read
with a server-side iterator and written in chunks, so memory stays flat however many readings
there are; the whole export reads one snapshot of the database (see :func:`snapshot`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from backcast.organizations.models import Organization
from backcast.services.backup.catalog import (
    FORMAT,
    VERSION,
    Catalogues,
    Column,
    columns,
    encode,
    exported_models,
    label,
)
from backcast.services.backup.scope import OrganizationScope
from backcast.services.platform.errors import InvalidInput

CHUNK = 5000


@dataclass
class ExportResult:
    """What was written: rows per model label, in file order."""

    scope: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def app_version() -> str:
    try:
        return version("backcast")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def export_backup(out: TextIO, now: datetime, organization: str | None = None) -> ExportResult:
    """Write the backup of the whole instance, or of the organisation with slug ``organization``.

    Raises :class:`InvalidInput` for an unknown organisation before anything is written. Writes
    nothing to the database.
    """
    with snapshot():
        scope: OrganizationScope | None = None
        if organization is not None:
            org = Organization.objects.filter(slug=organization).first()
            if org is None:
                raise InvalidInput(f"no organisation with the slug {organization!r}", "--org")
            scope = OrganizationScope(org)
        result = ExportResult({"organization": organization} if organization else {"instance": True})
        header = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": now.isoformat(),
            "scope": result.scope,
            "app_version": app_version(),
        }
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',\n "data": {')
        catalogues = Catalogues()
        first_model = True
        for model in exported_models():
            rows = model._base_manager.all() if scope is None else scope.rows(model)
            if rows is None:
                continue
            name = label(model)
            out.write(("" if first_model else ",") + f"\n  {json.dumps(name)}: [")
            first_model = False
            count = 0
            for chunk in encoded_rows(model, rows, catalogues, scope):
                out.write(("," if count else "") + ",".join(chunk))
                count += len(chunk)
            out.write("\n  ]" if count else "]")
            result.counts[name] = count
        out.write("\n }\n}\n")
    return result


@contextmanager
def snapshot() -> Iterator[None]:
    """One view of the database for the whole export, that does not hold writers back.

    PostgreSQL: a read-only repeatable-read transaction. SQLite: a deferred read transaction,
    which in WAL mode reads one snapshot while the server goes on writing (``atomic`` would
    begin an immediate transaction there and hold the write lock for the whole export). Inside
    a caller's transaction, that transaction is the view.
    """
    if connection.in_atomic_block or connection.vendor not in {"postgresql", "sqlite"}:
        with transaction.atomic():
            yield
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")


def encoded_rows(
    model: type[models.Model],
    rows: models.QuerySet[Any],
    catalogues: Catalogues,
    scope: OrganizationScope | None,
) -> Iterator[list[str]]:
    """The model's rows as JSON lines, ``CHUNK`` at a time, in primary-key order."""
    cols = columns(model)
    outsider = scope is not None and model is get_user_model()
    values = rows.order_by("pk").values_list(*(c.attname for c in cols)).iterator(chunk_size=CHUNK)
    chunk: list[str] = []
    for values_row in values:
        row = {c.name: value_of(c, v, catalogues) for c, v in zip(cols, values_row, strict=True)}
        if outsider and scope is not None and not scope.is_member(values_row[0]):
            row["password"] = make_password(None)  # named by its rows, not a member: no login
        chunk.append("\n   " + json.dumps(row, ensure_ascii=False))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def value_of(column: Column, value: Any, catalogues: Catalogues) -> Any:
    if column.catalogue is not None:
        return catalogues.key_of(column.catalogue, value)
    if column.is_json:
        return value
    return encode(value)
