"""Response headers and log hygiene: the Content-Security-Policy, secrets kept out of logs, and
refused requests logged in one line.

Django 5.2 has no Content-Security-Policy of its own, so a middleware adds it to every response.

Backcast's pages load scripts, styles, fonts and images only from their own origin (ECharts and
htmx are vendored under ``web/static/backcast/vendor/``; nothing comes from a CDN), have no inline
script or event handler, and configure htmx not to evaluate code or inject its indicator styles
(``base.html``). So the policy allows only ``'self'``, with one exception: ``img-src data:``, as
the API docs' icons are data URLs. Styles too are ``'self'`` only: no template has a ``style``
attribute or element, the charts' tooltips are written by Backcast's own formatters (no inline
styles; ECharts' default markers with ``style`` attributes are never used) and scripts set styles
through the DOM (``element.style``), which CSP allows.

``frame-ancestors 'none'`` repeats ``X-Frame-Options: DENY`` for browsers that prefer CSP, and
``form-action 'self'`` keeps an injected form from posting elsewhere. A view may set its own policy
(the middleware leaves an existing header alone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from backcast.cli.access_log import mask_secrets

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Adds :data:`POLICY` as ``Content-Security-Policy`` to responses that have none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class MaskSecretsFilter(logging.Filter):
    """Masks calendar-feed secrets and credentials in query strings in every log record written.

    A feed's URL is its credential (``/feeds/bcf_....ics``), and Django logs request paths: a 404
    to a revoked feed, a 405, a 500; its development server logs whole request lines, query
    strings included, where a client may have put a token (``?token=``, ``?api_key=``) that the
    API refuses there. gunicorn's access log is masked by ``cli.access_log``; this filter, on the
    console handler, does the same for Django's own loggers (``django.request``,
    ``django.server``) and any other. API tokens belong in the ``Authorization`` header, which no
    log line and no error report shows (Django's error reports redact it).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class ConciseClientErrorsFilter(logging.Filter):
    """Logs a request refused with a 4xx as its one line, without the traceback of the refusal.

    Django logs a ``PermissionDenied`` (403) on ``django.request`` and a ``SuspiciousOperation``
    (400) on ``django.security.*`` with the traceback of the exception that refused the request:
    a page of frames for an everyday answer, which buries the server's real errors. A record
    that carries a 4xx ``status_code`` keeps its message (``Forbidden (Permission denied):
    /goals/3/edit/``) and loses the traceback; a 5xx, or a record without a status, keeps it.
    Django logs a 404 as one line already.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True
