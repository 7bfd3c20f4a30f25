"""Titles and names are one line, whichever way they come in; e-mail subjects always are.

A line break in a goal's title used to be stored, and every e-mail about the goal then failed
at the mail library (a subject with a newline is refused) until its tries ran out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from backcast.accounts.models import User
from backcast.goals.models import Goal
from backcast.notifications.models import Delivery, Kind
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal, update_goal
from backcast.services.goals.kpis import add_kpi
from backcast.services.goals.milestones import add_milestone
from backcast.services.goals.resources import create_resource
from backcast.services.notify.outbox import deliver_due, enqueue
from backcast.services.notify.webhooks import create_webhook
from backcast.services.platform.accounts import create_user
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.organizations import create_organization, create_team
from backcast.services.platform.tokens import create_token
from backcast.services.replanning.scenarios import create_scenario
from backcast.text import one_line, validate_one_line

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
# Each sneaks a second line or a hidden control into a one-line field.
ATTACKS = [
    "Raise OTD\r\nBcc: everyone@example.test",
    "Raise OTD\nto 95%",
    "Raise\tOTD",
    "Raise OTD\x00",
    "Raise \x1b[31mOTD",
    "Raise OTD\x85to 95%",
    "Raise OTD\u2028to 95%",
    "Raise OTD\u2029to 95%",
    "Raise OTD\x7f",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_the_validator_refuses_control_characters(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_one_line(text)
    assert caught.value.code == "control_character"
    assert "must be one line" in caught.value.messages[0] and "U+" in caught.value.messages[0]


@pytest.mark.parametrize("text", ["Raise OTD to 95%", "Délais — “on time” ≥ 95 % ✓", "日本の工場", ""])
def test_ordinary_text_passes(text: str) -> None:
    validate_one_line(text)


def test_one_line_collapses_every_break_and_run_of_white_space() -> None:
    assert one_line("Raise OTD\r\nBcc: x@example.test") == "Raise OTD Bcc: x@example.test"
    assert one_line("  a\u2028b\x00c\t\td  ") == "a b c d"


def test_the_model_fields_refuse_them(acme: Organization) -> None:
    goal = Goal(organization=acme, title="Raise OTD\r\nto 95%", deadline=date(2031, 6, 30))
    with pytest.raises(ValidationError) as caught:
        goal.full_clean()
    assert set(caught.value.message_dict) == {"title"}


@pytest.fixture
def goal(alice: User) -> Goal:
    return create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})


def attempts(alice: User, acme: Organization, goal: Goal) -> dict[str, Callable[[str], Any]]:
    """Every service that takes a title or a name, given ``text`` for it."""
    return {
        "goal title": lambda t: create_goal(alice, {"title": t, "deadline": date(2031, 6, 30)}),
        "goal title, changed": lambda t: update_goal(alice, goal.pk, {"title": t}),
        "KPI name": lambda t: add_kpi(alice, goal.pk, {"name": t, "unit": "%", "target": 95}),
        "KPI unit": lambda t: add_kpi(alice, goal.pk, {"name": "OTD", "unit": t, "target": 95}),
        "milestone title": lambda t: add_milestone(alice, goal.pk, {"title": t, "duration": 3}),
        "resource name": lambda t: create_resource(alice, acme.slug, {"name": t, "capacity": 1}),
        "scenario name": lambda t: create_scenario(alice, goal.pk, {"name": t, "changes": {}}),
        "team name": lambda t: create_team(alice, acme.slug, t),
        "organisation name": lambda t: create_organization(t),
        "person name": lambda t: create_user("eve@acme.test", None, org=acme.slug, role="viewer", name=t),
        "token name": lambda t: create_token(alice, t),
        "webhook name": lambda t: create_webhook(
            alice, acme.slug, {"name": t, "url": "https://hooks.example.test/x", "events": [Kind.REMINDER]}
        ),
    }


FIELDS = {
    "goal title": "title",
    "goal title, changed": "title",
    "milestone title": "title",
    "KPI unit": "unit",
}


@pytest.mark.parametrize(
    "what",
    [
        "goal title",
        "goal title, changed",
        "KPI name",
        "KPI unit",
        "milestone title",
        "resource name",
        "scenario name",
        "team name",
        "organisation name",
        "person name",
        "token name",
        "webhook name",
    ],
)
def test_every_service_refuses_a_second_line_by_the_field(
    what: str, alice: User, acme: Organization, goal: Goal
) -> None:
    attempt = attempts(alice, acme, goal)[what]
    with pytest.raises(InvalidInput) as caught:
        attempt("Line one\r\nLine two")
    assert caught.value.field == FIELDS.get(what, "name")
    assert "must be one line" in caught.value.message and "U+000D" in caught.value.message
    assert Goal.objects.get(pk=goal.pk).title == "Raise OTD to 95%"


def test_an_existing_title_with_a_line_break_still_gets_its_email(acme: Organization, carol: User) -> None:
    """A row stored before the rule: its e-mail goes out on the first try, with a one-line subject."""
    subject = "Check in on “Raise OTD\r\nBcc: everyone@example.test”"
    enqueue(acme, Kind.REMINDER, "reminder:1", subject, "Say how it stands.", "/goals/1/", carol, NOW)
    assert deliver_due(NOW) == {"sent": 1, "retrying": 0, "failed": 0}
    [message] = mail.outbox
    assert message.subject == "Check in on “Raise OTD Bcc: everyone@example.test”"
    assert message.bcc == []
    assert Delivery.objects.get().status == Delivery.Status.SENT
