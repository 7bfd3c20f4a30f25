"""Backcast's PostgreSQL backend: Django's, with a connection check that costs no round trip and
prepared statements for the queries run on nearly every request (see ``base``)."""

from __future__ import annotations

from django.db import connection
from django.db.backends.utils import CursorWrapper


def hot_cursor() -> CursorWrapper:
    """A cursor for a small query run on nearly every request: prepared where the backend can
    (``backcast.database`` on PostgreSQL), else the connection's plain cursor (SQLite)."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()
