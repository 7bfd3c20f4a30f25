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
