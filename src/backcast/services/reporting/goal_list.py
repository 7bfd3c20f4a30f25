"""The goal list of the API: a page of goals with their progress, in a fixed number of queries.

Integrations poll the list, so it should cost little more than the framework under it. It reads
only the goals of the page asked for (not every goal and then a slice), their contributors in
one query, and their progress from the stored goal summaries
(:func:`backcast.services.reporting.portfolio.summaries`): nothing is planned or fitted on this path
unless a goal changed since its summary was stored, and then only that goal. An objective (a
goal without KPIs) progresses as the goals that serve it, rolled up exactly as the dashboard
rolls them up (:func:`backcast.services.reporting.portfolio.rolled_up`), so the list, the dashboard and
a goal's own answer agree.

Most polls find the list as it was, so the API serves a page it rendered before again while the
list's state (:func:`list_state`) is unchanged: read with the API token in one query, from the
stamp of each organisation, which the database moves on every committed write to what a listed
goal shows (:mod:`backcast.goals.stamps`).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, overload

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.views.decorators.debug import sensitive_variables
from pydantic import BaseModel, ConfigDict, Field

from backcast.accounts.models import ApiToken, User
from backcast.database import hot_cursor
from backcast.goals.models import Goal, OrganizationStamp
from backcast.organizations.models import Membership, Organization, Team
from backcast.organizations.tenancy import Action, roles_allowed, user_pk
from backcast.services.platform.clock import zone_today
from backcast.services.platform.tokens import Lookup, lookup_parts
from backcast.services.reporting.portfolio import CHECKS, is_fresh, refresh, rolled_up, summaries

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

ORDER = ["deadline", "title", "pk"]  # the model's order, made total so pages never overlap
# The goal joined to what it has one of: its organisation, stamp and summary. The owner's address
# and the team's slug are subqueries, not joins: joining them too makes PostgreSQL's planner weigh
# nine relations with the tenancy filter, some 30 ms a request against 1 ms this way.
COLUMNS = [
    "pk", "organization_id", "organization__slug", "organization__timezone", "title", "description",
    "level", "deadline", "start", "owner_email", "team_slug", "parent_id", "cadence", "version",
    "updated_at", "stamp__stamp", *CHECKS, "summary__measured", "summary__progress",
]  # fmt: skip
OWNER = Subquery(User.objects.filter(pk=OuterRef("owner_id")).values("email")[:1])
TEAM = Subquery(Team.objects.filter(pk=OuterRef("team_id")).values("slug")[:1])


class ListedGoal(BaseModel):
    """A goal as the API's list shows it: its own columns, contributors' e-mail addresses and progress.

    The API answers a goal in this shape (its schema derives from this one, adding the SMART
    check, which only a single goal carries), so the fields are declared here once.
    """

    model_config = ConfigDict(frozen=True)

    id: int
    organization: str
    title: str
    description: str
    level: str
    deadline: date
    start: date | None
    owner: str | None
    team: str | None
    parent: int | None
    cadence: str
    contributors: list[str]
    version: int
    updated_at: datetime
    progress: float | None = Field(
        description="0..1 from KPI readings, rolled up from aligned goals; null until measured"
    )


class GoalListing(Sequence[ListedGoal]):
    """The goals of ``goals`` (in the model's order), read only as far as they are looked at.

    A sequence for the API's paginator: ``len()`` counts in one query, and a slice reads its
    goals in a fixed number of queries whatever the page size (see :func:`page`). Reading one
    item reads a page of one.
    """

    def __init__(self, goals: QuerySet[Goal]) -> None:
        self.goals = goals.order_by(*ORDER)

    def __len__(self) -> int:
        return self.goals.count()

    @overload
    def __getitem__(self, index: int) -> ListedGoal: ...

    @overload
    def __getitem__(self, index: slice) -> list[ListedGoal]: ...

    def __getitem__(self, index: int | slice) -> ListedGoal | list[ListedGoal]:
        if isinstance(index, int):
            if index < 0:
                index += len(self)
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop or 0) < 0:
            raise ValueError("a goal listing is read in pages: a forward slice without negative bounds")
        return page(list(self.goals.annotate(owner_email=OWNER, team_slug=TEAM).values(*COLUMNS)[index]))


def page(rows: list[dict[str, Any]]) -> list[ListedGoal]:
    """The goals read as ``rows`` (``COLUMNS``), with their contributors (one query) and progress.

    Progress costs no further query on a page of goals whose stored summaries are fresh; see
    :func:`progress_of` for the others.
    """
    if not rows:
        return []
    ids = [r["pk"] for r in rows]
    contributors: dict[int, list[str]] = defaultdict(list)
    for goal_id, email in (
        Goal.contributors.through.objects.filter(goal_id__in=ids)
        .order_by("user__email")
        .values_list("goal_id", "user__email")
    ):
        contributors[goal_id].append(email)
    shares = progress_of(rows)
    return [
        ListedGoal(
            id=r["pk"],
            organization=r["organization__slug"],
            title=r["title"],
            description=r["description"],
            level=r["level"],
            deadline=r["deadline"],
            start=r["start"],
            owner=r["owner_email"],
            team=r["team_slug"],
            parent=r["parent_id"],
            cadence=r["cadence"],
            contributors=contributors[r["pk"]],
            version=r["version"],
            updated_at=r["updated_at"],
            progress=shares.get(r["pk"]),
        )
        for r in rows
    ]


def progress_of(rows: list[dict[str, Any]]) -> dict[int, float | None]:
    """Progress of the goals read as ``rows``, from their stored summaries, objectives rolled up.

    A goal with KPIs needs only its own summary, read with it; a stale one is computed again
    (:func:`~backcast.services.reporting.portfolio.refresh`). A goal without KPIs (an objective) needs
    those of the goals below it, so then the summaries of its whole organisation are read, as
    the dashboard reads them: one more query for each distinct "today" of the organisations on
    the page (usually one).
    """
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_day[zone_today(r["organization__timezone"])].append(r)
    result: dict[int, float | None] = {}
    for today, group in by_day.items():
        own = {r["pk"]: (r["summary__measured"], r["summary__progress"]) for r in group if is_fresh(r, today)}
        stale = {r["pk"]: r["stamp__stamp"] or 0 for r in group if r["pk"] not in own}
        if stale:
            own.update((pk, (s.measured, s.progress)) for pk, s in refresh(stale, today).items())
        if all(measured for measured, _ in own.values()):
            result.update((pk, share) for pk, (_, share) in own.items())
            continue
        orgs = {r["organization_id"] for r in group}
        every = summaries(Goal.objects.filter(organization_id__in=orgs).order_by("pk"), today)
        children: dict[int, list[int]] = defaultdict(list)
        for s in every:
            if s.parent_id is not None:
                children[s.parent_id].append(s.pk)
        rolled, _ = rolled_up(every, children)
        result.update((pk, rolled.get(pk)) for pk in own)
    return result


@dataclass(frozen=True, slots=True)
class OrganizationState:
    """What the goal list of one organisation is a function of, as far as it can change.

    ``stamp`` is the organisation's stamp, which the database moves whenever a write to what any
    of its goals shows commits, a goal is created, trashed, restored or deleted
    (:class:`~backcast.goals.models.OrganizationStamp`); ``today`` turns with the organisation's
    day (progress is of a day). The slug and time zone are the organisation's own row.
    """

    id: int
    slug: str
    timezone: str
    stamp: int
    today: date


def list_state(user: AnyUser) -> tuple[OrganizationState, ...]:
    """The state of the goal lists ``user`` may read, one entry per organisation, in one query.

    Two calls answering the same tuple mean the same goals list the same way, so a page rendered
    for one may be served for the other (any other user with the same organisations too: the
    list shows nothing of the reader). Read it *before* the page it labels: a write landing in
    between then makes the page newer than its label, never older, and the next read of the
    state, seeing that write, no longer matches it.
    """
    if not user.is_authenticated or not user.is_active:
        return ()  # as Goal.objects.restrict: nothing
    with hot_cursor() as cursor:
        cursor.execute(state_sql(connection.vendor), [*roles_allowed(Action.VIEW), user_pk(user)])
        return states(cursor.fetchall())


@sensitive_variables("raw")  # an error report must not show the raw token
def authenticate_with_state(raw: str) -> tuple[ApiToken, tuple[OrganizationState, ...]] | None:
    """The active token matching ``raw``, as ``services.platform.tokens.authenticate_token`` finds it, and
    the ``list_state`` of its user, in one query: the goal list is what integrations poll, and a
    round trip to the database costs a served page about as much as the query itself."""
    lookup = Lookup.of(raw)
    if lookup is None:
        return None
    with hot_cursor() as cursor:
        cursor.execute(
            token_state_sql(connection.vendor),
            [lookup.touch_before, *roles_allowed(Action.VIEW), lookup.digest],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    return lookup.accept(rows[0]), states(
        [row[Lookup.WIDTH :] for row in rows if row[Lookup.WIDTH] is not None]
    )


# The state of an organisation's goal list (see OrganizationState), from its membership ``m``.
# Raw SQL over the models' table names (never input): it runs on every poll of the list, and
# the ORM's building of a query costs more than PostgreSQL's answering it.
STATE_COLUMNS = "o.id, o.slug, o.timezone, coalesce(os.stamp, 0)"


def state_joins() -> str:
    return (
        f"LEFT JOIN {Organization._meta.db_table} o ON o.id = m.organization_id"
        f" LEFT JOIN {OrganizationStamp._meta.db_table} os ON os.organization_id = o.id"
    )


def viewing_roles() -> str:
    return ", ".join(["%s"] * len(roles_allowed(Action.VIEW)))


@functools.cache
def state_sql(vendor: str) -> str:
    """``list_state``'s query (for the database ``vendor``); parameters: the viewing roles, the user."""
    return (
        f"SELECT {STATE_COLUMNS} FROM {Membership._meta.db_table} m {state_joins()}"  # noqa: S608
        f" WHERE m.role IN ({viewing_roles()}) AND m.user_id = %s ORDER BY o.id"
    )


@functools.cache
def token_state_sql(vendor: str) -> str:
    """``authenticate_with_state``'s query: the token lookup's columns, then a state a row (none
    when the user is a member nowhere: one row of nulls). Parameters: the lookup's
    ``touch_before``, the viewing roles, the lookup's digest."""
    columns, tables, where = lookup_parts(vendor)
    return (
        f"SELECT {columns}, {STATE_COLUMNS} FROM {tables}"  # noqa: S608
        f" LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id AND m.role IN ({viewing_roles()})"
        f" {state_joins()} WHERE {where} ORDER BY o.id"
    )


def states(rows: list[Any]) -> tuple[OrganizationState, ...]:
    return tuple(
        OrganizationState(pk, slug, zone, int(stamp), zone_today(zone)) for pk, slug, zone, stamp in rows
    )
