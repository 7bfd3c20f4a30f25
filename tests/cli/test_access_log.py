"""The access log never carries a calendar feed's secret."""

from __future__ import annotations

from types import SimpleNamespace

from backcast.cli.access_log import MaskingLogger, mask_secrets


def test_feed_secrets_are_masked_and_other_paths_kept() -> None:
    assert mask_secrets("GET /feeds/bcf_6f1cAbC-09.ics HTTP/1.1") == "GET /feeds/[secret].ics HTTP/1.1"
    assert mask_secrets("/feeds/bcf_6f1c") == "/feeds/[secret]"
    assert mask_secrets("/feeds/bcf_1.ics?x=1") == "/feeds/[secret].ics?x=1"
    assert mask_secrets("GET /goals/12/timeline/ HTTP/1.1") == "GET /goals/12/timeline/ HTTP/1.1"


def test_the_logger_masks_every_atom() -> None:
    from gunicorn.config import Config

    logger = MaskingLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/feeds/bcf_secret.ics", "PATH_INFO": "/feeds/bcf_secret.ics",
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}  # fmt: skip
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    request = SimpleNamespace(headers=[], method="GET", path="/feeds/bcf_secret.ics", query="", version=(1, 1),
                              uri="/feeds/bcf_secret.ics")  # fmt: skip
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5))
    assert not any("bcf_secret" in str(value) for value in atoms.values())
    assert atoms["r"] == "GET /feeds/[secret].ics HTTP/1.1"


def test_credentials_in_query_strings_are_masked() -> None:
    line = "GET /api/v1/me?page=2&token=bc_1a2b_s3cr3t&api_key=k3y;access_token=t0k HTTP/1.1"
    assert mask_secrets(line) == (
        "GET /api/v1/me?page=2&token=[secret]&api_key=[secret];access_token=[secret] HTTP/1.1"
    )
    assert mask_secrets("key=abc&monkey=1") == "key=[secret]&monkey=1"  # a query on its own, too
    assert (
        mask_secrets("/x?Authorization=Bearer%20bc_1&sig=ab#top")
        == "/x?Authorization=[secret]&sig=[secret]#top"
    )
    assert mask_secrets("GET /goals/?q=token&author=3 HTTP/1.1") == "GET /goals/?q=token&author=3 HTTP/1.1"


def test_a_token_in_the_query_string_never_reaches_the_access_log() -> None:
    from gunicorn.config import Config

    logger = MaskingLogger(Config())
    uri = "/api/v1/me?token=bc_1a2b_s3cr3t"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": "/api/v1/me", "QUERY_STRING": "token=bc_1a2b_s3cr3t",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": f"https://ops.example{uri}",
               "HTTP_AUTHORIZATION": "Bearer bc_9z8y_other", "HTTP_COOKIE": "sessionid=s3ss10n"}  # fmt: skip
    response = SimpleNamespace(
        status="401 Unauthorized", sent=10, headers=[("Set-Cookie", "csrftoken=c")], response_length=10
    )
    headers = [
        ("REFERER", f"https://ops.example{uri}"),
        ("AUTHORIZATION", "Bearer bc_9z8y_other"),
        ("COOKIE", "sessionid=s3ss10n"),
    ]
    request = SimpleNamespace(headers=headers, method="GET", path="/api/v1/me", query="token=bc_1a2b_s3cr3t", version=(1, 1), uri=uri)  # fmt: skip
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5))
    for secret in ("s3cr3t", "bc_9z8y_other", "s3ss10n", "csrftoken=c"):
        assert not any(secret in str(value) for value in atoms.values()), secret
    assert atoms["r"] == "GET /api/v1/me?token=[secret] HTTP/1.1"
    assert atoms["q"] == "token=[secret]"
    assert atoms["f"] == "https://ops.example/api/v1/me?token=[secret]"
    line = logger.cfg.access_log_format % atoms
    assert '"GET /api/v1/me?token=[secret] HTTP/1.1" 401' in line
