"""Security headers on real responses, in the test settings and in production mode.

Production mode is read from the environment when the settings are imported, so those checks run
in a fresh process with ``BACKCAST_PRODUCTION=true``, exactly as ``backcast serve`` would start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from backcast.security import POLICY
from tests.conftest import logged_in

STRONG_KEY = "p" * 20 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

# Runs in production mode and makes requests through Django's test client, printing what came
# back as JSON. Only the static files' storage is swapped for the plain one, so that pages render
# without a collectstatic run first (it takes minutes on a busy machine and sets no header).
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_storage}).enable()
client = Client()
page = client.get("/account/login/", secure=True)
plain = client.get("/account/login/")
api = client.get("/api/v1/openapi.json", secure=True)
print(json.dumps({
    "page": {"status": page.status_code, "headers": dict(page.headers)},
    "csrf_cookie": {k: str(v) for k, v in page.cookies["csrftoken"].items()},
    "plain": {"status": plain.status_code, "location": plain.headers.get("Location")},
    "api": {"status": api.status_code, "headers": dict(api.headers)},
    "settings": {name: getattr(settings, name) for name in (
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "DEBUG",
    )},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("production")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECURE_SSL_REDIRECT"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "backcast.settings",
        "BACKCAST_PRODUCTION": "true",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "testserver",
        "BACKCAST_DATA_DIR": str(folder / "data"),
        "STATIC_ROOT": str(folder / "static"),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_production_pages_carry_every_security_header(production: dict[str, Any]) -> None:
    page = production["page"]
    assert page["status"] == 200
    headers = page["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Content-Security-Policy"] == POLICY


def test_production_api_answers_carry_them_too(production: dict[str, Any]) -> None:
    api = production["api"]
    assert api["status"] == 200
    for name in ("Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy"):
        assert name in api["headers"], name


def test_production_redirects_plain_http_and_keeps_cookies_secure(production: dict[str, Any]) -> None:
    assert production["plain"] == {"status": 301, "location": "https://testserver/account/login/"}
    cookie = production["csrf_cookie"]
    assert cookie["secure"] is True or cookie["secure"] == "True"
    assert cookie["samesite"] == "Lax"
    assert production["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
    }


def test_the_policy_allows_nothing_from_elsewhere_and_nothing_inline() -> None:
    directives = dict(part.split(" ", 1) for part in POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY and "http" not in POLICY


def test_every_response_has_the_policy_and_the_basic_headers(alice: Any, acme: Any) -> None:
    client = logged_in(alice)
    for url in ("/account/login/", f"/o/{acme.slug}/goals/", "/api/v1/me", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == POLICY, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["X-Frame-Options"] == "DENY", url
    assert Client().get("/account/login/")["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_style_or_handler() -> None:
    """What the strict policy relies on: nothing inline in any template of Backcast's."""
    import re

    import backcast

    root = Path(backcast.__file__).parent
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|<style\b|\sstyle=|\son[a-z]+=", re.I
    )
    offenders = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for path in root.rglob("templates/**/*.html")
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
