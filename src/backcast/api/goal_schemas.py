"""Request and response shapes for goals, KPIs, readings, milestones and check-ins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from backcast import limits
from backcast.api.inputs import Input
from backcast.api.spec_schemas import from_spec
from backcast.api.versions import VERSION_HELP
from backcast.goals.models import KPI, CheckIn, Comment, Dependency, Goal, Milestone
from backcast.planning.smart import LetterCheck
from backcast.services.goals.kpis import KPIFields
from backcast.services.goals.milestones import MilestoneFields
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment
from backcast.services.reporting.goal_list import ListedGoal
from backcast.services.reporting.progress import goal_progress

Ident = int | str  # a member by id or e-mail address, a team by id or slug


class GoalIn(Input):
    title: str = Field(description="Names the outcome, e.g. 'Raise on-time delivery to 95%'")
    deadline: date = Field(description="Last working day the goal may finish on")
    description: str = ""
    start: date | None = Field(None, description="Earliest day work may begin (default: today)")
    owner: Ident | None = Field(None, description="Member id or e-mail; default: you")
    team: Ident | None = None
    parent: int | None = Field(None, description="The goal or objective this one serves")
    cadence: Literal["weekly", "fortnightly", "monthly"] = "weekly"
    level: Literal["objective", "goal"] = "goal"
    contributors: list[Ident] = []
    organization: str | None = Field(
        None, description="Organisation slug; needed only if you plan in several"
    )


class GoalPatch(Input):
    title: str | None = None
    deadline: date | None = None
    description: str | None = None
    start: date | None = None
    owner: Ident | None = None
    team: Ident | None = None
    parent: int | None = None
    cadence: Literal["weekly", "fortnightly", "monthly"] | None = None
    level: Literal["objective", "goal"] | None = None
    contributors: list[Ident] | None = None
    version: int | None = Field(None, ge=1, description=VERSION_HELP)


class CheckpointOut(Schema):
    date: date
    value: float = Field(description="The interim target on that day")
    pinned: bool = Field(description="Whether a planner pinned it rather than the trajectory deriving it")
    milestones: list[str] = Field(description="Milestones that finish that day")


class CheckpointIn(Input):
    value: float = Field(description="The interim target the trajectory must pass through on that day")


class SmartLetterOut(Schema):
    letter: str = Field(description="S, M, A, R or T")
    name: str
    status: str = Field(description="pass, warn or fail")
    reasons: list[str] = Field(description="What to do about it, one sentence each")


# A goal as the API answers it: a listed goal's fields (declared once, where the list is read),
# resolved here from a Goal, and the SMART check, which only a single goal carries.
class GoalOut(Schema, ListedGoal):
    smart: list[SmartLetterOut] | None = Field(
        None, description="The SMART check, letter by letter (on a single goal; null in lists)"
    )

    @staticmethod
    def resolve_organization(obj: Goal) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_owner(obj: Goal) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_team(obj: Goal) -> str | None:
        return obj.team.slug if obj.team else None

    @staticmethod
    def resolve_parent(obj: Goal) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_contributors(obj: Goal) -> list[str]:
        return [u.email for u in obj.contributors.all()]

    @staticmethod
    def resolve_progress(obj: Goal) -> float | None:
        return goal_progress([obj]).get(obj.pk)

    @staticmethod
    def resolve_smart(obj: Goal) -> list[LetterCheck]:
        return assessment.goal_smart(obj, org_today(obj.organization))


@from_spec(KPIFields)
class KPIIn(Input):
    pass  # the service's fields as it declares them


@from_spec(KPIFields, partial=True)
class KPIPatch(Input):
    version: int | None = Field(None, ge=1, description=VERSION_HELP)


class KPIIds(Schema):
    """A KPI's id and its goal's."""

    id: int
    goal: int

    @staticmethod
    def resolve_goal(obj: KPI) -> int:
        return obj.goal_id


@from_spec(KPIFields, answer=True)
class KPIOut(KPIIds):
    direction: str  # as stored, whatever the choices are now
    source: str
    version: int


class ReadingIn(Input):
    date: date
    value: float
    key: str | None = Field(
        None,
        max_length=100,
        description="Your idempotency key: a reading with a key already recorded is skipped",
    )


class ReadingOut(Schema):
    id: int
    date: date
    value: float
    key: str | None


class ReadingsRecorded(Schema):
    created: int
    duplicates: int


class AfterLink(Input):
    id: int
    lag: int = 0
    type: Literal["FS", "SS", "FF"] = "FS"


@from_spec(MilestoneFields, exclude=("status", "actual_start", "actual_finish"))
class MilestoneIn(Input):
    after: list[int | AfterLink] = []


@from_spec(MilestoneFields, partial=True)
class MilestonePatch(Input):
    after: list[int | AfterLink] | None = None
    version: int | None = Field(None, ge=1, description=VERSION_HELP)


class Link(Schema):
    id: int
    type: str
    lag: int

    # Read from the successor's side of a Dependency: ``id`` is the milestone it follows.
    @staticmethod
    def resolve_id(obj: Dependency) -> int:
        return obj.predecessor_id

    @staticmethod
    def resolve_type(obj: Dependency) -> str:
        return obj.kind


class MilestoneOut(Schema):
    id: int
    goal: int
    title: str
    owner: str | None
    duration: int
    estimate: list[int] | None
    after: list[Link]
    demand: dict[str, int]
    pinned_start: date | None
    pinned_finish: date | None
    parent: int | None
    status: str
    actual_start: date | None
    actual_finish: date | None
    version: int

    # Links and demand come prefetched (api.routes.milestones.milestones_read).
    @staticmethod
    def resolve_goal(obj: Milestone) -> int:
        return obj.goal_id

    @staticmethod
    def resolve_owner(obj: Milestone) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_estimate(obj: Milestone) -> list[int | None] | None:
        return [obj.optimistic, obj.likely, obj.pessimistic] if obj.likely is not None else None

    @staticmethod
    def resolve_after(obj: Milestone) -> list[Dependency]:
        return list(obj.predecessor_links.all())

    @staticmethod
    def resolve_demand(obj: Milestone) -> dict[str, int]:
        return {d.resource.name: d.units for d in obj.demands.all()}

    @staticmethod
    def resolve_parent(obj: Milestone) -> int | None:
        return obj.parent_id


class DependencyIn(Input):
    predecessor: int = Field(description="The milestone that comes first")
    successor: int = Field(description="The milestone that depends on it")
    type: Literal["FS", "SS", "FF"] = Field(
        "FS", description="Finish-to-start, start-to-start or finish-to-finish"
    )
    lag: int = Field(0, description="Working days; negative is a lead")


class DependencyOut(Schema):
    id: int
    predecessor: int
    successor: int
    type: str
    lag: int

    @staticmethod
    def resolve_predecessor(obj: Dependency) -> int:
        return obj.predecessor_id

    @staticmethod
    def resolve_successor(obj: Dependency) -> int:
        return obj.successor_id

    @staticmethod
    def resolve_type(obj: Dependency) -> str:
        return obj.kind


class CommentIn(Input):
    body: str = Field(max_length=limits.TEXT_LENGTH, description="Plain text, up to 5,000 characters")
    milestone: int | None = Field(None, description="A milestone of the goal this remark is about")


class CommentPatch(Input):
    body: str = Field(max_length=limits.TEXT_LENGTH)


class WrittenOut(Schema):
    """What someone wrote on a goal or one of its milestones (a comment or a check-in)."""

    id: int
    goal: int
    milestone: int | None
    author: str | None

    @staticmethod
    def resolve_goal(obj: Comment | CheckIn) -> int:
        return obj.goal_id

    @staticmethod
    def resolve_milestone(obj: Comment | CheckIn) -> int | None:
        return obj.milestone_id

    @staticmethod
    def resolve_author(obj: Comment | CheckIn) -> str | None:
        return obj.author.email if obj.author else None


class CommentOut(WrittenOut):
    body: str
    created_at: datetime
    edited_at: datetime | None


class CheckInIn(Input):
    status: Literal["on_track", "at_risk", "off_track"]
    confidence: int = Field(ge=0, le=10)
    note: str = Field("", max_length=limits.TEXT_LENGTH)
    blockers: str = Field("", max_length=limits.TEXT_LENGTH)
    milestone: int | None = None


class CheckInOut(WrittenOut):
    status: str
    confidence: int
    note: str
    blockers: str
    created_at: datetime


CONFLICT_HELP = "changed by someone else since the version you sent; nothing was written"


class GoalConflict(Schema):
    """409: the goal changed since the version the edit was made from."""

    detail: str
    current: GoalOut = Field(description=f"The goal as GET answers it now ({CONFLICT_HELP})")


class KPIConflict(Schema):
    """409: the KPI changed since the version the edit was made from."""

    detail: str
    current: KPIOut = Field(description=f"The KPI as GET answers it now ({CONFLICT_HELP})")


class MilestoneConflict(Schema):
    """409: the milestone changed since the version the edit was made from."""

    detail: str
    current: MilestoneOut = Field(description=f"The milestone as GET answers it now ({CONFLICT_HELP})")
