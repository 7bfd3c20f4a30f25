"""API tokens: created and shown once, stored as a digest, revocable, with a last-used time."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from backcast.accounts.models import ApiToken, TokenScope, User, token_digest
from backcast.database import hot_cursor
from backcast.services.platform.errors import InvalidInput, check_one_line

M = TypeVar("M", bound=Model)
TOKEN_PREFIX = "bc"  # noqa: S105 - a public marker, not a secret


def generate() -> tuple[str, str]:
    """A new raw token and its public prefix: ``bc_<prefix>_<secret>`` with 256 secret bits."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


@transaction.atomic
def create_token(user: User, name: str = "", scope: str = TokenScope.WRITE) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the stored row and the raw token, never stored."""
    if scope not in TokenScope.values:
        raise InvalidInput(f"unknown scope {scope!r}; choose read or write", "scope")
    name = name.strip() or f"token {timezone.now():%Y-%m-%d %H:%M}"
    if len(name) > 100:
        raise InvalidInput("a token name has at most 100 characters", "name")
    check_one_line(name, "name")
    raw, prefix = generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=token_digest(raw), scope=scope
    )
    return token, raw


@transaction.atomic
def revoke_token(user: User, prefix: str) -> ApiToken:
    """Revoke one of ``user``'s own tokens by prefix; revoking twice is harmless."""
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is None:
        raise InvalidInput(f"no token with prefix {prefix!r}", "prefix")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# What an API request needs of its user at once; any other field loads when first read.
USER_FIELDS = ("id", "email", "name", "is_active", "is_staff", "is_superuser")


@sensitive_variables("raw")  # an error report must not show the raw token
def authenticate_token(raw: str) -> ApiToken | None:
    """The active token matching ``raw`` with its user, or None. Records when it was last used.

    The last-used time is written at most once a minute per token, so a busy integration does not
    turn every API read into a write. Every API call by token runs this, so it is one query of
    plain SQL over the models' table and column names (never input; see :class:`Lookup`):
    building it with the ORM each time costs more than PostgreSQL's answering it.
    """
    lookup = Lookup.of(raw)
    if lookup is None:
        return None
    with hot_cursor() as cursor:
        cursor.execute(lookup_sql(connection.vendor), [lookup.touch_before, lookup.digest])
        row = cursor.fetchone()
    return None if row is None else lookup.accept(row)


@dataclass(frozen=True)
class Lookup:
    """A token looked up by its digest, in SQL another query may join (``services.reporting.goal_list``).

    The query's parts (:func:`lookup_parts`) take the parameters ``touch_before`` (in the select
    list) and ``digest`` (in the where clause); :meth:`accept` reads the first ``WIDTH`` values
    of a row into the token and its user, as the ORM builds rows (``from_db``, the backend's
    converters), the user's other fields left to load when first read.
    """

    digest: str = field(repr=False)
    touch_before: Any
    now: datetime

    WIDTH: ClassVar[int] = 4 + len(USER_FIELDS)

    @classmethod
    def of(cls, raw: str) -> Lookup | None:
        if not raw.startswith(f"{TOKEN_PREFIX}_"):
            return None
        now = timezone.now()
        touch_before = now - timedelta(seconds=settings.BACKCAST_TOKEN_TOUCH_INTERVAL)
        return cls(token_digest(raw), connection.ops.adapt_datetimefield_value(touch_before), now)

    def accept(self, row: Sequence[Any]) -> ApiToken:
        """The token and its user from ``row``; records the use if the last is older than a minute."""
        token_id, scope, last_used_at, stale, *user_values = row[: self.WIDTH]
        user = built(User, dict(zip(USER_FIELDS, user_values, strict=True)))
        token = built(
            ApiToken, {"id": token_id, "scope": scope, "last_used_at": last_used_at, "user_id": user.pk}
        )
        token.user = user
        if stale:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=self.now)
            token.last_used_at = self.now
        return token


@functools.cache
def lookup_parts(vendor: str) -> tuple[str, str, str]:
    """The token lookup's select list, from clause (``t`` the token, ``u`` its user) and where
    clause, for the database ``vendor``: an active token by digest with its active user, and
    whether its last use is to be recorded."""
    quote = connection.ops.quote_name
    token, user = ApiToken._meta, User._meta
    columns = ", ".join(f"u.{quote(user.get_field(name).column)}" for name in USER_FIELDS)  # type: ignore[union-attr,arg-type]
    return (
        f"t.id, t.scope, t.last_used_at, (t.last_used_at IS NULL OR t.last_used_at < %s), {columns}",
        f"{quote(token.db_table)} t JOIN {quote(user.db_table)} u ON u.id = t.user_id",
        "t.digest = %s AND t.revoked_at IS NULL AND u.is_active",
    )


def lookup_sql(vendor: str) -> str:
    columns, tables, where = lookup_parts(vendor)
    return f"SELECT {columns} FROM {tables} WHERE {where}"  # noqa: S608


def built(model: type[M], values: dict[str, Any]) -> M:
    """An instance of ``model`` from some of its columns, as the ORM reads a row (``from_db``, with
    the backend's converters, e.g. SQLite's naive datetimes made aware); the others are deferred."""
    names, row = [], []
    for name, column, converters in readers(model, connection.vendor, frozenset(values)):
        value = values[name]
        for convert in converters:
            value = convert(value, column, connection)
        names.append(name)
        row.append(value)
    return model.from_db(connection.alias, names, row)


@functools.cache
def readers(model: type[Model], vendor: str, names: frozenset[str]) -> list[tuple[str, Any, list[Any]]]:
    """How ``built`` reads the columns ``names`` of ``model``: each name in the model's order (as
    ``from_db`` takes them), its column expression and the converters the ORM would apply
    (worked out once: they depend only on the fields and the database's kind)."""
    found = []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in names:
            column = model_field.get_col(model._meta.db_table)
            converters = [
                *connection.ops.get_db_converters(column),
                *model_field.get_db_converters(connection),  # type: ignore[attr-defined]
            ]
            found.append((model_field.attname, column, converters))
    return found
