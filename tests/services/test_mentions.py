"""@mentions: who a handle names, who is notified, and only the newly named after an edit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from backcast.accounts.models import User
from backcast.goals.models import Goal
from backcast.notifications.mentions import handles
from backcast.notifications.models import Notification
from backcast.organizations.models import Organization
from backcast.services.goals.comments import add_comment, edit_comment
from backcast.services.goals.goals import create_goal
from backcast.services.notify.mentions import mentioned
from backcast.services.notify.outbox import deliver_due
from backcast.web.templatetags.mentions import mentions
from tests.conftest import make_user


@pytest.fixture
def goal(alice: User) -> Goal:
    return create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})


def recipients() -> list[str]:
    return sorted(Notification.objects.exclude(recipient=None).values_list("recipient__email", flat=True))


def test_handles_are_local_parts_or_addresses() -> None:
    text = "@Bob see this; cc @carol.x and (@dave@acme.test). Mail ana@plant.example, not @."
    assert handles(text) == {"bob", "carol.x", "dave@acme.test"}
    assert handles("no mentions here, x@y.z") == set()


def test_a_mention_notifies_the_member(goal: Goal, alice: User, bob: User, carol: User) -> None:
    comment = add_comment(alice, goal.pk, {"body": "@BOB and @carol: carrier data is in. @alice noted."})
    assert recipients() == [bob.email, carol.email]  # not the author
    note = Notification.objects.get(recipient=bob)
    assert note.key == f"mention:{comment.pk}:{bob.pk}"
    assert note.subject == "Alice Admin mentioned you on “Raise OTD to 95%”"
    assert note.link == f"/goals/{goal.pk}/comments/#comment-{comment.pk}"
    deliver_due(timezone.now())
    assert sorted(m.to[0] for m in mail.outbox) == [bob.email, carol.email]


def test_outsiders_and_unknown_handles_are_not_notified(goal: Goal, alice: User, charlie: User) -> None:
    add_comment(alice, goal.pk, {"body": "@charlie @nobody @charlie@other.test"})
    assert not Notification.objects.exists()


def test_a_shared_local_part_needs_the_address(
    goal: Goal, alice: User, acme: Organization, bob: User
) -> None:
    other_bob = make_user("bob@elsewhere.test", acme.slug, "viewer", "Other Bob")
    assert mentioned(acme, "@bob") == []
    assert mentioned(acme, "@bob@elsewhere.test") == [other_bob]
    add_comment(alice, goal.pk, {"body": "@bob@acme.test please look"})
    assert recipients() == [bob.email]


def test_editing_notifies_only_the_newly_mentioned(goal: Goal, alice: User, bob: User, carol: User) -> None:
    comment = add_comment(alice, goal.pk, {"body": "@bob first"})
    edit_comment(alice, comment.pk, {"body": "@bob first, and @carol too"})
    edit_comment(alice, comment.pk, {"body": "@bob first, and @carol too (typo fixed)"})
    edit_comment(alice, comment.pk, {"body": "only @carol now"})
    edit_comment(alice, comment.pk, {"body": "@bob again"})  # named before: never twice
    assert Notification.objects.filter(recipient=bob).count() == 1
    assert Notification.objects.filter(recipient=carol).count() == 1


def test_a_refused_comment_notifies_nobody(goal: Goal, alice: User, bob: User) -> None:
    from backcast.services.platform.errors import InvalidInput

    with pytest.raises(InvalidInput):
        add_comment(alice, goal.pk, {"body": "@bob " + "x" * 6000})
    assert not Notification.objects.exists()


def test_mentions_are_marked_and_everything_is_escaped() -> None:
    html = str(mentions("<script>x</script> @bob\n@<b>"))
    assert html == '&lt;script&gt;x&lt;/script&gt; <mark class="mention">@bob</mark><br>@&lt;b&gt;'
