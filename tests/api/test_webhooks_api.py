"""Webhooks in the API: admins add, list, switch and delete them, and read what was sent.

The secret is in the creation's answer only; URLs are shown by scheme and host, as chat tools put
their own secret in the rest. Others of the organisation get 403, outsiders 404 (the route walk in
``test_api.py`` covers anonymous callers and outsiders for every route). URLs that lead into the
instance's own network are refused (``tests/services/test_webhook_ssrf.py`` holds the rest).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from backcast.accounts.models import User
from backcast.notifications.models import Delivery, Webhook
from backcast.organizations.models import Organization
from backcast.services.notify.outbox import deliver_due, enqueue
from tests.api.client import Api
from tests.services.webhook_fakes import INTERNAL_URLS, LOOPBACK_ALLOWED

HOOK = {
    "name": "#ops",
    "tool": "slack",
    "url": "https://hooks.slack.com/services/T0/B0/SECRETPART",
    "events": ["reminder", "mention"],
}


def test_an_admin_adds_lists_switches_and_deletes_a_webhook(api: Api, acme: Organization) -> None:
    status, created = api.call("post", f"/organizations/{acme.slug}/webhooks", HOOK)
    assert status == 201
    hook = Webhook.objects.get(pk=created["id"])
    assert created["secret"] == hook.secret and len(hook.secret) >= 32
    status, listed = api.call("get", f"/organizations/{acme.slug}/webhooks")
    assert status == 200 and listed["count"] == 1
    assert listed["items"][0] | {"created_at": None} == {
        "id": hook.pk,
        "name": "#ops",
        "tool": "slack",
        "url": "https://hooks.slack.com/…",
        "events": ["mention", "reminder"],
        "active": True,
        "created_at": None,
        "created_by": "alice@acme.test",
    }
    assert "SECRETPART" not in str(listed) and hook.secret not in str(listed)
    status, switched = api.call("patch", f"/webhooks/{hook.pk}", {"active": False})
    assert (status, switched["active"]) == (200, False)
    assert not Webhook.objects.get(pk=hook.pk).active
    assert api.call("delete", f"/webhooks/{hook.pk}")[0] == 204
    assert not Webhook.objects.exists()


def test_a_given_secret_is_kept_and_bad_input_names_its_field(api: Api, acme: Organization) -> None:
    status, created = api.call("post", f"/organizations/{acme.slug}/webhooks", HOOK | {"secret": "lark-own"})
    assert (status, created["secret"]) == (201, "lark-own")
    for field, value in (
        ("url", "ftp://example.com/x"),
        ("events", ["everything"]),
        ("tool", "fax"),
        ("name", ""),
    ):
        status, body = api.call("post", f"/organizations/{acme.slug}/webhooks", HOOK | {field: value})
        assert (status, body["field"]) == (400, field), field
    assert Webhook.objects.count() == 1


def test_only_admins_manage_webhooks(acme: Organization, alice: User, carol: User) -> None:
    hook = Api(alice).call("post", f"/organizations/{acme.slug}/webhooks", HOOK)[1]
    contributor = Api(carol)
    assert contributor.call("get", f"/organizations/{acme.slug}/webhooks")[0] == 403
    assert contributor.call("post", f"/organizations/{acme.slug}/webhooks", HOOK)[0] == 403
    assert contributor.call("patch", f"/webhooks/{hook['id']}", {"active": False})[0] == 403
    assert contributor.call("delete", f"/webhooks/{hook['id']}")[0] == 403
    assert contributor.call("get", f"/organizations/{acme.slug}/deliveries")[0] == 403
    assert Webhook.objects.get().active


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused(api: Api, acme: Organization, url: str) -> None:
    status, body = api.call("post", f"/organizations/{acme.slug}/webhooks", HOOK | {"url": url})
    assert (status, body["field"]) == (400, "url")
    assert "may not reach" in body["detail"]
    assert not Webhook.objects.exists()


def test_the_delivery_log_shows_every_attempt_and_no_secret(
    api: Api, acme: Organization, settings: Any
) -> None:
    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED
    api.call(
        "post", f"/organizations/{acme.slug}/webhooks", HOOK | {"url": "http://127.0.0.1:9/hooks/SECRETPART"}
    )
    now = timezone.now()
    enqueue(acme, "reminder", "reminder:1:org:x", "Review due", "Not yet: Carol.", now=now)
    deliver_due(now)  # nothing listens on port 9: the attempt fails and is retried later
    status, log = api.call("get", f"/organizations/{acme.slug}/deliveries")
    assert status == 200 and log["count"] == 1
    (delivery,) = log["items"]
    hook = Webhook.objects.get()
    assert (delivery["kind"], delivery["subject"], delivery["channel"]) == (
        "reminder",
        "Review due",
        "webhook",
    )
    assert (delivery["webhook"], delivery["recipient"], delivery["status"]) == (hook.pk, None, "pending")
    assert [(a["number"], a["response_status"]) for a in delivery["attempts"]] == [(1, None)]
    assert delivery["attempts"][0]["error"] == "connection failed"
    assert "SECRETPART" not in str(log) and hook.secret not in str(log)
    assert Delivery.objects.get().status == "pending"
