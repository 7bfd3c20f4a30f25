"""Database triggers that bump a goal's :class:`~backcast.goals.models.GoalStamp` on every write.

The dashboard reads each goal's stored summary (``services.reporting.portfolio``) and trusts it while the
goal's stamp has not moved. So the stamp must move on *every* write to the rows the summary is
computed from or the goal list shows of the goal (its contributors, its team's slug, its owner's
and contributors' addresses), whoever makes it: the services, the admin, ``bulk_create`` (which
sends no Django signal; readings are recorded that way), ``QuerySet.update``, a raw SQL import.
Only the database sees them all. Reading the rows back on each request to digest them would be
exact too, but with 1,000 goals and 200,000 readings those queries alone take about 100 ms on
PostgreSQL.

Both databases get row-level triggers that upsert the stamp (a goal's first change creates it
at 1). On PostgreSQL a transaction bumps each goal once, however many rows it writes (see
:func:`postgres_sql`): an import of 200,000 readings takes about 10% longer than without them.
SQLite runs a trigger for every row and has no state to skip it by, so a file import turns the
readings' trigger off for its transaction and bumps its goal once (:func:`inserts_bump_once`);
other bulk writes there pay a trigger a row.

Each bump also moves the stamp of the goal's organisation
(:class:`~backcast.goals.models.OrganizationStamp`), as does a goal created or deleted: the API's
goal list serves a page again while its organisations' stamps hold (``services.reporting.goal_list``). On
PostgreSQL that bump waits for the commit (:func:`postgres_organization_sql`), so writers to one
organisation do not queue on its row for their whole transaction, nor deadlock over it.

The triggers are dropped before ``migrate`` applies migrations and created again after it
(``pre_migrate`` and ``post_migrate``, connected in ``GoalsConfig.ready``): migrations never run
with them (SQLite alters a table by copying it, which would lose them or trip over them, and a
renamed column would break them), they always follow the current schema, and as a migration
may change any data, every stamp is bumped after it. A ``migrate`` with nothing to apply (every
``backcast serve`` runs one) only replaces them, in one transaction, and bumps nothing.

The SQL is assembled from the models' table and column names only, never from input (hence the
S608 waivers).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import AppConfig
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from backcast.goals.models import (
    KPI,
    CheckIn,
    Checkpoint,
    Demand,
    Dependency,
    Goal,
    GoalStamp,
    Milestone,
    OrganizationStamp,
    Reading,
    Resource,
)
from backcast.organizations.models import Organization

PREFIX = "backcast_stamp_"
BUMP = "backcast_stamp"  # the PostgreSQL function that bumps one goal's stamp once a transaction
NOTE = "backcast_note_organization"  # notes an organisation to bump at commit (PostgreSQL)
ORGANIZATIONS = "backcast_organization_stamps"  # bumps the noted organisations' stamps
GOAL_ROWS = "backcast_goal_rows"  # a goal created or deleted moves its organisation's stamp
# What a transaction notes against a goal or key it has bumped by; forget() changes it.
MARK = "'y' || coalesce(current_setting('backcast.generation', true), '')"
EVENTS = ("insert", "update", "delete")


@dataclass(frozen=True, slots=True)
class Watch:
    """A table whose writes change goals' summaries.

    ``keys`` are the columns of a row that lead to its goal; ``goals`` selects the ``goal_id``
    of the goals a key value ``{key}`` leads to.
    """

    table: str
    keys: tuple[str, ...]
    goals: str
    events: tuple[str, ...] = EVENTS
    columns: tuple[str, ...] = ()  # if set, an update bumps only when it sets one of these

    def timing(self, event: str) -> str:
        """The trigger's ``AFTER ...`` clause for ``event`` (``UPDATE OF`` its columns if any)."""
        if event == "update" and self.columns:
            return f"AFTER UPDATE OF {', '.join(self.columns)} ON {self.table}"
        return f"AFTER {event.upper()} ON {self.table}"


def watches() -> list[Watch]:
    kpi, milestone, demand = KPI._meta.db_table, Milestone._meta.db_table, Demand._meta.db_table
    goal, contributors = Goal._meta.db_table, Goal.contributors.through._meta.db_table
    # The models of a goal's team and owner, through its fields: this app imports no other's models.
    team, user = (Goal._meta.get_field(name).related_model._meta.db_table for name in ("team", "owner"))  # type: ignore[union-attr]
    itself = "SELECT {key} AS goal_id"
    of_kpi = f"SELECT goal_id FROM {kpi} WHERE id = {{key}}"  # noqa: S608
    of_milestone = f"SELECT goal_id FROM {milestone} WHERE id = {{key}}"  # noqa: S608
    return [
        Watch(goal, ("id",), itself, ("update",)),
        # What the goal list shows of a goal besides its own row (services.reporting.goal_list): its
        # contributors, its team's slug and the addresses of its owner and contributors.
        Watch(contributors, ("goal_id",), itself),
        Watch(
            team,
            ("id",),
            f"SELECT id AS goal_id FROM {goal} WHERE team_id = {{key}} ORDER BY 1",  # noqa: S608
            ("update",),
            ("slug",),
        ),
        Watch(
            user,
            ("id",),
            f"SELECT id AS goal_id FROM {goal} WHERE owner_id = {{key}}"  # noqa: S608
            f" UNION SELECT goal_id FROM {contributors} WHERE user_id = {{key}} ORDER BY 1",
            ("update",),
            ("email",),
        ),
        Watch(milestone, ("goal_id",), itself),
        Watch(KPI._meta.db_table, ("goal_id",), itself),
        Watch(CheckIn._meta.db_table, ("goal_id",), itself),
        Watch(Reading._meta.db_table, ("kpi_id",), of_kpi),
        Watch(Checkpoint._meta.db_table, ("kpi_id",), of_kpi),
        Watch(Dependency._meta.db_table, ("predecessor_id", "successor_id"), of_milestone),
        Watch(demand, ("milestone_id",), of_milestone),
        Watch(
            Resource._meta.db_table,
            ("id",),
            f"SELECT DISTINCT m.goal_id FROM {demand} d JOIN {milestone} m ON m.id = d.milestone_id"  # noqa: S608
            " WHERE d.resource_id = {key} ORDER BY 1",  # in goal order: writers lock stamps alike
            ("update",),
        ),
    ]


def rows(event: str) -> list[str]:
    return {"insert": ["NEW"], "delete": ["OLD"]}.get(event, ["OLD", "NEW"])


def postgres_sql(w: Watch) -> list[str]:
    """Row-level triggers whose function returns at once for every row after the first of a key.

    A transaction bumps each goal once: the bump and each key it came by are noted in
    transaction-local settings (``set_config(..., true)``, undone with the transaction or
    savepoint). So an import of 100,000 readings, one INSERT each, costs one bump, not 100,000
    updates of one row (which PostgreSQL would keep as 100,000 row versions until commit). The
    check is in the function, not in a WHEN clause: PostgreSQL prepares a WHEN clause for every
    statement, which costs an import of single-row INSERTs a third more.
    :func:`forget` makes the transaction bump again, once it stored summaries.
    """
    body = ["DECLARE g bigint;", "BEGIN"]
    for row in ("NEW", "OLD"):
        ops = "'INSERT', 'UPDATE'" if row == "NEW" else "'UPDATE', 'DELETE'"
        body.append(f"  IF TG_OP IN ({ops}) THEN")
        for key in w.keys:
            note = f"'backcast.{w.table}_' || {row}.{key}"
            body += [
                f"    IF current_setting({note}, true) IS DISTINCT FROM {MARK} THEN",
                f"      FOR g IN {w.goals.format(key=f'{row}.{key}')} LOOP PERFORM {BUMP}(g); END LOOP;",
                f"      PERFORM set_config({note}, {MARK}, true);",
                "    END IF;",
            ]
        body.append("  END IF;")
    body += ["  RETURN NULL;", "END"]
    function = f"{PREFIX}{w.table}"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + "\n".join(body)
        + "\n$$",
        *(
            f"CREATE TRIGGER {function}_{event} {w.timing(event)} FOR EACH ROW EXECUTE FUNCTION {function}()"
            for event in w.events
        ),
    ]


def postgres_bump() -> str:
    stamp = GoalStamp._meta.db_table
    return (
        f"CREATE OR REPLACE FUNCTION {BUMP}(g bigint) RETURNS void LANGUAGE plpgsql AS $$\n"  # noqa: S608
        "BEGIN\n"
        f"  IF g IS NOT NULL AND current_setting('backcast.goal_' || g, true) IS DISTINCT FROM {MARK} THEN\n"
        f"    PERFORM {NOTE}((SELECT organization_id FROM {Goal._meta.db_table} WHERE id = g));\n"
        f"    INSERT INTO {stamp} (goal_id, stamp) VALUES (g, 1)\n"
        f"    ON CONFLICT (goal_id) DO UPDATE SET stamp = {stamp}.stamp + 1;\n"
        f"    PERFORM set_config('backcast.goal_' || g, {MARK}, true);\n"
        "  END IF;\n"
        "END\n$$"
    )


def postgres_organization_sql() -> list[str]:
    """The organisations' stamps on PostgreSQL, bumped when the transaction commits.

    A goal's bump notes its organisation in a transaction-local list (``backcast.orgs``; undone
    with a rolled-back savepoint like the rest). A constraint trigger on the goal stamps,
    deferred to the commit, bumps every organisation on the list, in id order, and empties it:
    the first such trigger of the commit does the work, the others find the list empty. A goal
    created or deleted notes its organisation itself (a deleted goal can no longer be looked up).
    """
    orgs, goal, stamp = OrganizationStamp._meta.db_table, Goal._meta.db_table, GoalStamp._meta.db_table
    listed = "current_setting('backcast.orgs', true)"
    return [
        f"CREATE OR REPLACE FUNCTION {NOTE}(o bigint) RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF o IS NOT NULL AND current_setting('backcast.org_' || o, true) IS DISTINCT FROM {MARK} THEN\n"
        f"    PERFORM set_config('backcast.org_' || o, {MARK}, true);\n"
        f"    PERFORM set_config('backcast.orgs', coalesce({listed}, '') || o || ',', true);\n"
        "  END IF;\n"
        "END\n$$",
        f"CREATE OR REPLACE FUNCTION {ORGANIZATIONS}() RETURNS trigger LANGUAGE plpgsql AS $$\n"  # noqa: S608
        "DECLARE o bigint;\n"
        "BEGIN\n"
        f"  IF coalesce({listed}, '') = '' THEN RETURN NULL; END IF;\n"
        f"  FOR o IN SELECT DISTINCT x::bigint FROM unnest(string_to_array(rtrim({listed}, ','), ',')) x ORDER BY 1 LOOP\n"
        f"    INSERT INTO {orgs} (organization_id, stamp) VALUES (o, 1)\n"
        f"    ON CONFLICT (organization_id) DO UPDATE SET stamp = {orgs}.stamp + 1;\n"
        "  END LOOP;\n"
        "  PERFORM set_config('backcast.orgs', '', true);\n"
        "  RETURN NULL;\n"
        "END\n$$",
        f"CREATE CONSTRAINT TRIGGER {ORGANIZATIONS} AFTER INSERT OR UPDATE ON {stamp}"
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {ORGANIZATIONS}()",
        f"CREATE OR REPLACE FUNCTION {GOAL_ROWS}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP = 'INSERT' THEN PERFORM {NOTE}(NEW.organization_id); PERFORM {BUMP}(NEW.id);\n"
        f"  ELSE PERFORM {NOTE}(OLD.organization_id); PERFORM {BUMP}(OLD.id); END IF;\n"
        "  RETURN NULL;\n"
        "END\n$$",
        f"CREATE TRIGGER {GOAL_ROWS} AFTER INSERT OR DELETE ON {goal} FOR EACH ROW EXECUTE FUNCTION {GOAL_ROWS}()",
    ]


def sqlite_organization_sql() -> list[str]:
    """The organisations' stamps on SQLite: bumped with each goal stamp, and when a goal is created
    or deleted (SQLite has one writer at a time, so nobody waits on the row for long)."""
    orgs, goal, stamp = OrganizationStamp._meta.db_table, Goal._meta.db_table, GoalStamp._meta.db_table
    bump = (
        f"INSERT INTO {orgs} (organization_id, stamp) SELECT {{org}}, 1 WHERE {{org}} IS NOT NULL"
        " ON CONFLICT (organization_id) DO UPDATE SET stamp = stamp + 1;"
    )
    of_stamp = f"(SELECT organization_id FROM {goal} WHERE id = NEW.goal_id)"  # noqa: S608
    return [
        *(
            f"CREATE TRIGGER {ORGANIZATIONS}_{event} AFTER {event.upper()} ON {stamp}"
            f" FOR EACH ROW BEGIN {bump.format(org=of_stamp)} END"
            for event in ("insert", "update")
        ),
        f"CREATE TRIGGER {GOAL_ROWS}_insert AFTER INSERT ON {goal}"
        f" FOR EACH ROW BEGIN {bump.format(org='NEW.organization_id')} END",
        f"CREATE TRIGGER {GOAL_ROWS}_delete AFTER DELETE ON {goal}"
        f" FOR EACH ROW BEGIN {bump.format(org='OLD.organization_id')} END",
    ]


def sqlite_sql(w: Watch) -> list[str]:
    """Row-level triggers that bump the goal of every row written (SQLite keeps no per-transaction
    state a trigger could read, so each row bumps again; an update in place costs little there)."""
    stamp = GoalStamp._meta.db_table
    sql = []
    for event in w.events:
        bumps = " ".join(
            f"INSERT INTO {stamp} (goal_id, stamp) SELECT g.goal_id, 1"  # noqa: S608
            f" FROM ({w.goals.format(key=f'{row}.{key}')}) g WHERE g.goal_id IS NOT NULL"
            f" ON CONFLICT (goal_id) DO UPDATE SET stamp = stamp + 1;"
            for row in rows(event)
            for key in w.keys
        )
        sql.append(
            f"CREATE TRIGGER {PREFIX}{w.table}_{event} {w.timing(event)} FOR EACH ROW BEGIN {bumps} END"
        )
    return sql


def forget(connection: BaseDatabaseWrapper) -> None:
    """Make the current transaction bump its goals again on their next write (PostgreSQL).

    To be called after summaries are stored: a transaction that wrote a goal's rows, then
    stored its summary (labelled with its own bump), then writes again must bump again, or the
    summary would outlive that last write.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('backcast.generation', %s, true)", [uuid.uuid4().hex])


@contextmanager
def inserts_bump_once(
    connection: BaseDatabaseWrapper, model: type[Model], goal_ids: list[int]
) -> Iterator[None]:
    """Insert many rows of ``model`` with its row trigger off (SQLite), bumping ``goal_ids`` once.

    SQLite runs a trigger for every row: a million readings of one KPI bump the same stamp a
    million times, a third of the import's time. Inside this block the insert trigger of
    ``model``'s table is dropped and, at its end, created again and each goal of ``goal_ids``
    bumped once: the same stamps as row by row. It must run inside the caller's transaction,
    which holds SQLite's write lock from the drop on, so no other connection can write a row
    the missing trigger would have seen; an error rolls the drop back with the rest. The caller
    promises the block inserts only rows of ``goal_ids``. PostgreSQL's trigger already bumps a
    goal once a transaction: there, and where the triggers are not installed, nothing changes.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("inserts_bump_once must run inside a transaction")
    table = model._meta.db_table
    name = f"{PREFIX}{table}_insert"
    watch = next((w for w in watches() if w.table == table and "insert" in w.events), None)
    installed = False
    if connection.vendor == "sqlite" and watch is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
            installed = cursor.fetchone() is not None
            if installed:
                cursor.execute(f"DROP TRIGGER {name}")
    yield
    if installed and watch is not None:
        stamp = GoalStamp._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(sqlite_sql(watch)[watch.events.index("insert")])
            for goal_id in sorted(set(goal_ids)):
                cursor.execute(
                    f"INSERT INTO {stamp} (goal_id, stamp) VALUES (%s, 1)"  # noqa: S608
                    " ON CONFLICT (goal_id) DO UPDATE SET stamp = stamp + 1",
                    [goal_id],
                )


def drop(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (and on PostgreSQL their functions); nothing happens where there are none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for function in (ORGANIZATIONS, GOAL_ROWS):
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}() CASCADE")
            cursor.execute(f"DROP FUNCTION IF EXISTS {BUMP}(bigint)")
            cursor.execute(f"DROP FUNCTION IF EXISTS {NOTE}(bigint)")
        elif connection.vendor == "sqlite":
            for trigger in ("insert", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {ORGANIZATIONS}_{trigger}")
            for trigger in ("insert", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {GOAL_ROWS}_{trigger}")
        for w in watches():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}{w.table}() CASCADE")
            elif connection.vendor == "sqlite":
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{w.table}_{event}")


def install(connection: BaseDatabaseWrapper, *, bump_all: bool = True) -> None:
    """Replace the triggers in one transaction, purge the stamps of deleted goals and (``bump_all``)
    bump every other one.

    Does nothing while the stamp table does not exist (before its migration, or after a
    migration back past it). Only PostgreSQL and SQLite are supported, as by the configuration.
    """
    tables = connection.introspection.table_names()
    if GoalStamp._meta.db_table not in tables or OrganizationStamp._meta.db_table not in tables:
        return
    postgres = connection.vendor == "postgresql"
    make = postgres_sql if postgres else sqlite_sql
    stamp, goal, orgs = GoalStamp._meta.db_table, Goal._meta.db_table, OrganizationStamp._meta.db_table
    organization = Organization._meta.db_table
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        drop(connection)
        if postgres:
            cursor.execute(postgres_bump())
        for statement in postgres_organization_sql() if postgres else sqlite_organization_sql():
            cursor.execute(statement)
        for w in watches():
            for statement in make(w):
                cursor.execute(statement)
        cursor.execute(f"DELETE FROM {stamp} WHERE goal_id NOT IN (SELECT id FROM {goal})")  # noqa: S608
        cursor.execute(f"DELETE FROM {orgs} WHERE organization_id NOT IN (SELECT id FROM {organization})")  # noqa: S608
        if bump_all:
            cursor.execute(f"UPDATE {stamp} SET stamp = stamp + 1")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {orgs} (organization_id, stamp) SELECT id, 1 FROM {organization}"  # noqa: S608
                f" WHERE true ON CONFLICT (organization_id) DO UPDATE SET stamp = {orgs}.stamp + 1"
            )


def before_migrate(sender: AppConfig, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """Drop the triggers when migrations are about to be applied."""
    if sender.label == "goals" and plan:
        drop(connections[using])


def after_migrate(sender: AppConfig, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """Install the triggers; bump every stamp unless nothing was migrated (``flush`` sends no plan)."""
    if sender.label == "goals":
        install(connections[using], bump_all=plan is None or bool(plan))
