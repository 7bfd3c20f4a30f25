"""Django's PostgreSQL backend with a cheaper check of a kept connection.

Backcast keeps database connections between requests (``CONN_MAX_AGE``) and checks one before a
request reuses it (``CONN_HEALTH_CHECKS``), so a restarted PostgreSQL costs a reconnection, not
a failed request. Django checks with a ``SELECT 1``: one more round trip on every request, about
as dear as the query a polled API route needs. Here an idle connection is first looked at without
a word to the server: if its socket has nothing to read, the server has neither closed it nor
said anything since the last answer, and it is used as it is. Only when there is something to
read (a server going down sends its notice and closes), the connection is not idle or a query
on it failed does Django's ``SELECT 1`` decide. The same idea as the "connection check" of Go's
MySQL driver.

A peer that vanished without a word (a cable pulled) is not seen by either check until a query
times out; a failed query marks the connection and Django closes it after that request.

It also offers :meth:`DatabaseWrapper.prepared_cursor` for the few small queries that run on
nearly every request (the API token check, the goal list's state): PostgreSQL plans them once per
connection instead of on every call, which costs more than running them. Django itself leaves
prepared statements off, for connection poolers: behind PgBouncer in transaction mode, use
PgBouncer 1.21 or newer with ``max_prepared_statements`` set, which psycopg 3.2 and newer support.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorWrapper
from psycopg.pq import TransactionStatus


class PreparingCursor(base.ServerBindingCursor):  # type: ignore[misc,name-defined]
    """A cursor binding its parameters on the server, each statement prepared on first use."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = True, **kwargs: Any) -> Any:
        return super().execute(query, params, prepare=prepare, **kwargs)


class DatabaseOperations(base.DatabaseOperations):  # type: ignore[misc,name-defined]
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:
        """As Django shows a statement bound on the server (the debug log, captured queries)."""
        if isinstance(cursor, PreparingCursor):
            try:
                return str(self.compose_sql(sql, params))
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)  # type: ignore[no-any-return]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if connection.prepare_threshold is None:
            # Django turns psycopg's preparing off; psycopg then ignores even prepare=True. With
            # a threshold never reached, only what asks (PreparingCursor) is prepared: Django's
            # own cursors bind on the client and never prepare anything.
            connection.prepare_threshold = 2**31 - 1
        return connection

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor (wrapped, logged and checked as Django's) whose statements are prepared."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(PreparingCursor(self.connection))  # type: ignore[attr-defined,no-any-return]

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        quiet = connection.info.transaction_status == TransactionStatus.IDLE and not readable(
            connection.fileno()
        )
        if quiet and not self.errors_occurred:  # after an error, Django's own check decides
            return True
        return bool(super().is_usable())


def readable(fd: int) -> bool:
    """Whether a socket has something to read (or is at its end or broken) right now, without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
