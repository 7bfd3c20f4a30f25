"""Optimistic locking over HTTP: ``ETag`` on reads, ``If-Match`` or a ``version`` on writes.

Goals, KPIs and milestones carry a ``version`` that every change moves on. A GET answers it twice:
as ``version`` in the body and as the strong entity tag ``ETag: "v<version>"``. A PATCH may say
which version it was made from, by a ``version`` field in its body or by sending the tag back in
``If-Match`` (``If-Match: *`` or neither is a blind write, kept for clients written before
versions existed). When that version is no longer the row's, the service refuses the change and
nothing is written; the API answers 409 with the object as it stands (``current``) and its tag,
so the client can merge and try again.

Why 409 and not 412 for a stale ``If-Match``: both ways of saying the version are the same
request to the service and get the same answer, which carries the current object to merge with.
"""

from __future__ import annotations

import re

from ninja import P
from ninja.params import HeaderEx

from backcast.services.platform.errors import InvalidInput

TAG = re.compile(r'^(?:W/)?"v(\d{1,10})"$')
IF_MATCH_HELP = (
    'The ETag of the version your change is made from, e.g. "v3" (from a GET). A stale one is '
    "refused with 409 and the current object; * or no header at all is a blind write."
)
VERSION_HELP = (
    "The version your change is made from (from a GET). A stale one is refused with 409 and the "
    "current object, and nothing is written; leave it out for a blind write."
)

# The ``If-Match`` request header of a PATCH, documented in the OpenAPI schema.
IfMatch = HeaderEx[str | None, P(alias="If-Match", description=IF_MATCH_HELP)]


def etag(version: int) -> str:
    """The entity tag of a version: ``"v3"``."""
    return f'"v{version}"'


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version a write says it was made from, by its body or its ``If-Match``; None: blind.

    A malformed tag, more than one tag, or a tag and a body version that disagree are refused
    with :class:`InvalidInput` (400): guessing which one was meant could overwrite a change.
    """
    from_header: int | None = None
    if if_match is not None and if_match.strip() != "*":
        tags = [t.strip() for t in if_match.split(",") if t.strip()]
        found = TAG.match(tags[0]) if len(tags) == 1 else None
        if found is None:
            raise InvalidInput(
                f'must be one ETag as a GET answers it, e.g. "v3", got {if_match!r}', "If-Match"
            )
        from_header = int(found.group(1))
    if from_header is not None and body_version is not None and from_header != body_version:
        raise InvalidInput(
            f"says version {body_version} but If-Match says {from_header}; send one of them", "version"
        )
    return body_version if body_version is not None else from_header
