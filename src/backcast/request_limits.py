"""Request bodies within their limits, refused before anything reads them, in the interface's own words.

Django refuses an over-size body only when something first reads it (``request.body`` or
``request.POST``), by raising ``RequestDataTooBig`` (or ``TooManyFieldsSent``), which it answers
with a bare 400 page: on the JSON API too, and from inside the CSRF check for a form. And the
files of a form it does not count at all: any page would take a file of any size onto disk.

So :class:`RequestLimitMiddleware` decides from ``Content-Length`` once the view is known and
before any view or check reads the body (it stands before ``CsrfViewMiddleware``):

- a view marked :func:`accepts_upload` (the readings import page) takes a body up to
  ``BACKCAST_MAX_UPLOAD_BYTES`` and a little more for the form around the file;
- every other request, JSON or form, up to ``BACKCAST_MAX_BODY_BYTES``
  (``DATA_UPLOAD_MAX_MEMORY_SIZE`` holds the same number).

Over it, the API answers 413 in its error shape (``{"detail", "field"}``) naming the limit and the
way to send large data (a file import); a page answers the site's 413 page saying the same. A form
within the size but of too many fields (``DATA_UPLOAD_MAX_NUMBER_FIELDS``) is read here, where
the CSRF check would read it, and answered the same way. The numbers and why: ``backcast.limits``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from backcast import limits

UPLOAD_ENVELOPE = 64 * 1024  # the multipart envelope and the form's other fields around a file

View = TypeVar("View", bound=Callable[..., HttpResponse])


def accepts_upload(view: View) -> View:
    """Mark a page that takes a file: its body may be as large as ``BACKCAST_MAX_UPLOAD_BYTES``."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def content_length(request: HttpRequest) -> int:
    """The body's declared size; as Django reads it, a missing or malformed one is no body."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def is_api(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and "api" in match.namespaces


def api_message(size: int) -> str:
    return (
        f"the request body is {size:,} bytes, more than the "
        f"{limits.megabytes(settings.BACKCAST_MAX_BODY_BYTES)} the API takes in one request: send "
        f"readings in batches of at most {limits.READINGS_PER_REQUEST:,}, or import a large file of "
        f"readings on the KPI's import page (/kpis/ID/import/, up to "
        f"{limits.megabytes(settings.BACKCAST_MAX_UPLOAD_BYTES)}) or with `backcast import readings`"
    )


def page_message(size: int, upload: bool) -> str:
    if upload:
        return (
            f"The file is larger than {limits.megabytes(settings.BACKCAST_MAX_UPLOAD_BYTES)}, the most "
            "the import page takes: import it with `backcast import readings FILE --kpi ID`, or split "
            "it into smaller files."
        )
    return (
        f"The form sent {size:,} bytes, more than the "
        f"{limits.megabytes(settings.BACKCAST_MAX_BODY_BYTES)} a page takes."
    )


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    """413 with ``message``: the API's error shape, or the site's page with a way back."""
    if is_api(request):
        return JsonResponse({"detail": message, "field": None}, status=413)
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    return render(request, "413.html", {"message": message, "back": back}, status=413)


class RequestLimitMiddleware:
    """Refuses a body over its limit (413) before a view or the CSRF check reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> HttpResponse | None:
        upload = getattr(view, "accepts_upload", False)
        limit = (
            settings.BACKCAST_MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE
            if upload
            else settings.BACKCAST_MAX_BODY_BYTES
        )
        size = content_length(request)
        if size > limit:
            return refuse(request, api_message(size) if is_api(request) else page_message(size, upload))
        if request.method == "POST" and not getattr(view, "csrf_exempt", False) and not is_api(request):
            try:  # what CsrfViewMiddleware reads next: its faults are answered here instead
                request.POST  # noqa: B018 - parsing is the point
            except UnreadablePostError:  # the client went away: the CSRF check answers, as before
                return None
            except TooManyFieldsSent:
                fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
                return refuse(request, f"The form sent more than {fields:,} fields, the most a page takes.")
            except TooManyFilesSent:
                files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
                return refuse(request, f"The form sent more than {files:,} files, the most a page takes.")
            except RequestDataTooBig:
                return refuse(
                    request,
                    f"The form's fields besides its file are more than "
                    f"{limits.megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}, the most a page takes.",
                )
        return None
