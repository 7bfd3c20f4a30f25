"""Every page of an organisation is invisible to outsiders and read-only to viewers.

The walk below covers every URL pattern of Backcast's own apps: a new pattern fails the test until
it is listed either as scoped to an organisation (with the value that names alice's object) or as
belonging to the visitor alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from backcast.accounts.models import User
from backcast.organizations.models import Membership, Organization, Team
from backcast.services.platform.tokens import create_token
from tests.conftest import csrf_token, logged_in

# Patterns that only ever show the visitor's own things (or nothing private at all).
OWN_OR_PUBLIC = {
    "home",
    "token-list",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The person's own calendar feeds; a goal named in the form is looked up through restrict
    # (tests/web/test_feeds.py: an outsider's goal answers 404 and nothing is created).
    "calendar-feeds",
    "calendar-feed-revoke",
    # Public with a secret: no login (calendar apps cannot log in); the secret in the path is the
    # credential, and a wrong, rotated or revoked one answers 404 (tests/web/test_feeds.py).
    "calendar-feed",
    # The person's own notification switches.
    "notification-preferences",
    # Public with a secret: the invitation's link; anything but an open invitation answers 404
    # (tests/web/test_invitations.py), and only the invited address can accept.
    "invitation-accept",
}
# Patterns whose parameters name an object of alice's; the values are filled in per test.
TENANT_SCOPED = {
    "org-detail",
    "team-create",
    "member-role",
    "org-leave",
    "invitation-create",
    "invitation-resend",
    "invitation-revoke",
    "token-revoke",
    "goal-list",
    "goal-create",
    "goal-detail",
    "goal-edit",
    "goal-delete",
    "goal-timeline",
    "kpi-create",
    "milestone-create",
    "checkin-create",
    "reading-create",
    "reading-import",
    "wizard-start",
    "wizard-smart-draft",
    "wizard-goal-smart",
    "wizard-step",
    "goal-comments",
    "comment-delete",
    "timeline-baselines",
    "scenario-list",
    "scenario-detail",
    "scenario-adopt",
    "scenario-discard",
    "goal-activity",
    "org-activity",
    "org-trash",
    "goal-restore",
    "milestone-restore",
    "webhook-list",
    "webhook-deliveries",
    "webhook-active",
    "webhook-delete",
}


# A body that every form of the site would accept, so a refusal can only come from tenancy.
WRITE_EVERYTHING = {
    "name": "Night shift",
    "email": "charlie@other.test",
    "role": "admin",
    "title": "Hijack",
    "deadline": "2031-01-01",
    "cadence": "weekly",
    "unit": "%",
    "direction": "increase",
    "baseline": "1",
    "target": "2",
    "duration": "3",
    "status": "on_track",
    "confidence": "5",
    "date": "2031-01-01",
    "value": "9",
}
POST_VIEWS = TENANT_SCOPED - {
    "org-detail",
    "goal-list",
    "goal-detail",
    "goal-timeline",
    "scenario-detail",
    "wizard-smart-draft",
    "wizard-goal-smart",
    "webhook-deliveries",
    "goal-activity",
    "org-activity",
    "org-trash",
}


def resolve_name(url: str) -> str:
    from django.urls import resolve

    return str(resolve(url).url_name)


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            if entry.namespace in {"admin", "api"}:
                continue  # the back office has its own staff check; the API is walked in tests/api
            yield from walk(entry.url_patterns, prefix + namespace)
        elif entry.name:
            yield prefix + entry.name, entry


def test_every_pattern_is_classified() -> None:
    names = {name for name, _ in walk(get_resolver().url_patterns)}
    unclassified = names - OWN_OR_PUBLIC - TENANT_SCOPED
    assert not unclassified, f"classify these URL patterns in this test: {sorted(unclassified)}"
    assert TENANT_SCOPED <= names


@pytest.fixture
def alice_urls(acme: Organization, alice: User) -> list[str]:
    from datetime import date

    from backcast.services.goals.goals import create_goal
    from backcast.services.goals.kpis import add_kpi

    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    from backcast.services.goals.comments import add_comment

    comment = add_comment(alice, goal.pk, {"body": "Carrier data is in."})
    token, _ = create_token(alice, "alice's ERP token")
    from backcast.replanning.models import Scenario

    scenario = Scenario.objects.create(goal=goal, name="As is", changes={})
    from backcast.services.goals.milestones import add_milestone, delete_milestone

    trashed = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    delete_milestone(alice, trashed.pk)  # in the trash: restorable, and hidden from Milestone.objects
    from backcast.services.notify.webhooks import create_webhook

    hook, _ = create_webhook(
        alice,
        acme.slug,
        {"name": "ops", "tool": "slack", "url": "https://hooks.example/x", "events": ["mention"]},
    )
    from backcast.services.platform.invitations import invite

    invitation = invite(alice, acme.slug, "newcomer@elsewhere.test", "viewer")
    return [
        f"/o/{acme.slug}/",
        f"/o/{acme.slug}/goals/",
        f"/o/{acme.slug}/goals/new/",
        f"/goals/{goal.pk}/",
        f"/goals/{goal.pk}/edit/",
        f"/goals/{goal.pk}/delete/",
        f"/goals/{goal.pk}/timeline/",
        f"/goals/{goal.pk}/kpis/",
        f"/goals/{goal.pk}/milestones/",
        f"/goals/{goal.pk}/checkins/",
        f"/kpis/{kpi.pk}/readings/",
        f"/kpis/{kpi.pk}/import/",
        f"/o/{acme.slug}/teams/",
        f"/o/{acme.slug}/members/",
        f"/o/{acme.slug}/leave/",
        f"/o/{acme.slug}/invitations/",
        f"/o/{acme.slug}/invitations/{invitation.pk}/resend/",
        f"/o/{acme.slug}/invitations/{invitation.pk}/revoke/",
        f"/o/{acme.slug}/plan/",
        f"/o/{acme.slug}/plan/smart/",
        f"/goals/{goal.pk}/plan-wizard/smart/",
        f"/goals/{goal.pk}/plan-wizard/1/",
        f"/goals/{goal.pk}/comments/",
        f"/comments/{comment.pk}/delete/",
        f"/goals/{goal.pk}/timeline/baselines/",
        f"/goals/{goal.pk}/scenarios/",
        f"/scenarios/{scenario.pk}/",
        f"/scenarios/{scenario.pk}/adopt/",
        f"/scenarios/{scenario.pk}/discard/",
        f"/o/{acme.slug}/webhooks/",
        f"/o/{acme.slug}/webhooks/deliveries/",
        f"/webhooks/{hook.pk}/active/",
        f"/webhooks/{hook.pk}/delete/",
        f"/goals/{goal.pk}/activity/",
        f"/o/{acme.slug}/activity/",
        f"/o/{acme.slug}/trash/",
        f"/goals/{goal.pk}/restore/",
        f"/milestones/{trashed.pk}/restore/",
        f"/account/tokens/{token.prefix}/revoke/",
    ]


def test_every_tenant_pattern_is_walked(alice_urls: list[str]) -> None:
    from django.urls import resolve

    assert {resolve(url).url_name for url in alice_urls} == TENANT_SCOPED


def test_outsider_gets_404_everywhere(alice_urls: list[str], charlie: User) -> None:
    client = logged_in(charlie)
    token = csrf_token(client)
    for url in alice_urls:
        assert client.get(url).status_code in {404, 405}, url
        response = client.post(url, WRITE_EVERYTHING, HTTP_X_CSRFTOKEN=token)
        # 405 answers before any lookup, for any slug alike, so it reveals nothing of alice's
        assert response.status_code in {404, 405}, url
        if resolve_name(url) in POST_VIEWS:
            assert response.status_code == 404, url
    assert not Team.objects.filter(name="Night shift").exists()
    from backcast.goals.models import CheckIn, Goal, Milestone, Reading

    assert Goal.objects.get().title == "Raise OTD to 95%"
    assert not (Milestone.objects.exists() or CheckIn.objects.exists() or Reading.objects.exists())
    assert not Membership.objects.filter(user=charlie, organization__slug="acme-plant").exists()
    from backcast.organizations.models import Invitation

    (invitation,) = Invitation.objects.filter(organization__slug="acme-plant")
    assert invitation.email == "newcomer@elsewhere.test" and invitation.is_open
    assert invitation.sent_at == invitation.created_at  # not sent again
    assert alice_urls[-1].split("/")[3] in {t.prefix for t in alice_tokens()}


def alice_tokens() -> list[Any]:
    from backcast.accounts.models import ApiToken

    return list(ApiToken.objects.filter(user__email="alice@acme.test", revoked_at__isnull=True))


def test_anonymous_is_sent_to_login(alice_urls: list[str]) -> None:
    from django.test import Client

    client = Client()
    for url in alice_urls:
        response = client.get(url)
        assert response.status_code in {302, 405}, url
        if response.status_code == 302:
            assert response["Location"].startswith("/account/login/")


def test_viewer_reads_but_cannot_write(acme: Organization, bob: User) -> None:
    client = logged_in(bob)
    page = client.get(f"/o/{acme.slug}/")
    assert page.status_code == 200
    assert b"Acme Plant" in page.content
    assert b"Add team" not in page.content  # no form offered to a viewer
    token = csrf_token(client)
    response = client.post(f"/o/{acme.slug}/teams/", {"name": "Night shift"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403
    response = client.post(
        f"/o/{acme.slug}/members/", {"email": "bob@acme.test", "role": "admin"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert not Team.objects.exists()
    assert Membership.objects.get(user=bob).role == "viewer"


def test_admin_creates_team_and_changes_a_members_role(acme: Organization, alice: User, carol: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post(f"/o/{acme.slug}/teams/", {"name": "Night shift"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert Team.objects.get(organization=acme).name == "Night shift"
    response = client.post(
        f"/o/{acme.slug}/members/", {"member": carol.email, "role": "owner"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=carol).role == "owner"


def test_form_errors_are_shown_by_the_field_with_the_input_kept(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    client.post(f"/o/{acme.slug}/teams/", {"name": "Packing"}, HTTP_X_CSRFTOKEN=token)
    response = client.post(f"/o/{acme.slug}/teams/", {"name": "packing"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "there is already a team called" in response.content.decode()
    assert 'value="packing"' in response.content.decode()
    response = client.post(
        f"/o/{acme.slug}/invitations/", {"email": "not an address", "role": "viewer"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode().replace("e-mail", "email")
    assert 'value="not an address"' in response.content.decode()
    assert Team.objects.count() == 1


def test_forms_refuse_a_missing_csrf_token(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    response = client.post(f"/o/{acme.slug}/teams/", {"name": "Night shift"})
    assert response.status_code == 403
    assert not Team.objects.exists()


def test_admin_cannot_demote_themself(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post(
        f"/o/{acme.slug}/members/", {"member": alice.email, "role": "viewer"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert Membership.objects.get(user=alice).role == "admin"


def test_restrict_scopes_by_role(acme: Organization, alice: User, bob: User, charlie: User) -> None:
    from backcast.organizations.tenancy import Action

    assert list(Organization.objects.restrict(bob, Action.VIEW)) == [acme]
    assert list(Organization.objects.restrict(bob, Action.CONTRIBUTE)) == []
    assert list(Organization.objects.restrict(alice, Action.ADMINISTER)) == [acme]
    assert acme not in Organization.objects.restrict(charlie, Action.VIEW)
    bob.is_active = False
    bob.save()
    assert list(Organization.objects.restrict(bob, Action.VIEW)) == []


def test_home_redirects_to_the_only_organisation_and_lists_several(acme: Organization, alice: User) -> None:
    from backcast.services.platform.organizations import create_organization

    client = logged_in(alice)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{acme.slug}/goals/"
    create_organization("Second Site", creator=alice)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Second Site" in page.content and b"Acme Plant" in page.content


def test_home_without_organisation_says_what_to_do(db: Any) -> None:
    user = User.objects.create_user("loner@x.test", "pw-123456789")
    client = logged_in(user)
    page = client.get("/")
    assert page.status_code == 200
    assert b"not in an organisation yet" in page.content
