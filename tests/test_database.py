"""The PostgreSQL backend checks a kept connection without a query, until the server drops it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_base

from backcast.database.base import readable


@pytest.mark.django_db
def test_an_idle_connection_is_checked_without_a_query_until_the_server_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend's check; run with DATABASE_URL=postgres://...")
    asked: list[Any] = []
    full_check = django_base.DatabaseWrapper.is_usable

    def counted(self: Any) -> bool:
        asked.append(self)
        return bool(full_check(self))

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", counted)
    kept = connection.copy()
    kept.connect()
    try:
        assert kept.is_usable() and kept.is_usable()
        assert asked == []  # no SELECT 1 for an idle, quiet connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [kept.connection.info.backend_pid])
        deadline = time.monotonic() + 10
        while not readable(kept.connection.fileno()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not kept.is_usable()  # the server's goodbye was read: Django's check said no
        assert asked == [kept]
    finally:
        kept.close()
