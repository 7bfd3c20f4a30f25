"""gunicorn's access log without secrets: calendar-feed URLs carry their secret in the path.

Every field of a log line that could hold the path (the request line, the path, the raw URI) is
masked, so ``GET /feeds/bcf_6f1c....ics`` is written as ``GET /feeds/[secret].ics``.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_PATH = re.compile(r"(/feeds/)[^/\s?]+?(\.ics)?(?=[\s?/]|$)")


def mask_secrets(text: str) -> str:
    """``text`` with the secret part of every feed path replaced."""
    return SECRET_PATH.sub(lambda m: f"{m.group(1)}[secret]{m.group(2) or ''}", text)


class MaskingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with feed secrets masked in every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        values: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_secrets(value) if isinstance(value, str) else value for key, value in values.items()
        }
