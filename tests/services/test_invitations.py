"""Membership only with consent: invitations, their links, and leaving.

Written as attacks on the organisation's members and on the instance's accounts: an admin adding
someone directly, learning which addresses have accounts, using a link that has expired, been
revoked, used or altered, and making an outsider the owner of a goal, a contributor, or the
recipient of mentions and notifications. alice is Acme's admin, bob a member, charlie an outsider
who has an account (an admin elsewhere); nobody@nowhere.test has no account at all.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backcast.accounts.models import User
from backcast.activity.context import acting_as
from backcast.activity.models import Event
from backcast.activity.wording import describe
from backcast.goals.models import Goal
from backcast.notifications.models import Delivery, Notification
from backcast.organizations.models import Invitation, Membership, Organization, Team
from backcast.services.goals.comments import add_comment
from backcast.services.goals.goals import create_goal, update_goal
from backcast.services.goals.milestones import add_milestone
from backcast.services.notify.outbox import deliver_due, enqueue
from backcast.services.platform import invitations
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.organizations import create_team, leave_organization, set_member_role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.db

UNKNOWN = "nobody@nowhere.test"


def link_secret(message: mail.EmailMessage) -> str:
    """The secret of the link in an invitation e-mail."""
    found = re.search(r"/invitations/accept/\?token=([\w-]+)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def invited(alice: User, org: Organization, email: str, role: str = "contributor") -> str:
    """Invite ``email`` as alice; returns the secret of the link e-mailed."""
    invitations.invite(alice, org.slug, email, role)
    assert mail.outbox[-1].to == [email.lower()]
    return link_secret(mail.outbox[-1])


def test_an_admin_cannot_add_an_account_directly(alice: User, acme: Organization, charlie: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_member_role(alice, acme.slug, charlie.email, "viewer")
    assert refused.value.field == "email" and "invite" in refused.value.message
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()


def test_a_refused_add_says_the_same_for_an_account_and_for_no_account(
    alice: User, acme: Organization, charlie: User
) -> None:
    faults = []
    for email in (charlie.email, UNKNOWN):
        with pytest.raises(InvalidInput) as refused:
            set_member_role(alice, acme.slug, email, "viewer")
        faults.append((refused.value.field, refused.value.message.replace(repr(email), "ADDRESS")))
    assert faults[0] == faults[1]


def shape(sql: str, email: str) -> str:
    """A statement without its values: the same shape is the same work, whatever the values."""
    sql = re.sub(r"'[^']*'", "?", sql.replace(email, ""))
    return re.sub(r'"s\d+_x\d+"|\b\d+\b', "N", sql)


def test_inviting_does_the_same_work_and_sends_the_same_words_with_or_without_an_account(
    alice: User, acme: Organization, charlie: User
) -> None:
    runs = []
    for email in (charlie.email, UNKNOWN):
        with CaptureQueriesContext(connection) as queries:
            invitation = invitations.invite(alice, acme.slug, email, "viewer")
        message = mail.outbox[-1]
        runs.append(
            (
                [shape(q["sql"], email) for q in queries.captured_queries],
                message.subject,
                message.body.replace(link_secret(message), "SECRET"),
                invitation.role,
                invitation.expires_at - invitation.sent_at,
            )
        )
    assert runs[0] == runs[1]
    assert not any(sql.startswith('SELECT "accounts_user"') for sql in runs[0][0])  # no account is read
    assert "Charlie" not in mail.outbox[0].body  # nothing of the account is read, nor said


def test_an_outsider_with_an_account_joins_only_by_accepting(
    alice: User, acme: Organization, charlie: User
) -> None:
    raw = invited(alice, acme, charlie.email, "viewer")
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()
    membership = invitations.accept_invitation(charlie, raw)
    assert (membership.organization, membership.user, membership.role) == (acme, charlie, "viewer")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == charlie and invitation.accepted_at is not None


def test_only_the_invited_address_can_accept(
    alice: User, acme: Organization, bob: User, charlie: User
) -> None:
    raw = invited(alice, acme, UNKNOWN, "admin")
    with pytest.raises(InvalidInput, match=re.escape(f"sent to {UNKNOWN}")):
        invitations.accept_invitation(charlie, raw)
    with pytest.raises(InvalidInput):
        invitations.accept_invitation(bob, raw)  # a member cannot take a better role through it
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()
    assert Membership.objects.get(organization=acme, user=bob).role == "viewer"
    assert Invitation.objects.get().is_open


def test_a_new_person_creates_their_account_and_joins(alice: User, acme: Organization) -> None:
    raw = invited(alice, acme, "Dan@NewCo.test", "contributor")
    membership = invitations.join_with_new_account(raw, "Dan Newcomer", "a sound passphrase 42")
    dan = User.objects.get(email="dan@newco.test")
    assert membership.user == dan and membership.role == "contributor" and dan.name == "Dan Newcomer"
    assert dan.check_password("a sound passphrase 42")


def test_a_new_account_is_refused_for_an_address_that_has_one(
    alice: User, acme: Organization, charlie: User
) -> None:
    raw = invited(alice, acme, charlie.email)
    with pytest.raises(InvalidInput, match="log in to accept"):
        invitations.join_with_new_account(raw, "Not Charlie", "a sound passphrase 42")
    charlie.refresh_from_db()
    assert charlie.name == "Charlie Outsider" and charlie.check_password(PASSWORD)
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()


def test_a_weak_password_or_a_two_line_name_creates_nothing(alice: User, acme: Organization) -> None:
    raw = invited(alice, acme, UNKNOWN)
    with pytest.raises(InvalidInput) as weak:
        invitations.join_with_new_account(raw, "Dan", "password")
    assert weak.value.field == "password"
    with pytest.raises(InvalidInput) as two_lines:
        invitations.join_with_new_account(raw, "Dan\nre-enter your password", "a sound passphrase 42")
    assert two_lines.value.field == "name"
    assert not User.objects.filter(email=UNKNOWN).exists()
    assert Invitation.objects.get().is_open


def test_expired_revoked_used_and_altered_links_are_refused(
    alice: User, acme: Organization, charlie: User
) -> None:
    long_ago = timezone.now() - invitations.LIFETIME - timedelta(minutes=1)
    invitations.invite(alice, acme.slug, charlie.email, "viewer", now=long_ago)
    expired = link_secret(mail.outbox[-1])
    assert invitations.open_invitation(expired) is None
    with pytest.raises(InvalidInput, match="not valid"):
        invitations.accept_invitation(charlie, expired)

    fresh = invited(alice, acme, charlie.email, "viewer")  # sent again: a new link, a new week
    assert invitations.open_invitation(expired) is None
    altered = fresh[:-1] + ("A" if fresh[-1] != "A" else "B")
    for bad in (altered, fresh.upper(), "", "x" * 500):
        assert invitations.open_invitation(bad) is None
        with pytest.raises(InvalidInput, match="not valid"):
            invitations.accept_invitation(charlie, bad)

    invitations.accept_invitation(charlie, fresh)
    with pytest.raises(InvalidInput, match="not valid"):  # once only
        invitations.accept_invitation(charlie, fresh)

    revoked = invited(alice, acme, UNKNOWN)
    invitations.revoke_invitation(alice, acme.slug, Invitation.objects.get(email=UNKNOWN).pk)
    with pytest.raises(InvalidInput, match="not valid"):
        invitations.join_with_new_account(revoked, "Nobody", "a sound passphrase 42")
    assert not User.objects.filter(email=UNKNOWN).exists()


def test_resending_replaces_the_link(alice: User, acme: Organization, charlie: User) -> None:
    first = invited(alice, acme, charlie.email)
    invitation = Invitation.objects.get()
    invitations.resend_invitation(alice, acme.slug, invitation.pk)
    second = link_secret(mail.outbox[-1])
    assert first != second
    assert invitations.open_invitation(first) is None
    assert invitations.open_invitation(second) == invitation
    invitations.revoke_invitation(alice, acme.slug, invitation.pk)
    with pytest.raises(InvalidInput, match="revoked"):
        invitations.resend_invitation(alice, acme.slug, invitation.pk)


def test_only_admins_invite_and_only_their_own_organisation(
    alice: User, acme: Organization, bob: User, charlie: User
) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        invitations.invite(bob, acme.slug, UNKNOWN, "admin")
    with pytest.raises(Http404):
        invitations.invite(charlie, acme.slug, UNKNOWN, "admin")
    invited(alice, acme, UNKNOWN)
    invitation = Invitation.objects.get()
    with pytest.raises(Http404):
        invitations.revoke_invitation(charlie, "other-works", invitation.pk)
    with pytest.raises(Http404):
        invitations.resend_invitation(charlie, acme.slug, invitation.pk)
    assert Invitation.objects.get().is_open and len(mail.outbox) == 1


def test_a_member_is_not_invited_again(alice: User, acme: Organization, bob: User) -> None:
    with pytest.raises(InvalidInput, match="member of Acme Plant already"):
        invitations.invite(alice, acme.slug, bob.email, "admin")
    assert not mail.outbox


def test_a_non_member_cannot_be_owner_contributor_or_mentioned(
    alice: User, acme: Organization, bob: User, charlie: User
) -> None:
    for field, value in (("owner", charlie.email), ("owner", charlie.pk), ("contributors", [charlie.email])):
        with pytest.raises(InvalidInput) as refused:
            create_goal(
                alice, {"title": "Re-enter your password", "deadline": date(2031, 6, 30), field: value}
            )
        assert refused.value.field == field and "not a member" in refused.value.message
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    with pytest.raises(InvalidInput):
        update_goal(alice, goal.pk, {"owner": charlie.email})
    with pytest.raises(InvalidInput):
        add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5, "owner": charlie.email})
    add_comment(alice, goal.pk, {"body": "@charlie please re-enter your password, @bob FYI"})
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {bob.email}
    goal.refresh_from_db()
    assert goal.owner == alice and not goal.contributors.exists()


def test_a_member_leaves_and_hears_nothing_more(alice: User, acme: Organization, bob: User) -> None:
    team = create_team(alice, acme.slug, "Night shift")
    team.members.add(bob)
    goal = create_goal(
        alice,
        {
            "title": "Raise OTD to 95%",
            "deadline": date(2031, 6, 30),
            "owner": bob.pk,
            "contributors": [bob.pk],
        },
    )
    milestone = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5, "owner": bob.email})
    enqueue(acme, "reminder", "reminder:before-leaving", "Check in", "Please", recipient=bob)
    with acting_as(bob):
        leave_organization(bob, acme.slug)
    assert not Membership.objects.filter(organization=acme, user=bob).exists()
    goal.refresh_from_db()
    milestone.refresh_from_db()
    assert goal.owner is None and not goal.contributors.exists() and goal.version == 2
    assert milestone.owner is None and not Team.objects.get(pk=team.pk).members.exists()
    assert deliver_due(timezone.now() + timedelta(minutes=1)) == {"sent": 0, "retrying": 0, "failed": 1}
    assert not mail.outbox
    assert "no longer a member" in Delivery.objects.get().last_error
    add_comment(alice, goal.pk, {"body": "@bob are you there?"})
    assert not Notification.objects.filter(key__startswith="mention").exists()
    left = Event.objects.get(object_type="membership", detail="left")
    assert describe(left).text == "Bob Viewer left the organisation" and left.actor == bob
    assert Event.objects.filter(object_type="goal", actor=bob, changes__has_key="owner").exists()


def test_the_last_admin_cannot_leave(alice: User, acme: Organization, bob: User) -> None:
    with pytest.raises(InvalidInput, match="last admin"):
        leave_organization(alice, acme.slug)
    assert Membership.objects.get(organization=acme, user=alice).role == "admin"
    set_member_role(alice, acme.slug, bob.email, "admin")
    leave_organization(alice, acme.slug)
    assert list(Membership.objects.filter(organization=acme).values_list("user__email", "role")) == [
        (bob.email, "admin")
    ]


def test_an_inactive_admin_does_not_count_as_the_other_admin(
    alice: User, acme: Organization, bob: User
) -> None:
    set_member_role(alice, acme.slug, bob.email, "admin")
    bob.is_active = False
    bob.save()
    with pytest.raises(InvalidInput, match="last admin"):
        leave_organization(alice, acme.slug)


def test_an_outsider_cannot_leave_what_they_never_joined(acme: Organization, charlie: User) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        leave_organization(charlie, acme.slug)


def test_invitations_are_in_the_trail(alice: User, acme: Organization, charlie: User) -> None:
    with acting_as(alice):
        raw = invited(alice, acme, charlie.email, "viewer")
    invitation = Invitation.objects.get()
    with acting_as(alice):
        invitations.invite(alice, acme.slug, charlie.email, "owner")
    raw = link_secret(mail.outbox[-1])
    invitations.accept_invitation(charlie, raw)
    invited(alice, acme, UNKNOWN)
    with acting_as(alice):
        invitations.revoke_invitation(alice, acme.slug, Invitation.objects.get(email=UNKNOWN).pk)
    trail = [describe(e).text for e in Event.objects.filter(object_type="invitation").order_by("pk")]
    assert trail == [
        "Alice Admin invited charlie@other.test as Viewer",
        "Alice Admin sent the invitation to charlie@other.test again, as Owner",
        "Charlie Outsider accepted the invitation to charlie@other.test and joined as Owner",
        "Alice Admin invited nobody@nowhere.test as Contributor",
        "Alice Admin revoked the invitation to nobody@nowhere.test",
    ]
    assert {e.organization_id for e in Event.objects.filter(object_type="invitation")} == {acme.pk}
    assert Event.objects.filter(object_type="invitation", object_id=invitation.pk).count() == 3
    assert not Goal.objects.exists()
