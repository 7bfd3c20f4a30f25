"""Who is acting, for the events the model signals write: carried in a context variable.

The services take their ``actor`` as an argument, but a model signal sees only the row. So each
way in says who acts before any service runs: :class:`ActorMiddleware` (in ``middleware``) for
every web and API request (the request itself is kept, so a bearer token that the API
authenticates later, setting ``request.user``, is seen too), :func:`acting_as` for the command
line, the worker and tests, and :func:`set_fallback` for a whole process (``backcast`` commands
act as "command line"). Nothing known means "system".

A scope also collects the events of its unit of work (one request, one command), so that the
changes one action makes to one object (a goal's fields, then its contributors) read as one
event. :func:`quiet` silences the signals while a service records a change itself (a
milestone's links replaced at once, a purge).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backcast.accounts.models import User

SYSTEM = "system"


@dataclass(slots=True)
class Scope:
    """Who acts in a unit of work, and the events it wrote so far by object (to fold into)."""

    request: Any = None  # an HttpRequest, whose .user is read when an event is written
    user: Any = None
    label: str = ""
    written: dict[tuple[str, int], int] = field(default_factory=dict)  # (type, id) -> event pk


_scope: ContextVar[Scope | None] = ContextVar("backcast_activity_scope", default=None)
_quiet: ContextVar[bool] = ContextVar("backcast_activity_quiet", default=False)
_fallback = [SYSTEM]


def set_fallback(label: str) -> None:
    """Name whoever acts when no scope says (a ``backcast`` command: "command line")."""
    _fallback[0] = label


@contextmanager
def scoped(scope: Scope) -> Iterator[Scope]:
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def acting_as(user: User | None, label: str = "") -> Iterator[Scope]:
    """Attribute the events written inside to ``user`` (or, without one, to ``label``)."""
    with scoped(Scope(user=user, label=label)) as scope:
        yield scope


@contextmanager
def quiet() -> Iterator[None]:
    """Write no events from signals inside (the caller records what happened itself)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def is_quiet() -> bool:
    return _quiet.get()


def current_scope() -> Scope | None:
    return _scope.get()


def current_actor() -> tuple[User | None, str]:
    """The person acting now (None when it is not a signed-in person) and the name to keep."""
    scope = _scope.get()
    user = None
    label = ""
    if scope is not None:
        user = scope.user
        if user is None and scope.request is not None:
            user = getattr(scope.request, "user", None)
        label = scope.label
    if user is not None and getattr(user, "is_authenticated", False) and user.pk is not None:
        return user, str(user.display_name)
    return None, label or _fallback[0]
