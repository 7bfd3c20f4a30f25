"""Start Django for a command: settings from the environment, a reachable and migrated database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from backcast.cli.errors import fail


def django(*, migrate: bool = False, quiet: bool = True) -> None:
    """Configure Django; with ``migrate``, connect to the database and apply pending migrations.

    A wrong ``DATABASE_URL``, an unreachable server or a missing production ``SECRET_KEY`` end the
    command with one clear line instead of a traceback.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcast.settings")
    from django.core.exceptions import ImproperlyConfigured

    from backcast.config import ConfigError

    try:
        import django as dj

        dj.setup()
    except (ConfigError, ImproperlyConfigured) as exc:
        fail(str(exc))
    from backcast.activity.context import set_fallback

    set_fallback("command line")  # the audit trail's name for changes a command makes as the operator
    if migrate:
        ensure_database(quiet=quiet)


def describe_database() -> str:
    """Where the database is, with any password left out (safe to print)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {db['NAME']}"
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or 5432
    return f"PostgreSQL database {db['NAME']!r} on {host}:{port}"


def ensure_database(*, quiet: bool = True) -> None:
    """Connect (creating the SQLite folder if needed) and migrate; faults become one line."""
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        try:
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create the data folder for {db['NAME']}: {exc.strerror}")
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        fail(f"cannot connect to the {describe_database()}: {reason}")
    try:
        with migrations_lock(connection):
            call_command("migrate", interactive=False, verbosity=0 if quiet else 1)
    except DatabaseError as exc:
        fail(f"migrating the {describe_database()} failed: {str(exc).strip().splitlines()[0]}")


MIGRATIONS_LOCK = 0x6261636B63617374  # "backcast": the advisory lock every starting process takes


@contextmanager
def migrations_lock(connection: Any) -> Iterator[None]:
    """On PostgreSQL, one process at a time migrates: the others wait, then find nothing to do.

    Several app processes (or machines) start at once after an upgrade; without the lock two
    could apply the same migration and one would fail half-way. SQLite is one file on one
    machine, and its writes are serialised by the file lock already.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATIONS_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATIONS_LOCK])


def redact(url: str) -> str:
    """A database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()
