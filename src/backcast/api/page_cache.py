"""Rendered API pages kept in the app process, served again while what they show is unchanged.

Integrations poll lists, and most polls find them as they were. A route that can name the state
its answer is a function of (for the goal list, :func:`backcast.services.reporting.goal_list.list_state`
and the query) labels the rendered page with a digest of that state: the page's entity tag. The
next request reads the state again (the goal list's, in the API token's own query), and when its
digest is one already rendered, the stored bytes are the answer, with no page read, no progress
computed and nothing serialised; a client that sends the tag back in ``If-None-Match`` gets 304
with no body at all.

Each app process keeps its own pages, least recently used first out, within a byte budget. A
stale page cannot be served: a changed state is a different digest. A page rendered by a newer
release is never confused with an older one's: the release is part of the digest.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

try:
    RELEASE = version("backcast")
except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
    RELEASE = "source"

CONTENT_TYPE = "application/json; charset=utf-8"  # as ninja's JSON renderer answers


def entity_tag(state: object) -> str:
    """A weak entity tag for a page that is a function of ``state`` (its ``repr``) and the release."""
    digest = hashlib.blake2b(f"{RELEASE}|{state!r}".encode(), digest_size=16).hexdigest()
    return f'W/"{digest}"'


class PageCache:
    """Rendered pages by entity tag, least recently used first out, within ``max_bytes``.

    Thread-safe: gunicorn's threads of one process share it. A page larger than a quarter of
    the budget is not kept (it would push out everything else for one reader).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.pages: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self.lock:
            body = self.pages.get(tag)
            if body is not None:
                self.pages.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return
        with self.lock:
            old = self.pages.pop(tag, None)
            if old is not None:
                self.size -= len(old)
            self.pages[tag] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _, dropped = self.pages.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.size = 0

    def respond(self, request: HttpRequest, state: object, render: Callable[[], bytes]) -> HttpResponse:
        """The answer for a page that is a function of ``state``: 304, the stored page, or ``render()``.

        ``render`` must read what it shows *after* ``state`` was read (see ``list_state``).
        Marked ``private, no-cache``: a shared proxy keeps nothing, and a browser asks again,
        with the tag, every time.
        """
        tag = entity_tag(state)
        # If-None-Match compares weakly: "x" and W/"x" are the same tag (RFC 9110, 13.1.2).
        sent = {t.removeprefix("W/") for t in parse_etags(request.headers.get("If-None-Match", ""))}
        if "*" in sent or tag.removeprefix("W/") in sent:
            response = HttpResponse(status=304)
        else:
            body = self.get(tag)
            if body is None:
                body = render()
                self.put(tag, body)
            response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["ETag"] = tag
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return response


# The goal list's pages in this process: a page of 100 goals is some 40 KB.
GOAL_PAGES = PageCache(max_bytes=32 * 1024 * 1024)
