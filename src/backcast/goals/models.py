"""The five steps of the method as data: goals, KPIs with readings, milestones, check-ins.

Models persist; they do not plan. The plan of a goal is computed by ``backcast.planning`` from
these rows, through the services. Every model is reached through ``restrict`` (tenancy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now

from backcast.organizations.models import Organization, Team
from backcast.organizations.tenancy import Action, TenantQuerySet
from backcast.text import validate_one_line

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

M = TypeVar("M", bound=models.Model)


class LiveManager(models.Manager[M]):
    """The default manager of a model whose rows can be in the trash: it hides them.

    Goals and milestones are deleted softly (``deleted_at``), so that a deletion can be undone for
    the trash's retention period (``TRASH_RETENTION_DAYS``; :mod:`backcast.services.goals.trash`).
    Every query through ``objects`` (and every related manager, which Django derives from the
    default manager) sees only live rows: :meth:`hide` is the filter that keeps them.
    ``all_objects`` sees the trash too; the base manager, which Django uses to follow a foreign key
    and to cascade a deletion, is a plain one and hides nothing.

    Rows under a trashed goal or milestone are hidden with ``NOT IN`` the (short) list of trashed
    ids rather than by a join: a join would make ``select_for_update`` lock the goal row too (and
    fail on PostgreSQL across an outer join), and it would change no plan.
    """

    def hide(self) -> models.Q:
        return models.Q()

    def get_queryset(self) -> TenantQuerySet[M]:
        return TenantQuerySet(self.model, using=self._db).filter(self.hide())

    def restrict(self, user: AnyUser, action: Action = Action.VIEW) -> TenantQuerySet[M]:
        return self.get_queryset().restrict(user, action)


def trashed(model: type[Goal] | type[Milestone]) -> models.QuerySet[models.Model]:
    """The ids of the goals or milestones in the trash, as a subquery."""
    return model._base_manager.filter(deleted_at__isnull=False).values("pk")  # type: ignore[return-value]


class LiveGoals(LiveManager["Goal"]):
    def hide(self) -> models.Q:
        return models.Q(deleted_at__isnull=True)


class LiveMilestones(LiveManager["Milestone"]):
    """Milestones neither in the trash themselves nor of a goal in the trash."""

    def hide(self) -> models.Q:
        return models.Q(deleted_at__isnull=True) & ~models.Q(goal_id__in=trashed(Goal))


class LiveDependencies(LiveManager["Dependency"]):
    """A link drops out of every plan while either of its milestones is in the trash."""

    def hide(self) -> models.Q:
        gone = trashed(Milestone)
        return ~models.Q(predecessor_id__in=gone) & ~models.Q(successor_id__in=gone)


class LiveDemands(LiveManager["Demand"]):
    def hide(self) -> models.Q:
        return ~models.Q(milestone_id__in=trashed(Milestone))


class LiveKPIs(LiveManager["KPI"]):
    def hide(self) -> models.Q:
        return ~models.Q(goal_id__in=trashed(Goal))


class LiveRemarks(LiveManager[M]):
    """Check-ins and comments of live goals, on the goal or on a live milestone."""

    def hide(self) -> models.Q:
        return ~models.Q(goal_id__in=trashed(Goal)) & ~models.Q(milestone_id__in=trashed(Milestone))


class Trashable(models.Model):
    """The two columns of a row that can be in the trash: when it was deleted, and by whom.

    Set by ``services.goals.trash`` only; the model's default manager (a :class:`LiveManager`) hides
    the row while they are set.
    """

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True


class Cadence(models.TextChoices):
    """How often a goal is reviewed."""

    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"


class Goal(Trashable):
    """An end goal with its deadline, or an organisational objective that goals align to.

    ``parent`` forms the alignment tree from the organisation's objectives down to team goals.
    ``version`` grows with every change, so a stale edit can be recognised. A goal in the trash
    (``deleted_at`` set) is hidden from ``objects`` until restored or purged (``services.goals.trash``).
    """

    tenant_path = "organization"

    class Level(models.TextChoices):
        OBJECTIVE = "objective", "Organisational objective"
        GOAL = "goal", "Goal"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="goals")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="goals")
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.GOAL)
    title = models.CharField(max_length=200, validators=[validate_one_line])
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_goals"
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="contributed_goals"
    )
    start = models.DateField(null=True, blank=True, help_text="Earliest day work may begin")
    deadline = models.DateField(help_text="Last working day the goal may finish on")
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.WEEKLY)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[TenantQuerySet[Goal]] = LiveGoals()  # type: ignore[assignment]
    all_objects: ClassVar[TenantQuerySet[Goal]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["deadline", "title"]
        indexes = [models.Index(fields=["organization", "deadline"])]

    def __str__(self) -> str:
        return self.title


class KPI(models.Model):
    """A measure that proves the goal: where it starts (baseline) and where it must get (target).

    Progress is computed from readings, never typed in. ``band_low``/``band_high`` apply to the
    keep-within-a-band direction.
    """

    tenant_path = "goal__organization"
    trash_path = "goal"  # restrict() hides the rows of a goal in the trash

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase"
        DECREASE = "decrease", "Decrease"
        BAND = "band", "Stay within a band"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual entry"
        IMPORT = "import", "CSV/XLSX import"
        API = "api", "API push"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=120, validators=[validate_one_line])
    unit = models.CharField(max_length=30, validators=[validate_one_line])
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INCREASE)
    baseline = models.FloatField(null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target = models.FloatField()
    target_date = models.DateField(null=True, blank=True, help_text="Defaults to the goal's deadline")
    band_low = models.FloatField(null=True, blank=True)
    band_high = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[TenantQuerySet[KPI]] = LiveKPIs()  # type: ignore[assignment]

    # The fields people set, in the order the audit trail lists them: the page forms, the API's
    # bodies and answers, the service and the trail take them from here.
    FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "unit",
        "direction",
        "baseline",
        "baseline_date",
        "target",
        "target_date",
        "band_low",
        "band_high",
        "source",
    )

    class Meta:
        ordering = ["goal", "id"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class Reading(models.Model):
    """One value of a KPI on one day. ``key`` is the client's idempotency key, unique per KPI."""

    tenant_path = "kpi__goal__organization"
    trash_path = "kpi__goal"

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="readings")
    date = models.DateField()
    value = models.FloatField()
    key = models.CharField(max_length=100, null=True, blank=True)
    recorded_at = models.DateTimeField(default=now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    objects: ClassVar[TenantQuerySet[Reading]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["kpi", "date", "id"]
        constraints = [models.UniqueConstraint(fields=["kpi", "key"], name="reading_key_unique_per_kpi")]
        indexes = [models.Index(fields=["kpi", "date"])]

    def __str__(self) -> str:
        return f"{self.kpi.name} {self.date}: {self.value}"


class Checkpoint(models.Model):
    """An interim target a planner pinned on a KPI: the trajectory passes through it on that day.

    Without pins the interim targets run in a straight line from the baseline to the target;
    each pin bends the line so it passes through the pinned value.
    """

    tenant_path = "kpi__goal__organization"
    trash_path = "kpi__goal"

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="checkpoints")
    date = models.DateField()
    value = models.FloatField()
    pinned_at = models.DateTimeField(default=now)
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    objects: ClassVar[TenantQuerySet[Checkpoint]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="one_checkpoint_per_kpi_and_day")]

    def __str__(self) -> str:
        return f"{self.kpi.name} {self.date}: {self.value}"


class Milestone(Trashable):
    """A step on the way to the goal, planned backward from its deadline.

    Either ``duration`` (working days) or a three-point estimate; ``parent`` nests milestones.
    Pinned dates constrain the planner; actual dates record what happened. A milestone in the
    trash, or of a goal in the trash, is hidden from ``objects``, and so are its dependencies and
    demands: it drops out of the plan until restored.
    """

    tenant_path = "goal__organization"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    title = models.CharField(max_length=200, validators=[validate_one_line])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    duration = models.PositiveIntegerField(default=0, help_text="Working days; 0 makes a checkpoint")
    optimistic = models.PositiveIntegerField(null=True, blank=True)
    likely = models.PositiveIntegerField(null=True, blank=True)
    pessimistic = models.PositiveIntegerField(null=True, blank=True)
    pinned_start = models.DateField(null=True, blank=True)
    pinned_finish = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    actual_start = models.DateField(null=True, blank=True)
    actual_finish = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[TenantQuerySet[Milestone]] = LiveMilestones()  # type: ignore[assignment]
    all_objects: ClassVar[TenantQuerySet[Milestone]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    # The fields people set, in the order the audit trail lists them (see KPI.FIELDS); the
    # services take the three-point estimate as one field, and a milestone's links and demand.
    FIELDS: ClassVar[tuple[str, ...]] = (
        "title",
        "owner",
        "duration",
        "optimistic",
        "likely",
        "pessimistic",
        "pinned_start",
        "pinned_finish",
        "status",
        "actual_start",
        "actual_finish",
        "parent",
    )

    class Meta:
        ordering = ["goal", "id"]

    def __str__(self) -> str:
        return self.title


class Dependency(models.Model):
    """``successor`` may start only after ``predecessor`` (finish-to-start by default), plus ``lag``."""

    tenant_path = "successor__goal__organization"
    trash_path = "successor__goal"

    class Kind(models.TextChoices):
        FINISH_START = "FS", "Finish to start"
        START_START = "SS", "Start to start"
        FINISH_FINISH = "FF", "Finish to finish"

    predecessor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="predecessor_links")
    kind = models.CharField(max_length=2, choices=Kind.choices, default=Kind.FINISH_START)
    lag = models.IntegerField(default=0, help_text="Working days; negative is a lead")

    objects: ClassVar[TenantQuerySet[Dependency]] = LiveDependencies()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="one_dependency_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")), name="no_self_dependency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} -> {self.successor}"


class Resource(models.Model):
    """People or a crew with a capacity in units per working day, that milestones draw on."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="resources")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="resources")
    name = models.CharField(max_length=120, validators=[validate_one_line])
    capacity = models.PositiveIntegerField(default=1)

    objects: ClassVar[TenantQuerySet[Resource]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="resource_name_unique_in_org")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.capacity}/day)"


class Demand(models.Model):
    """Units of a resource a milestone uses on each of its working days."""

    tenant_path = "milestone__goal__organization"
    trash_path = "milestone__goal"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="demands")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="demands")
    units = models.PositiveIntegerField()

    objects: ClassVar[TenantQuerySet[Demand]] = LiveDemands()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["milestone", "resource"], name="one_demand_per_resource")
        ]


class CheckIn(models.Model):
    """A person's word on a goal or one of its milestones at a review: status, confidence, blockers."""

    tenant_path = "goal__organization"
    trash_path = "goal"

    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OFF_TRACK = "off_track", "Off track"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="checkins"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="checkins"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    confidence = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    note = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[CheckIn]] = LiveRemarks()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["goal", "created_at"])]

    def __str__(self) -> str:
        return f"{self.goal} {self.status} ({self.confidence}/10)"


class Comment(models.Model):
    """A remark on a goal or one of its milestones: the conversation next to the plan.

    The body is plain text, always shown escaped. ``edited_at`` is set when its author changes it.
    """

    tenant_path = "goal__organization"
    trash_path = "goal"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="comments")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=now)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[TenantQuerySet[Comment]] = LiveRemarks()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["goal", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.goal_id}"


class GoalStamp(models.Model):
    """A counter the database adds one to whenever a row a goal's summary or list entry is read
    from changes.

    Triggers (:mod:`backcast.goals.stamps`) bump it, in the writer's transaction, on every update
    of the goal, every insert, update or delete of its milestones, dependencies, demands, the
    resources they draw on, its KPIs, readings, checkpoints and check-ins, its contributors, and
    on a change of its team's slug or of its owner's or a contributor's address, whoever writes:
    services, the admin, ``bulk_create``, ``QuerySet.update`` or raw SQL. No foreign key: deleting
    a goal deletes its rows after Django would have deleted the stamp, and their triggers would
    bump it again; an orphan stamp is harmless (ids are not reused) and is purged after each
    ``migrate``.
    """

    goal = models.OneToOneField(
        Goal, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="stamp"
    )
    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"goal {self.goal_id} stamp {self.stamp}"


class OrganizationStamp(models.Model):
    """A counter the database adds one to when a transaction that moved any of an organisation's
    goal stamps, or created or deleted one of its goals, commits.

    The goal list's pages are served again while it holds (``services.reporting.goal_list.list_state``),
    so one row answers for every goal of the organisation. On PostgreSQL it is bumped at commit
    (a deferred trigger, :mod:`backcast.goals.stamps`), so a writer holds its row only while it
    commits, and a transaction touching several organisations bumps them in id order: writers do
    not wait on each other for it, nor deadlock over it. No foreign key, as for goal stamps.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="stamp"
    )
    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"organisation {self.organization_id} stamp {self.stamp}"


class GoalSummary(models.Model):
    """What the dashboard shows of a goal, as ``backcast.services.reporting.portfolio`` computed it on ``day``.

    Valid while the goal's :class:`GoalStamp` still holds ``stamp``, the organisation's today is
    ``day`` and the code that computes it is at ``version``; otherwise it is computed again and
    replaced. It is a cache that survives restarts and is shared by every app process, never a
    source of truth. ``next_due`` and ``due`` list open milestones as ``[id, start, finish, late,
    behind]`` (ISO dates): the first three by planned finish, and those due within two weeks of
    ``day`` or behind their plan.
    """

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, primary_key=True, related_name="summary")
    stamp = models.BigIntegerField()
    day = models.DateField()
    version = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=now)
    status = models.CharField(max_length=10, blank=True)  # health; "" when there is nothing to judge
    measured = models.BooleanField()  # has KPIs: its progress is theirs, not its children's
    progress = models.FloatField(null=True)
    feasible = models.BooleanField(null=True)
    required_start = models.DateField(null=True)
    min_slack = models.IntegerField(null=True)
    probability = models.FloatField(null=True)
    slack_left = models.IntegerField(null=True)
    slack_milestone = models.CharField(max_length=200, blank=True)
    plan_error = models.TextField(blank=True)
    unowned = models.PositiveIntegerField(default=0)  # open milestones nobody owns
    next_due = models.JSONField(default=list)
    due = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"summary of goal {self.goal_id} on {self.day}"
