"""Outgoing webhooks: an organisation's admins manage them; the outbox posts to them.

Every request is a JSON POST in the shape its chat tool's incoming webhooks accept (Slack:
``{"text": ...}``; Microsoft Teams: a message with an Adaptive Card attachment, as Teams'
Workflows webhooks take it; Lark: ``{"msg_type": "text", "content": {"text": ...}}``; any
other receiver: Backcast's own ``{"event", "subject", "text", "link", "sent_at"}``), signed
with the webhook's secret so a receiver can tell it came from Backcast and was not replayed:

    X-Backcast-Timestamp: 1767225600              (Unix seconds when it was sent)
    X-Backcast-Signature: sha256=HEX              (HMAC-SHA256 with the secret over
                                                   "TIMESTAMP." followed by the raw body)

A receiver recomputes the HMAC over the bytes it received, compares in constant time and
refuses timestamps more than five minutes old. ``X-Backcast-Delivery`` names the delivery and
stays the same across retries, so a receiver can drop a repeat (delivery is at least once). For Lark the body also carries Lark's own
``timestamp`` and ``sign`` (its signature check, when the secret is the one Lark shows).
Requests go only to public addresses, or to networks the instance's administrator allowed,
checked when a webhook is saved and again at each delivery, whose connection is pinned to the
addresses checked (:mod:`~backcast.services.notify.webhook_targets`); they have a short timeout, follow
no redirects and log only a status or a fixed kind of error (:mod:`~backcast.services.notify.webhook_send`).
The URL of a chat webhook embeds the tool's secret, so it is never logged or shown in full.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import ssl
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.views.decorators.debug import sensitive_variables

from backcast.notifications.models import Attempt, Delivery, Kind, Webhook
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for
from backcast.services.notify import webhook_send, webhook_targets
from backcast.services.notify.webhook_targets import Resolver, system_resolver
from backcast.services.platform.errors import InvalidInput, check_one_line

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

MAX_URL = 1000
SIGNATURE_HEADER = "X-Backcast-Signature"
TIMESTAMP_HEADER = "X-Backcast-Timestamp"
DELIVERY_HEADER = "X-Backcast-Delivery"  # the same on every retry: receivers can drop repeats


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=HEX``: HMAC-SHA256 keyed with ``secret`` over ``b"TIMESTAMP." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, given: str, now: datetime, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (Python example)."""
    if not timestamp.isdigit() or abs(int(now.timestamp()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), given)


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    ts = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Backcast-Webhooks/1",
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: signature(secret, ts, body),
    }


def lark_sign(secret: str, timestamp: int) -> str:
    """Lark's custom-bot signature: base64 of HMAC-SHA256 keyed with "TIMESTAMP\\nSECRET" over nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(hook: Webhook, kind: str, subject: str, body: str, link: str, now: datetime) -> bytes:
    """The request body for ``hook``'s tool."""
    data: dict[str, Any]
    if hook.tool == Webhook.Tool.SLACK:
        text = f"*{slack_escape(subject)}*\n{slack_escape(body)}"
        data = {"text": text + (f"\n<{link}|Open in Backcast>" if link else "")}
    elif hook.tool == Webhook.Tool.TEAMS:
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "TextBlock", "text": body, "wrap": True},
            ],
        }
        if link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Backcast", "url": link}]
        data = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }
    elif hook.tool == Webhook.Tool.LARK:
        ts = int(now.timestamp())
        text = f"{subject}\n{body}" + (f"\n{link}" if link else "")
        data = {
            "timestamp": str(ts),
            "sign": lark_sign(hook.secret, ts),
            "msg_type": "text",
            "content": {"text": text},
        }
    else:
        data = {"event": kind, "subject": subject, "text": body, "link": link, "sent_at": now.isoformat()}
    return json.dumps(data, ensure_ascii=False).encode()


@sensitive_variables("url", "headers")
def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    resolve: Resolver = system_resolver,
    tls: ssl.SSLContext | None = None,
) -> tuple[int | None, str]:
    """POST ``body`` if ``url``'s addresses pass the address policy, to the addresses vetted.

    Returns the HTTP status (None when no answer came) and an error, "" on 2xx; errors are the
    fixed kinds of :mod:`backcast.services.notify.webhook_send`, never the URL or the receiver's words.
    The policy is checked again here, not only when the webhook was saved: DNS may have changed.
    """
    try:
        target = webhook_targets.vet(url, resolve)
    except webhook_targets.HostNotFound:
        return None, webhook_send.HOST_NOT_FOUND
    except webhook_targets.TargetError:
        return None, webhook_send.REFUSED
    return webhook_send.send(target, body, headers, float(settings.BACKCAST_WEBHOOK_TIMEOUT), tls)


def clean_url(value: Any, resolve: Resolver = system_resolver) -> str:
    """``value`` as a webhook URL: http(s), a host the address policy accepts, not too long.

    A name that does not resolve yet is accepted: the policy is checked again at every delivery.
    """
    url = str(value or "").strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"must be at most {MAX_URL} characters", "url")
    try:
        webhook_targets.vet(url, resolve)
    except webhook_targets.HostNotFound:
        pass
    except webhook_targets.TargetError as exc:
        raise InvalidInput(str(exc), "url") from None
    if settings.PRODUCTION and urlsplit(url).scheme != "https":
        raise InvalidInput("must be an https:// address", "url")
    return url


@sensitive_variables("secret", "data")
@transaction.atomic
def create_webhook(
    actor: AnyUser, slug: str, data: dict[str, Any], resolve: Resolver = system_resolver
) -> tuple[Webhook, str]:
    """Add a webhook to an organisation (admins); returns it and its secret, shown this once.

    ``secret`` may be given (Lark's own signing secret, say); otherwise one is generated. The
    URL must pass the address policy (:mod:`backcast.services.notify.webhook_targets`), its host
    resolved with ``resolve``.
    """
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=slug)
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("give it a name of at most 100 characters", "name")
    check_one_line(name, "name")
    tool = data.get("tool") or Webhook.Tool.GENERIC
    if tool not in Webhook.Tool.values:
        raise InvalidInput(f"choose one of {', '.join(Webhook.Tool.values)}", "tool")
    events = data.get("events") or []
    if not isinstance(events, list) or not events or any(e not in Kind.values for e in events):
        raise InvalidInput(f"choose at least one of {', '.join(Kind.values)}", "events")
    secret = str(data.get("secret") or "").strip() or secrets.token_urlsafe(32)
    if len(secret) > 128:
        raise InvalidInput("must be at most 128 characters", "secret")
    hook = Webhook.objects.create(
        organization=org,
        name=name,
        tool=tool,
        url=clean_url(data.get("url"), resolve),
        secret=secret,
        events=sorted(set(events)),
        created_by_id=actor.pk,
    )
    return hook, secret


@transaction.atomic
def set_webhook_active(actor: AnyUser, webhook_id: int, active: bool) -> Webhook:
    """Switch a webhook on or off (admins). Off, its pending deliveries fail at their next try."""
    hook = get_for(Webhook.objects.select_for_update(), actor, Action.ADMINISTER, pk=webhook_id)
    hook.active = active
    hook.save(update_fields=["active"])
    return hook


@transaction.atomic
def delete_webhook(actor: AnyUser, webhook_id: int) -> None:
    """Delete a webhook and its delivery log (admins)."""
    get_for(Webhook.objects.all(), actor, Action.ADMINISTER, pk=webhook_id).delete()


def webhooks_of(actor: AnyUser, slug: str) -> QuerySet[Webhook]:
    """An organisation's webhooks, by name (admins)."""
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=slug)
    return Webhook.objects.filter(organization=org).select_related("created_by").order_by("name", "pk")


def deliveries_of(actor: AnyUser, slug: str) -> QuerySet[Delivery]:
    """An organisation's deliveries, newest first, each with its attempts in order (admins)."""
    return deliveries(get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=slug))


def deliveries(org: Organization) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(notification__organization=org)
        .select_related("notification__recipient", "webhook")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("at", "pk")))
        .order_by("-created_at", "-pk")
    )


def delivery_log(
    actor: AnyUser, slug: str, limit: int = 100
) -> tuple[Organization, list[tuple[Delivery, list[Attempt]]]]:
    """An organisation's latest deliveries with their attempts (admins), newest first."""
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=slug)
    return org, [(d, list(d.attempt_log.all())) for d in deliveries(org)[:limit]]
