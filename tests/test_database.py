"""The PostgreSQL backend checks a kept connection without a query, until the server drops it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_base
from django.test.utils import CaptureQueriesContext

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


@pytest.mark.django_db
def test_hot_queries_are_prepared_and_no_other() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; run with DATABASE_URL=postgres://...")
    from backcast.accounts.models import User
    from backcast.database import hot_cursor

    with CaptureQueriesContext(connection) as captured:
        for n in range(3):
            with hot_cursor() as cursor:
                cursor.execute("SELECT %s::int + 41 AS hot", [n])
                assert cursor.fetchone() == (n + 41,)
            User.objects.filter(email=f"cold{n}@example.test").exists()  # Django's own cursor
    assert captured[4]["sql"] == "SELECT 2::int + 41 AS hot"  # logged and captured as any query
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert [s for s in prepared if "AS hot" in s] == ["SELECT $1::int + 41 AS hot"]  # once, reused
    assert not [s for s in prepared if "cold" in s or "accounts_user" in s]
