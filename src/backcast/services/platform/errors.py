"""Errors a service raises for bad input; interfaces turn them into a 4xx, a form error or exit 2."""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ValidationError

from backcast.text import validate_one_line


class InvalidInput(ValueError):
    """The request cannot be carried out as given. ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def check_one_line(value: str, field: str) -> str:
    """``value`` itself, or :class:`InvalidInput` at ``field`` when it holds a control character.

    The services' side of the title and name fields' validator: the API, the command line,
    imports and templates reach the rows through the services, not through a form.
    """
    try:
        validate_one_line(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field) from None
    return value


class Conflict(Exception):
    """An edit was made from a stale copy, so it was refused and nothing was written.

    Raised when the version the editor read (``expected``) is no longer the row's: someone else
    changed it in between. ``current`` is what stands now (a row, or the rows of a batch), read
    under the row lock, so the interface can show it and the editor can decide again rather than
    overwrite a change they never saw. The API answers 409, forms re-render with the current values.
    """

    def __init__(self, message: str, current: object, expected: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current = current
        self.expected = expected

    def __str__(self) -> str:
        return self.message


class Versioned(Protocol):
    """A row that carries the optimistic-locking counter its update services bump."""

    pk: Any
    version: int


def check_version(row: Versioned, expected: int | None, what: str) -> None:
    """Refuse with :class:`Conflict` unless ``row`` is still at the ``expected`` version.

    ``None`` is a blind write (the caller did not say which version it read), allowed for
    backward compatibility. Call it on a row locked with ``select_for_update`` in the same
    transaction that bumps the version: only then is the compare-and-bump atomic.
    """
    if expected is None or row.version == expected:
        return
    raise Conflict(
        f"{what} was changed by someone else since you read it (you had version {expected}, "
        f"it is now at version {row.version}); nothing was saved. Here is the current state: "
        "apply your change to it and send it again.",
        row,
        expected,
    )
