"""``backcast export FILE`` and ``backcast import FILE``: backups of an organisation or the instance.

Thin: they open the file and call the backup service. An export is written to ``FILE.partial``
and renamed to ``FILE`` only once complete, so a failed export never leaves a truncated backup
under the real name. A name ending in ``.gz`` is compressed; a gzip file is recognised on import
by its first bytes, whatever its name. ``-`` is standard output or input. Faults (an unknown
organisation, a file that is not a backup or of an unknown version, a database that is not
empty) are one line on standard error and exit status 2; an import writes nothing then.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO, cast

import typer

from backcast.cli import setup
from backcast.cli.errors import fail, reported

GZIP_MAGIC = b"\x1f\x8b"


def export(
    file: str = typer.Argument(
        ..., help="Where to write the backup: a file ('.gz' compresses it) or '-' for standard output."
    ),
    org: str = typer.Option(
        "",
        "--org",
        metavar="SLUG",
        help="Only this organisation and its people (default: the whole instance).",
    ),
) -> None:
    """Write a backup of the whole instance, or of one organisation, as one JSON document.

    Every row is kept with its id: goals, KPIs and every reading, milestones, baselines and scenarios, check-ins, comments, feeds, tokens (as digests), people with their password hashes, and the audit trail. Restore it with backcast import FILE into an empty database, on SQLite or PostgreSQL.
    """
    setup.django(migrate=True)
    from django.utils import timezone

    from backcast.services.backup import export_backup

    with writing(file) as out, reported():
        result = export_backup(out, timezone.now(), organization=org or None)
    what = f"organisation {org}" if org else "the whole instance"
    models = sum(1 for n in result.counts.values() if n)
    stream = sys.stderr if file == "-" else sys.stdout
    stream.write(f"Exported {what}: {result.rows:,} rows of {models} models to {file}.\n")


def restore(
    file: str = typer.Argument(
        ..., help="A backup written by backcast export (gzipped or not; '-' reads standard input)."
    ),
) -> None:
    """Restore a backup into an empty database: everything in it, or nothing.

    Also run as backcast import FILE. The database is migrated first and must hold no data; after the import, people log in with the passwords they had.
    """
    setup.django(migrate=True)
    from backcast.services.backup import import_backup

    name = "<stdin>" if file == "-" else file
    with reading(file) as stream, reported():
        try:
            result = import_backup(stream, name)
        except UnicodeDecodeError:
            fail(f"{name}: not a Backcast backup (not UTF-8 text)")
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            fail(f"{name}: a damaged gzip file ({exc})")
    scope = result.scope
    what = f"organisation {scope['organization']}" if scope.get("organization") else "the whole instance"
    models = sum(1 for n in result.counts.values() if n)
    sys.stdout.write(f"{name}: restored {what}: {result.rows:,} rows of {models} models.\n")


@contextmanager
def writing(file: str) -> Iterator[TextIO]:
    """A text stream to ``file`` that replaces it only when the block ends without a fault."""
    if file == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(file)
    partial = path.with_name(path.name + ".partial")
    try:
        raw = partial.open("wb")
    except OSError as exc:
        fail(f"{file}: cannot be written ({exc.strerror or exc})")
    try:
        with raw:
            text: TextIO
            if path.suffix == ".gz":
                text = io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="wb"), encoding="utf-8", newline="\n")
            else:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            with text:
                yield text
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def reading(file: str) -> Iterator[TextIO]:
    """The backup as text, decompressed when it is gzip."""
    try:
        stream = cast(io.BufferedReader, sys.stdin.buffer) if file == "-" else Path(file).open("rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except IsADirectoryError:
        fail(f"{file}: is a directory, not a backup")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")
    with stream:
        gzipped = stream.peek(2)[:2] == GZIP_MAGIC
        if gzipped:
            yield io.TextIOWrapper(gzip.GzipFile(fileobj=stream), encoding="utf-8")
        else:
            yield io.TextIOWrapper(stream, encoding="utf-8")
