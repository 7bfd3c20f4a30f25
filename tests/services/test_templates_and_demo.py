"""Goals from templates, and the demo organisation built from them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backcast.accounts.models import User
from backcast.goals.models import KPI, CheckIn, Dependency, Goal, Milestone, Reading, Resource
from backcast.organizations.models import Organization
from backcast.services.goals.from_templates import create_goal_from_template, weekdays_between
from backcast.services.platform.demo import load_demo
from backcast.services.platform.errors import InvalidInput

TODAY = date(2027, 1, 4)


def test_template_goal_fits_its_deadline(acme: Organization, alice: User) -> None:
    goal = create_goal_from_template(
        alice, acme.slug, "supply-chain", deadline=date(2027, 6, 30), today=TODAY
    )
    assert goal.title == "Raise on-time delivery to 95%"
    assert goal.owner == alice
    assert [k.name for k in goal.kpis.all()] == ["On-time delivery", "Order lead time", "Fill rate"]
    assert goal.milestones.count() == 8
    assert Dependency.objects.filter(successor__goal=goal).count() == 8
    longest = max(m.duration for m in goal.milestones.all())
    assert 10 < longest < weekdays_between(TODAY, date(2027, 6, 30))
    again = create_goal_from_template(
        alice, acme.slug, "supply-chain", deadline=date(2027, 9, 30), today=TODAY
    )
    assert Resource.objects.filter(organization=acme).count() == 2  # reused, not duplicated
    assert (
        again.milestones.get(title__startswith="Roll out").duration
        > goal.milestones.get(title__startswith="Roll out").duration
    )


def test_template_milestones_carry_their_links_in_the_trail(acme: Organization, alice: User) -> None:
    from backcast.activity.models import Event
    from backcast.services.reporting.activity import links_of

    goal = create_goal_from_template(
        alice, acme.slug, "supply-chain", deadline=date(2027, 6, 30), today=TODAY
    )
    linked = 0
    for milestone in goal.milestones.all():
        recorded: dict[str, Any] = {}
        for event in Event.objects.filter(object_type="milestone", object_id=milestone.pk).order_by(
            "at", "pk"
        ):
            recorded.update({name: now for name, _, now in event.change_list()})
        for what in ("after", "demand"):
            assert recorded.get(what, []) == links_of(milestone, what), (milestone.title, what)
            linked += bool(recorded.get(what))
    assert linked > 8  # every dependency's successor and every milestone with demand said so


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"key": "bakery"}, "template"), ({"deadline": date(2026, 12, 1)}, "deadline")],
)
def test_template_faults(acme: Organization, alice: User, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"key": "manufacturing", "deadline": date(2027, 6, 30)} | kwargs
    with pytest.raises(InvalidInput) as caught:
        create_goal_from_template(alice, acme.slug, args.pop("key"), today=TODAY, **args)
    assert caught.value.field == field
    assert not Goal.objects.exists()


def test_weekdays_between() -> None:
    assert weekdays_between(date(2027, 1, 4), date(2027, 1, 8)) == 5
    assert weekdays_between(date(2027, 1, 4), date(2027, 1, 17)) == 10
    assert weekdays_between(date(2027, 1, 9), date(2027, 1, 10)) == 0
    assert weekdays_between(date(2027, 1, 8), date(2027, 1, 4)) == 0


def test_demo_has_something_real_on_every_page(db: Any) -> None:
    login = load_demo(TODAY)
    assert login is not None
    assert login.created
    goals = Goal.objects.filter(organization__name=login.organization)
    assert goals.count() == 4
    assert goals.filter(level="objective").count() == 1
    assert KPI.objects.count() == 9
    assert Reading.objects.count() == 9 * 12
    assert CheckIn.objects.count() == 3 * 6
    assert Milestone.objects.filter(status="done").count() == 3
    assert User.objects.get(email=login.email).check_password(login.password)
    again = load_demo(TODAY)
    assert again is not None
    assert not again.created
    assert Goal.objects.count() == 4


def test_demo_leaves_a_real_installation_alone(alice: User) -> None:
    assert load_demo(TODAY, only_if_empty=True) is None
    assert not Goal.objects.exists()
