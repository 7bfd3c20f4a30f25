"""Notification pages: e-mail switches, webhooks (admins), the delivery log, participation, mentions."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Goal
from backcast.notifications.models import Delivery, Preference, Webhook
from backcast.organizations.models import Organization
from backcast.services.goals.comments import add_comment
from backcast.services.goals.goals import create_goal
from backcast.services.notify.outbox import deliver_due, enqueue
from tests.conftest import csrf_token, logged_in
from tests.services.webhook_fakes import INTERNAL_URLS, LOOPBACK_ALLOWED

HOOK = {
    "name": "#ops",
    "tool": "slack",
    "url": "https://hooks.slack.com/services/T0/B0/SECRETPART",
    "events": ["reminder", "mention"],
}


def test_preferences_are_saved(carol: User) -> None:
    client = logged_in(carol)
    page = client.get("/account/notifications/")
    assert page.status_code == 200
    assert b"Review reminders" in page.content
    token = csrf_token(client, "/account/notifications/")
    response = client.post(
        "/account/notifications/", {"email": "on", "mention": "on"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    pref = Preference.objects.get(user=carol)
    assert (pref.email, pref.reminder, pref.digest, pref.mention) == (True, False, False, True)
    page_again = client.get("/account/notifications/").content.decode()
    assert re.search(r'<input[^>]*name="mention"[^>]*checked', page_again)
    assert not re.search(r'<input[^>]*name="reminder"[^>]*checked', page_again)


def test_webhook_secret_is_shown_once_and_url_masked(alice: User, acme: Organization) -> None:
    client = logged_in(alice)
    url = f"/o/{acme.slug}/webhooks/"
    token = csrf_token(client, url)
    response = client.post(url, HOOK, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    hook = Webhook.objects.get()
    assert hook.secret in response.content.decode()
    page = client.get(url).content.decode()
    assert hook.secret not in page
    assert "SECRETPART" not in page
    assert "https://hooks.slack.com/…" in page


def test_webhook_form_errors_by_the_field(alice: User, acme: Organization) -> None:
    client = logged_in(alice)
    url = f"/o/{acme.slug}/webhooks/"
    token = csrf_token(client, url)
    response = client.post(url, HOOK | {"url": "javascript:alert(1)"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be an http:// or https:// address" in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("target", INTERNAL_URLS[::3])
def test_webhooks_into_the_servers_network_are_refused(alice: User, acme: Organization, target: str) -> None:
    client = logged_in(alice)
    url = f"/o/{acme.slug}/webhooks/"
    token = csrf_token(client, url)
    response = client.post(url, HOOK | {"url": target}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "points to an address webhooks may not reach" in response.content.decode()
    assert not Webhook.objects.exists()


def test_members_below_admin_cannot_manage_webhooks(alice: User, carol: User, acme: Organization) -> None:
    client = logged_in(carol)
    token = csrf_token(client)
    assert client.get(f"/o/{acme.slug}/webhooks/").status_code == 403
    assert client.post(f"/o/{acme.slug}/webhooks/", HOOK, HTTP_X_CSRFTOKEN=token).status_code == 403
    assert client.get(f"/o/{acme.slug}/webhooks/deliveries/").status_code == 403
    assert not Webhook.objects.exists()


def test_switch_off_and_delete(alice: User, acme: Organization, charlie: User) -> None:
    from backcast.services.notify.webhooks import create_webhook

    hook, _ = create_webhook(alice, acme.slug, HOOK)
    outsider = logged_in(charlie)
    their_token = csrf_token(outsider)
    assert (
        outsider.post(
            f"/webhooks/{hook.pk}/active/", {"active": "0"}, HTTP_X_CSRFTOKEN=their_token
        ).status_code
        == 404
    )
    assert outsider.post(f"/webhooks/{hook.pk}/delete/", HTTP_X_CSRFTOKEN=their_token).status_code == 404
    hook.refresh_from_db()
    assert hook.active
    client = logged_in(alice)
    token = csrf_token(client)
    assert (
        client.post(f"/webhooks/{hook.pk}/active/", {"active": "0"}, HTTP_X_CSRFTOKEN=token).status_code
        == 302
    )
    hook.refresh_from_db()
    assert not hook.active
    assert client.post(f"/webhooks/{hook.pk}/delete/", HTTP_X_CSRFTOKEN=token).status_code == 302
    assert not Webhook.objects.exists()


def test_delivery_log_shows_attempts_not_secrets(alice: User, acme: Organization, settings: Any) -> None:
    from backcast.services.notify.webhooks import create_webhook

    settings.BACKCAST_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ALLOWED

    create_webhook(alice, acme.slug, HOOK | {"url": "http://127.0.0.1:9/hooks/SECRETPART"})
    now = timezone.now()
    enqueue(acme, "reminder", "reminder:1:org:x", "Review due", "Not yet: Carol.", now=now)
    deliver_due(now)
    page = logged_in(alice).get(f"/o/{acme.slug}/webhooks/deliveries/").content.decode()
    assert "Review due" in page
    assert "http://127.0.0.1:9/…" in page
    assert "SECRETPART" not in page
    assert "no answer" in page and "connection failed" in page
    assert Delivery.objects.get().status == "pending"


def goal_with_review(alice: User, carol: User) -> Goal:
    goal = create_goal(
        alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30), "contributors": [carol.email]}
    )
    CheckIn.objects.create(
        goal=goal,
        author=carol,
        status="on_track",
        confidence=8,
        created_at=timezone.now() - timedelta(days=7),
    )
    return goal


def test_goal_page_shows_who_took_part(alice: User, carol: User) -> None:
    goal = goal_with_review(alice, carol)
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()
    assert "Last review" in page
    assert "checked in: Carol Contributor" in page
    assert "did not: Alice Admin" in page
    assert "not yet: Alice Admin, Carol Contributor" in page


def test_participation_in_the_api(alice: User, carol: User, charlie: User) -> None:
    from backcast.services.platform.tokens import create_token

    goal = goal_with_review(alice, carol)
    _, raw = create_token(alice, "t")
    body = Client().get(f"/api/v1/goals/{goal.pk}/participation", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert body["cadence"] == "weekly"
    assert body["last"]["checked_in"] == [carol.email]
    assert body["last"]["missing"] == [alice.email]
    assert body["current"]["missing"] == [alice.email, carol.email]
    assert date.fromisoformat(body["current"]["start"]) - date.fromisoformat(
        body["last"]["start"]
    ) == timedelta(7)
    _, other = create_token(charlie, "t")
    answer = Client().get(f"/api/v1/goals/{goal.pk}/participation", HTTP_AUTHORIZATION=f"Bearer {other}")
    assert answer.status_code == 404


def test_comments_show_mentions_marked_and_escaped(alice: User, bob: User) -> None:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    add_comment(alice, goal.pk, {"body": "@bob <b>look</b>"})
    page = logged_in(alice).get(f"/goals/{goal.pk}/comments/").content.decode()
    assert '<mark class="mention">@bob</mark> &lt;b&gt;look&lt;/b&gt;' in page
