"""How the command line reports a fault: one line on standard error and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

BAD_INPUT = 2


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print ``backcast: error: MESSAGE`` on one line of standard error and exit."""
    one_line = " ".join(str(message).split())
    sys.stderr.write(f"backcast: error: {one_line}\n")
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn configuration, database and input faults into one line and exit status 2."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from backcast.config import ConfigError
    from backcast.services.platform.errors import InvalidInput

    try:
        yield
    except (ConfigError, ImproperlyConfigured, InvalidInput) as exc:
        fail(str(exc))
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"database: {first}")
