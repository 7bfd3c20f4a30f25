"""Webhooks against a real receiver on loopback: shapes, signatures, retries, several workers.

The receiver listens on 127.0.0.1, which webhooks may reach only when the instance allows it
(``WEBHOOK_ALLOWED_NETWORKS``): the fixture allows loopback, as an administrator would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from backcast.accounts.models import User
from backcast.notifications.models import Attempt, Delivery, Kind, Notification, Webhook
from backcast.organizations.models import Organization
from backcast.services.notify import webhooks
from backcast.services.notify.outbox import deliver_due, enqueue
from backcast.services.platform.errors import InvalidInput
from tests.services.webhook_fakes import LOOPBACK_ALLOWED, Receiver

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    r = Receiver()
    yield r
    r.close()


def add_hook(
    alice: User, org: Organization, url: str, tool: str = "generic", **extra: Any
) -> tuple[Webhook, str]:
    data = {"name": "ops channel", "tool": tool, "url": url, "events": [Kind.REMINDER, Kind.MENTION]} | extra
    return webhooks.create_webhook(alice, org.slug, data)


def channel_note(org: Organization, key: str = "reminder:1:org:2031-03-03") -> Notification | None:
    return enqueue(org, Kind.REMINDER, key, "Review due", "Not checked in yet: Carol.", "/goals/1/", now=NOW)


def test_generic_webhook_is_signed_and_verifiable(
    alice: User, acme: Organization, receiver: Receiver
) -> None:
    hook, secret = add_hook(alice, acme, receiver.url)
    channel_note(acme)
    assert deliver_due(NOW)["sent"] == 1
    [(headers, body)] = receiver.requests
    assert headers["content-type"] == "application/json"
    assert headers["x-backcast-timestamp"] == str(int(NOW.timestamp()))
    assert webhooks.verify(
        secret, headers["x-backcast-timestamp"], body, headers["x-backcast-signature"], NOW
    )
    assert not webhooks.verify(
        "wrong", headers["x-backcast-timestamp"], body, headers["x-backcast-signature"], NOW
    )
    assert not webhooks.verify(
        secret, headers["x-backcast-timestamp"], body + b" ", headers["x-backcast-signature"], NOW
    )
    late = NOW + timedelta(minutes=6)
    assert not webhooks.verify(
        secret, headers["x-backcast-timestamp"], body, headers["x-backcast-signature"], late
    )
    data = json.loads(body)
    assert data == {
        "event": "reminder",
        "subject": "Review due",
        "text": "Not checked in yet: Carol.",
        "link": "http://127.0.0.1:8000/goals/1/",
        "sent_at": NOW.isoformat(),
    }
    d = Delivery.objects.get()
    assert (d.status, d.response_status, d.webhook_id) == ("sent", 200, hook.pk)


def test_a_500_is_retried_after_backoff_then_succeeds(
    alice: User, acme: Organization, receiver: Receiver
) -> None:
    receiver.answers = [500, 200]
    add_hook(alice, acme, receiver.url)
    channel_note(acme)
    assert deliver_due(NOW, rand=lambda: 0.0) == {"sent": 0, "retrying": 1, "failed": 0}
    d = Delivery.objects.get()
    assert (d.status, d.response_status, d.next_attempt_at) == ("pending", 500, NOW + timedelta(seconds=30))
    assert d.last_error == "HTTP 500"  # the receiver's words are not kept
    assert deliver_due(NOW + timedelta(seconds=29)) == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(receiver.requests) == 1
    assert deliver_due(NOW + timedelta(seconds=30))["sent"] == 1
    assert len(receiver.requests) == 2
    log = list(Attempt.objects.order_by("number").values_list("number", "response_status", "error"))
    assert log == [(1, 500, "HTTP 500"), (2, 200, "")]
    ids = [headers["x-backcast-delivery"] for headers, _ in receiver.requests]
    assert ids == [str(Delivery.objects.get().pk)] * 2  # a receiver can tell a retry from a new message


def test_no_answer_is_an_error_without_the_url(alice: User, acme: Organization, settings: Any) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    gone = Receiver()
    url = gone.url
    gone.close()
    add_hook(alice, acme, url)
    channel_note(acme)
    assert deliver_due(NOW)["retrying"] == 1
    d = Delivery.objects.get()
    assert d.response_status is None
    assert d.last_error == "connection failed"
    assert "T0SECRETPATH" not in d.last_error


def test_chat_tool_shapes(alice: User, acme: Organization) -> None:
    slack, _ = add_hook(alice, acme, "https://hooks.slack.com/services/T/B/X", "slack")
    teams, _ = add_hook(alice, acme, "https://example.webhook.office.com/x", "teams")
    lark, secret = add_hook(
        alice, acme, "https://open.larksuite.com/open-apis/bot/v2/hook/x", "lark", secret="lark-s"
    )
    link = "https://ops.example/goals/1/"
    s = json.loads(webhooks.payload(slack, "mention", "A <b>", "x & y", link, NOW))
    assert s == {"text": "*A &lt;b&gt;*\nx &amp; y\n<https://ops.example/goals/1/|Open in Backcast>"}
    t = json.loads(webhooks.payload(teams, "mention", "Subject", "Body", link, NOW))
    assert t["type"] == "message"
    [attachment] = t["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [b["text"] for b in card["body"]] == ["Subject", "Body"]
    assert card["actions"][0]["url"] == link
    lk = json.loads(webhooks.payload(lark, "mention", "Subject", "Body", link, NOW))
    assert lk["msg_type"] == "text" and lk["content"] == {"text": f"Subject\nBody\n{link}"}
    assert secret == "lark-s"
    assert lk["timestamp"] == str(int(NOW.timestamp()))
    assert lk["sign"] == webhooks.lark_sign("lark-s", int(NOW.timestamp()))


def test_lark_signature_matches_larks_published_scheme() -> None:
    import base64
    import hashlib
    import hmac

    key = b"1700000000\nsecret"
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert webhooks.lark_sign("secret", 1700000000) == expected


def test_only_subscribed_active_webhooks_get_a_message(alice: User, acme: Organization) -> None:
    hook, _ = add_hook(alice, acme, "https://hooks.example/a", events=[Kind.DIGEST])
    assert channel_note(acme) is None  # nobody subscribed to reminders: nothing created
    webhooks.set_webhook_active(alice, hook.pk, False)
    assert enqueue(acme, Kind.DIGEST, "digest:x", "s", "b", now=NOW) is None
    webhooks.set_webhook_active(alice, hook.pk, True)
    assert enqueue(acme, Kind.DIGEST, "digest:x", "s", "b", now=NOW) is not None


def test_switching_a_webhook_off_fails_its_pending_deliveries(alice: User, acme: Organization) -> None:
    hook, _ = add_hook(alice, acme, "https://hooks.example/a")
    channel_note(acme)
    webhooks.set_webhook_active(alice, hook.pk, False)
    assert deliver_due(NOW)["failed"] == 1
    assert Delivery.objects.get().last_error == "the webhook was switched off"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://x.example/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["gossip"]}, "events"),
        ({"tool": "irc"}, "tool"),
        ({"name": ""}, "name"),
        ({"secret": "s" * 129}, "secret"),
    ],
)
def test_bad_webhooks_are_refused(alice: User, acme: Organization, data: dict[str, Any], field: str) -> None:
    good = {"name": "ops", "tool": "slack", "url": "https://hooks.example/x", "events": ["reminder"]}
    with pytest.raises(InvalidInput) as caught:
        webhooks.create_webhook(alice, acme.slug, good | data)
    assert caught.value.field == field
    assert not Webhook.objects.exists()


def test_only_admins_manage_webhooks(alice: User, carol: User, charlie: User, acme: Organization) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    data = {"name": "ops", "tool": "slack", "url": "https://hooks.example/x", "events": ["reminder"]}
    with pytest.raises(PermissionDenied):
        webhooks.create_webhook(carol, acme.slug, data)
    with pytest.raises(Http404):
        webhooks.create_webhook(charlie, acme.slug, data)
    hook, _ = webhooks.create_webhook(alice, acme.slug, data)
    with pytest.raises(Http404):
        webhooks.delete_webhook(charlie, hook.pk)
    assert Webhook.objects.get().masked_url == "https://hooks.example/…"


@pytest.mark.django_db(transaction=True)
def test_several_workers_send_each_delivery_once(alice: User, acme: Organization, settings: Any) -> None:
    """Threads with their own database connections race over the same outbox (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite's claim is tested with two claimers")
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    receiver = Receiver()
    try:
        add_hook(alice, acme, receiver.url)
        for n in range(30):
            channel_note(acme, f"reminder:{n}:org:2031-03-03")
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                start.wait()
                for _ in range(5):
                    deliver_due(NOW, limit=4)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        ids = [headers["x-backcast-delivery"] for headers, _ in receiver.requests]
        assert len(ids) == 30 and len(set(ids)) == 30  # every delivery once, none twice
        assert Delivery.objects.filter(status="sent").count() == 30
        assert Attempt.objects.count() == 30
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)
def test_racing_workers_create_a_notification_once(alice: User, acme: Organization) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    add_hook(alice, acme, "https://hooks.example/a")
    start = threading.Barrier(6)
    made: list[bool] = []

    def work() -> None:
        try:
            start.wait()
            made.append(channel_note(acme) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [False] * 5 + [True]
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 1
