"""Webhooks used as a way into the instance's own network: refused when saved and when sent.

An organisation's admin chooses a webhook's URL and reads its delivery log; the worker sends from
inside the network. Each test is an attempt to reach 127.0.0.1 or another internal address, or to
read something back from it, and checks that nothing reached a real listener on loopback.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from backcast.accounts.models import User
from backcast.notifications.models import Attempt, Delivery, Kind, Webhook
from backcast.organizations.models import Organization
from backcast.services.notify import webhook_send, webhook_targets, webhooks
from backcast.services.notify.outbox import deliver_due, enqueue
from backcast.services.platform.errors import InvalidInput
from tests.services.webhook_fakes import (
    INTERNAL_URLS,
    LOOPBACK_ALLOWED,
    LOOPBACK_SPELLINGS,
    FakeResolver,
    Listener,
    Receiver,
    closed_port,
)

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
PUBLIC = "93.184.215.14"
LOCAL = {"localhost": [["127.0.0.1", "::1"]]}  # what a machine's hosts file says


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def hook_data(url: str) -> dict[str, Any]:
    return {"name": "ops", "tool": "generic", "url": url, "events": [Kind.REMINDER]}


def planted(org: Organization, url: str) -> Webhook:
    """A webhook row written straight to the table, as one saved before the policy was checked."""
    return Webhook.objects.create(organization=org, name="old", url=url, secret="s", events=[Kind.REMINDER])


def send_one(org: Organization, resolve: FakeResolver | None = None) -> Delivery:
    enqueue(org, Kind.REMINDER, f"reminder:{Delivery.objects.count()}", "Review due", "Carol.", now=NOW)
    deliver_due(NOW, resolve=resolve or FakeResolver(LOCAL))
    return Delivery.objects.order_by("-pk").first() or pytest.fail("nothing was delivered")


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused_when_saved(alice: User, acme: Organization, url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        webhooks.create_webhook(alice, acme.slug, hook_data(url), FakeResolver(LOCAL))
    assert caught.value.field == "url"
    assert "may not reach" in caught.value.message or "not a valid" in caught.value.message
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [["127.0.0.1"], ["10.1.2.3"], ["169.254.169.254"], ["::1"], ["::ffff:127.0.0.1"], [PUBLIC, "127.0.0.1"]],
)
def test_a_name_that_resolves_inside_is_refused_when_saved(
    alice: User, acme: Organization, answer: list[str]
) -> None:
    resolve = FakeResolver({"hooks.attacker.example": [answer]})
    with pytest.raises(InvalidInput, match="may not reach"):
        webhooks.create_webhook(alice, acme.slug, hook_data("https://hooks.attacker.example/x"), resolve)
    assert not Webhook.objects.exists()


def test_a_public_name_and_a_name_not_found_yet_are_accepted(alice: User, acme: Organization) -> None:
    resolve = FakeResolver({"hooks.example.com": [[PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]]})
    webhooks.create_webhook(alice, acme.slug, hook_data("https://hooks.example.com/x"), resolve)
    webhooks.create_webhook(alice, acme.slug, hook_data("https://later.example.com/x"), resolve)
    assert Webhook.objects.count() == 2  # the second is checked again when sending


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_when_sent(
    acme: Organization, receiver: Receiver, host: str
) -> None:
    """A row saved before the policy existed points at a real listener: it gets nothing."""
    planted(acme, f"http://{host}:{receiver.port}/hooks")
    d = send_one(acme)
    assert (d.response_status, d.last_error) == (None, "refused by address policy")
    assert receiver.requests == []


def test_dns_rebinding_is_refused_when_sent(alice: User, acme: Organization, receiver: Receiver) -> None:
    """The name was public when saved and answers 127.0.0.1 when the worker sends."""
    resolve = FakeResolver({"hooks.rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    url = f"http://hooks.rebind.example:{receiver.port}/hooks"
    webhooks.create_webhook(alice, acme.slug, hook_data(url), resolve)
    d = send_one(acme, resolve)
    assert resolve.calls == ["hooks.rebind.example", "hooks.rebind.example"]
    assert d.last_error == "refused by address policy"
    assert receiver.requests == []


def test_the_connection_goes_to_the_address_vetted_with_the_names_host(
    acme: Organization, receiver: Receiver, settings: Any
) -> None:
    """Only the fake resolver knows the name, and it is asked once: the address is pinned."""
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    resolve = FakeResolver({"hooks.internal.test": [["127.0.0.1"], ["10.9.9.9"]]})
    planted(acme, f"http://hooks.internal.test:{receiver.port}/hooks/x?team=ops")
    d = send_one(acme, resolve)
    assert (d.status, d.response_status) == ("sent", 200)
    assert resolve.calls == ["hooks.internal.test"]
    [(headers, _)] = receiver.requests
    assert headers["host"] == f"hooks.internal.test:{receiver.port}"


def test_allowed_networks_let_a_loopback_receiver_work(
    alice: User, acme: Organization, receiver: Receiver, settings: Any
) -> None:
    with pytest.raises(InvalidInput, match="may not reach"):
        webhooks.create_webhook(alice, acme.slug, hook_data(receiver.url))
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.1/32"]
    webhooks.create_webhook(alice, acme.slug, hook_data(receiver.url))
    assert send_one(acme).status == "sent"
    assert len(receiver.requests) == 1
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]  # taken back: refused when sending
    assert send_one(acme).last_error == "refused by address policy"
    assert len(receiver.requests) == 1


def test_the_log_keeps_no_word_of_a_failed_answer(
    acme: Organization, settings: Any, receiver: Receiver
) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    banner = Receiver([500], banner=b"redis_version:7.2.4 SECRET_BANNER")
    try:
        planted(acme, banner.url)
        d = send_one(acme)
    finally:
        banner.close()
    assert (d.response_status, d.last_error) == (500, "HTTP 500")
    assert list(Attempt.objects.values_list("response_status", "error")) == [(500, "HTTP 500")]


def test_redirects_are_not_followed(acme: Organization, settings: Any, receiver: Receiver) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    redirecting = Receiver([302], location=receiver.url)
    try:
        planted(acme, redirecting.url)
        d = send_one(acme)
    finally:
        redirecting.close()
    assert (d.response_status, d.last_error) == (302, "HTTP 302")
    assert receiver.requests == []


def test_a_closed_port_and_a_service_that_is_not_http_read_the_same(
    acme: Organization, settings: Any
) -> None:
    """A port scan through the log: refused, hung up and a database's banner look alike."""
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    hangs_up, banner = Listener(b""), Listener(b"\x00\x00\x00\x08SECRET_BANNER garbled\r\n\r\n")
    try:
        ports = [closed_port(), hangs_up.port, banner.port]
        for port in ports:
            planted(acme, f"http://127.0.0.1:{port}/")
        send_one(acme)
    finally:
        hangs_up.close()
        banner.close()
    outcomes = set(Attempt.objects.values_list("response_status", "error"))
    assert outcomes == {(None, "connection failed")}
    assert Attempt.objects.count() == 3


def test_fixed_error_kinds_only(acme: Organization, receiver: Receiver, settings: Any) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    planted(acme, "http://not-found.example/")
    planted(acme, "http://10.0.0.1/")
    planted(acme, f"http://127.0.0.1:{closed_port()}/")
    send_one(acme)
    errors = set(Delivery.objects.values_list("last_error", flat=True))
    assert errors == {"host not found", "refused by address policy", "connection failed"}
    assert errors <= webhook_send.ERROR_KINDS


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    st.one_of(
        st.text(),
        st.builds(
            "{}://{}/{}".format,
            st.sampled_from(["http", "https"]),
            st.text(st.characters(codec="utf-8"), max_size=40),
            st.text(max_size=10),
        ),
    )
)
def test_any_text_is_a_target_or_refused_in_words(url: str) -> None:
    """Whatever a URL holds, checking it ends in a target or a message, never a crash."""
    try:
        target = webhook_targets.vet(url, FakeResolver({}), allowed=())
    except webhook_targets.TargetError as exc:
        message = str(exc)
        target = None
    else:
        message = ""
    assert message if target is None else all(webhook_targets.is_public(a) for a in target.addresses)


def test_old_log_entries_lose_the_receivers_words() -> None:
    """The migration that rewrites earlier webhook errors into the fixed kinds."""
    import importlib

    migration = importlib.import_module(
        "backcast.notifications.migrations.0003_webhook_errors_in_fixed_words"
    )
    assert [
        migration.fixed_words(e)
        for e in (
            "HTTP 500: redis_version:7.2.4",
            "HTTP 404",
            "no answer: [Errno 111] Connection refused",
            "no answer: Remote end closed connection without response",
            "no answer: timed out",
            "no answer: TimeoutError",
            "RemoteDisconnected: Remote end closed connection without response",
            "the webhook was switched off",
            "",
        )
    ] == [
        "HTTP 500",
        "HTTP 404",
        "connection failed",
        "connection failed",
        "timeout",
        "timeout",
        "connection failed",
        "the webhook was switched off",
        "",
    ]


# HTTPS: the connection is pinned to the vetted address and TLS still checks the host's name.


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate and key for ``hooks.internal.test`` (one PEM file)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    pem = tmp_path / "hooks.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=hooks.internal.test",
         "-addext", "subjectAltName=DNS:hooks.internal.test", "-keyout", str(pem), "-out", str(pem)],
        check=True, capture_output=True,
    )  # fmt: skip
    return pem


class TLSReceiver:
    """An HTTPS server on 127.0.0.1 that records the name each client asked for (SNI)."""

    def __init__(self, pem: Path) -> None:
        self.names: list[str | None] = []
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.hosts.append(self.headers["Host"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        def remember(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
            outer.names.append(name)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem)
        context.sni_callback = remember
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_https_names_the_host_in_sni_and_checks_its_certificate(certificate: Path, settings: Any) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    tls = ssl.create_default_context(cafile=str(certificate))
    server = TLSReceiver(certificate)
    try:
        resolve = FakeResolver(
            {"hooks.internal.test": [["127.0.0.1"]], "other.internal.test": [["127.0.0.1"]]}
        )
        good = f"https://hooks.internal.test:{server.port}/x"
        assert webhooks.post(good, b"{}", {}, resolve, tls) == (204, "")
        assert server.names == ["hooks.internal.test"]
        assert server.hosts == [f"hooks.internal.test:{server.port}"]
        wrong_name = f"https://other.internal.test:{server.port}/x"
        assert webhooks.post(wrong_name, b"{}", {}, resolve, tls) == (None, "TLS error")
        untrusted = ssl.create_default_context()  # the system's authorities never signed it
        assert webhooks.post(good, b"{}", {}, resolve, untrusted) == (None, "TLS error")
        assert len(server.hosts) == 1
    finally:
        server.close()
