"""gunicorn's access log without secrets: in feed paths, in query strings, in credential headers.

A calendar feed's URL carries its secret in the path, and a client may put a token in the query
string (``?token=...``, ``?api_key=...``) even though Backcast refuses it there. Every field of a
log line that could hold the path or the query (the request line, the path, the raw URI, the
query, the referrer) is masked, so ``GET /feeds/bcf_6f1c....ics`` is written as
``GET /feeds/[secret].ics`` and ``GET /api/v1/me?token=bc_...`` as ``GET /api/v1/me?token=[secret]``.
Headers that carry credentials are never written, whatever the log format names.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_PATH = re.compile(r"(/feeds/)[^/\s?]+?(\.ics)?(?=[\s?/]|$)")
# A query parameter whose name says it is a credential, at the start of a query or after ?, & or ;.
SECRET_PARAM = re.compile(
    r"(?:(?<=[?&;])|^)((?:[\w.-]*token|[\w.-]*secret|api[_-]?key|key|password|passwd|auth"
    r"|authorization|bearer|signature|sig)=)[^&;#\s\"']*",
    re.IGNORECASE,
)
# gunicorn's atoms of headers and environ variables that carry credentials ({cookie}i, {http_cookie}e).
SECRET_ATOM = re.compile(
    r"\{(?:http_)?(?:authorization|proxy[-_]authorization|cookie|x[-_]api[-_]key)\}[ie]|\{set-cookie\}o"
)


def mask_secrets(text: str) -> str:
    """``text`` with the secret part of every feed path and credential parameter replaced."""
    text = SECRET_PATH.sub(lambda m: f"{m.group(1)}[secret]{m.group(2) or ''}", text)
    return SECRET_PARAM.sub(r"\1[secret]", text)


class MaskingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with secrets masked in every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        values: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: masked_atom(key, value) for key, value in values.items()}


def masked_atom(key: str, value: Any) -> Any:
    """An atom's value fit for the log: a credential header's is withheld, text is masked."""
    if SECRET_ATOM.fullmatch(key):
        return "[secret]"
    return mask_secrets(value) if isinstance(value, str) else value
