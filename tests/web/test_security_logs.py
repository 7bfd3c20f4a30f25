"""Secrets stay out of logs and error reports: calendar-feed URLs, API tokens, session cookies;
and a refused request is one line of the log, not a traceback.

Django logs the path of every 4xx and 5xx (``django.request``), and a feed's path is its secret;
the gunicorn access log is covered in ``tests/cli/test_access_log.py``. What is read here is the
output of the console handler the settings configure, the records as Django's own handlers get
them, and the text of an error report.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from backcast.accounts.models import User
from backcast.api.auth import TokenAuth
from backcast.goals.models import Goal
from backcast.organizations.models import Organization
from backcast.security import ConciseClientErrorsFilter, MaskSecretsFilter
from backcast.services.notify.feeds import issue_feed, revoke_feed
from backcast.services.platform.tokens import create_token
from tests.conftest import logged_in


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handler writes, for the duration of a test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, MaskSecretsFilter) for f in h.filters)
    )
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(previous or sys.stderr)


def test_feed_urls_are_logged_without_their_secret(
    alice: User, console: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    _, raw = issue_feed(alice)
    revoke_feed(alice)
    client = Client()
    assert client.get(f"/feeds/{raw}.ics").status_code == 404  # the view does not log its 404s
    assert client.post(f"/feeds/{raw}.ics").status_code == 405  # Django logs this one
    odd = raw[:-2] + "+x"  # not a slug: no view answers, Django's resolver logs a 404
    assert client.get(f"/feeds/{odd}.ics").status_code == 404
    logged = console.getvalue()
    assert "Method Not Allowed (POST): /feeds/[secret].ics" in logged
    assert "Not Found: /feeds/[secret].ics" in logged
    assert raw[:-2] not in logged
    records = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert len(records) == 2 and not any(raw[:-2] in message for message in records)  # masked where logged


def test_api_tokens_never_reach_the_log(alice: User, console: io.StringIO) -> None:
    token, raw = create_token(alice, "logged?")
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/goals/999999", headers=headers).status_code == 404
    assert client.post(
        "/api/v1/goals", "{", content_type="application/json", headers=headers
    ).status_code in {
        400,
        422,
    }
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}x").status_code == 401
    logged = console.getvalue()
    assert "/api/v1/goals/999999" in logged  # the requests were logged ...
    assert raw not in logged and token.digest not in logged  # ... without the token


def report_of(request: HttpRequest) -> tuple[str, str]:
    """The text and HTML error reports of an exception raised while the API reads the token."""
    try:
        TokenAuth()(request)
    except PermissionDenied:
        report = ExceptionReporter(request, *sys.exc_info())
        return report.get_traceback_text(), report.get_traceback_html()
    raise AssertionError("a read-only token must not write")


def test_error_reports_hide_the_token_and_cookies(alice: User) -> None:
    _, raw = create_token(alice, "read", "read")
    request = RequestFactory().post(
        "/api/v1/goals", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_COOKIE="sessionid=topsecretsession"
    )
    text, html = report_of(request)
    assert "HTTP_AUTHORIZATION" in text  # the header is listed ...
    assert "in authenticate" in text and "in __call__" in text  # ... with the frames that held it ...
    for shown in (text, html):
        assert raw not in shown and raw[12:] not in shown  # ... but never the token
        assert "topsecretsession" not in shown


def test_the_filter_masks_any_logger_and_keeps_other_paths() -> None:
    record = logging.LogRecord(
        "anything", logging.INFO, __file__, 1, "GET %s %s", ("/feeds/bcf_abc.ics", 200), None
    )
    assert MaskSecretsFilter().filter(record)
    assert record.getMessage() == "GET /feeds/[secret].ics 200"
    other = logging.LogRecord("anything", logging.INFO, __file__, 1, "GET %s", ("/goals/3/",), None)
    MaskSecretsFilter().filter(other)
    assert other.getMessage() == "GET /goals/3/"


def test_a_refusal_is_logged_as_one_line_without_a_traceback(
    alice: User, bob: User, acme: Organization, console: io.StringIO
) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    client = logged_in(bob)  # a viewer: may read the goal, not change it
    assert client.get(f"/goals/{goal.pk}/edit/").status_code == 403
    assert client.get("/goals/999999/").status_code == 404
    lines = console.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith(f"WARNING django.request: Forbidden (Permission denied): /goals/{goal.pk}/edit/")
    assert lines[1].endswith("WARNING django.request: Not Found: /goals/999999/")


def test_server_errors_keep_their_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failure = sys.exc_info()
    for status, kept in ((500, True), (403, False), (400, False)):
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "%s", ("/x",), failure)
        record.status_code = status
        assert ConciseClientErrorsFilter().filter(record)
        assert (record.exc_info is not None) == kept
    untagged = logging.LogRecord("backcast.notifications", logging.ERROR, __file__, 1, "x", None, failure)
    ConciseClientErrorsFilter().filter(untagged)
    assert untagged.exc_info is not None  # not a request's answer: kept


def test_a_token_in_a_query_string_is_masked_in_djangos_own_request_lines(
    console: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    """The development server logs whole request lines; the API refuses a token there, but the
    line is written before anything refuses it."""
    line = "GET /api/v1/me?token=bc_1a2b_s3cr3t&page=2 HTTP/1.1"
    logging.getLogger("django.server").warning('"%s" %s %s', line, "401", "63")
    logging.getLogger("backcast").warning("fetched %s", "/api/v1/goals?api_key=k3y")
    records = [r.getMessage() for r in caplog.records if r.name == "django.server"]
    assert records == ['"GET /api/v1/me?token=[secret]&page=2 HTTP/1.1" 401 63']  # masked where logged
    assert "k3y" not in console.getvalue() and "api_key=[secret]" in console.getvalue()
