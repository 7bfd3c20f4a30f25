"""Backups: a round trip loses nothing, an organisation's backup holds only what is its own.

The comparison is generic: every row of every exported model, field by field, whatever models
exist when the tests run (an activity event or a notification written by a service is compared
like a reading).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection, models

from backcast.accounts.models import ApiToken, User
from backcast.goals.models import KPI, Goal, Reading
from backcast.organizations.models import Organization
from backcast.services.backup import (
    EXCLUDED,
    INSTANCE_ONLY,
    catalog,
    export_backup,
    exported_models,
    import_backup,
    reader,
    scope,
)
from backcast.services.goals.checkins import post_checkin
from backcast.services.goals.comments import add_comment
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, pin_checkpoint, record_readings
from backcast.services.goals.milestones import add_milestone
from backcast.services.goals.resources import create_resource
from backcast.services.notify.feeds import issue_feed
from backcast.services.platform.accounts import create_user
from backcast.services.platform.demo import load_demo
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.invitations import invite
from backcast.services.platform.organizations import create_team
from backcast.services.platform.tokens import create_token
from backcast.services.replanning.baselines import accept_plan
from backcast.services.replanning.scenarios import create_scenario
from backcast.services.reporting.portfolio import summaries
from tests.conftest import PASSWORD

D = date.fromisoformat
TODAY = D("2030-11-04")


def rich_organization(alice: User, acme: Organization, carol: User) -> Goal:
    """Acme with a goal that has one of everything a goal can have, and a contributor's rows."""
    team = create_team(alice, acme.slug, "Logistics")
    team.members.add(carol)
    create_resource(alice, acme.slug, {"name": "Analysts", "capacity": 2})
    objective = create_goal(alice, {"title": "Operational excellence", "deadline": D("2031-12-31")})
    goal = create_goal(
        alice,
        {
            "title": "Raise on-time delivery to 95%",
            "description": "Carriers, scorecards, contracts.",
            "deadline": D("2031-06-30"),
            "start": D("2031-01-06"),
            "parent": objective.pk,
            "team": team.slug,
        },
    )
    goal.contributors.add(carol)
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    readings = [ReadingIn(D("2030-01-06") + timedelta(weeks=w), 80 + w / 7, f"k{w}") for w in range(60)]
    record_readings(carol, kpi.pk, readings)
    pin_checkpoint(alice, kpi.pk, D("2031-03-31"), 88.5)
    audit = add_milestone(
        alice,
        goal.pk,
        {"title": "Audit carriers", "duration": 5, "estimate": [4, 5, 9], "demand": {"Analysts": 1}},
    )
    cards = add_milestone(alice, goal.pk, {"title": "Scorecards", "duration": 5, "after": [audit.pk]})
    add_milestone(
        alice, goal.pk, {"title": "Review contracts", "duration": 2, "after": [{"id": cards.pk, "lag": 2}]}
    )
    post_checkin(
        carol, goal.pk, {"status": "at_risk", "confidence": 6, "note": "Two carriers late.", "blockers": "IT"}
    )
    add_comment(
        carol, goal.pk, {"body": "Scorecards drafted — see the shared folder.", "milestone": cards.pk}
    )
    accept_plan(alice, goal.pk, "first plan")
    create_scenario(
        alice,
        goal.pk,
        {"name": "Two analysts", "changes": {"capacity": [{"resource": "Analysts", "capacity": 3}]}},
    )
    issue_feed(alice)
    issue_feed(carol, goal.pk)
    create_token(alice, "ERP nightly", "write")
    invite(alice, acme.slug, "erin@elsewhere.test", "viewer")  # pending: its link works after a restore
    return goal


def outsider_data(charlie: User) -> Goal:
    goal = create_goal(charlie, {"title": "Cut scrap by half at Other Works", "deadline": D("2031-03-31")})
    kpi = add_kpi(
        charlie,
        goal.pk,
        {"name": "Scrap", "unit": "%", "baseline": 4.0, "target": 2.0, "direction": "decrease"},
    )
    record_readings(charlie, kpi.pk, [ReadingIn(D("2030-10-01"), 3.9)])
    create_token(charlie, "other", "read")
    invite(charlie, "other-works", "frank@elsewhere.test", "viewer")
    return goal


def snapshot(only: set[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every exported model, every stored column, in primary-key order."""
    rows = {}
    for model in exported_models():
        name = catalog.label(model)
        if only is not None and name not in only:
            continue
        cols = [c.attname for c in catalog.columns(model)]
        rows[name] = list(model._base_manager.order_by("pk").values_list(*cols))
    return rows


def wipe() -> None:
    """Empty every table a backup restores, and the derived ones (the catalogues stay, as after migrate)."""
    with connection.cursor() as cursor:
        for model in reversed(catalog.stored_models()):
            if catalog.label(model) not in catalog.CATALOGUES:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def dashboard(org: Organization) -> list[tuple[Any, ...]]:
    """The dashboard's figures of the organisation's goals, from their stored summaries."""
    return sorted(
        (s.pk, s.status, s.measured, s.progress, s.feasible, s.slack_left, s.unowned, s.next_due, s.due)
        for s in summaries(Goal.objects.filter(organization=org), TODAY)
    )


def export(organization: str | None = None) -> str:
    out = io.StringIO()
    export_backup(out, catalog_now(), organization=organization)
    return out.getvalue()


def catalog_now() -> Any:
    from django.utils import timezone

    return timezone.now()


def test_every_model_is_exported_or_excluded_with_a_reason_and_has_a_way_to_its_organisation() -> None:
    stored = {catalog.label(m) for m in catalog.stored_models()}
    exported = {catalog.label(m) for m in exported_models()}
    assert exported | set(EXCLUDED) == stored
    assert not exported & set(EXCLUDED)
    assert set(EXCLUDED) <= stored, "an exclusion names a model that no longer exists"
    assert set(INSTANCE_ONLY) <= exported
    assert all(len(reason) > 20 for reason in [*EXCLUDED.values(), *INSTANCE_ONLY.values()])
    for model in exported_models():
        scope.kind(model)  # raises for a model with no way to an organisation
    for name in ["goals.reading", "goals.goal_contributors", "accounts.apitoken", "feeds.calendarfeed"]:
        assert name in exported


def test_models_come_after_the_models_they_refer_to() -> None:
    order = [catalog.label(m) for m in exported_models()]
    for i, model in enumerate(exported_models()):
        for f in catalog.references(model):
            target = catalog.label(f.related_model)  # type: ignore[arg-type]
            if target != order[i] and target in order:
                assert order.index(target) < i, (order[i], target)


def test_a_round_trip_of_the_instance_loses_nothing(
    alice: User, acme: Organization, bob: User, carol: User, charlie: User
) -> None:
    load_demo(TODAY)
    rich_organization(alice, acme, carol)
    outsider_data(charlie)
    before = snapshot()
    assert len(before["goals.reading"]) >= 60 + 1 + 36
    shown = dashboard(acme)
    text = export()
    document = json.loads(text)
    assert document["format"] == "backcast-backup" and document["version"] == 1
    assert document["scope"] == {"instance": True}
    assert set(document["data"]) == {catalog.label(m) for m in exported_models()}

    wipe()
    assert snapshot() == {name: [] for name in before}
    result = import_backup(io.StringIO(text), "backup.json")
    after = snapshot()
    for name in before:
        assert after[name] == before[name], name
    assert result.counts == {name: len(rows) for name, rows in before.items() if rows}
    assert dashboard(acme) == shown  # the derived summaries rebuild to the same figures
    assert check_password(PASSWORD, User.objects.get(email="alice@acme.test").password)
    kpi = KPI.objects.filter(goal__organization=acme).first()
    assert kpi is not None
    record_readings(alice, kpi.pk, [ReadingIn(D("2031-01-05"), 90.0, "after-restore")])  # ids move on


def test_an_organisations_backup_holds_its_rows_and_people_and_nothing_of_another(
    alice: User, acme: Organization, bob: User, carol: User, charlie: User
) -> None:
    rich_organization(alice, acme, carol)
    other_goal = outsider_data(charlie)
    dave, _ = create_user("dave@acme.test", PASSWORD, org=acme.slug, role="contributor", validate=False)
    kpi = KPI.objects.filter(goal__organization=acme).first()
    assert kpi is not None
    record_readings(dave, kpi.pk, [ReadingIn(D("2030-12-01"), 91.0, "dave")])
    create_token(dave, "dave's", "read")
    dave.memberships.all().delete()  # dave left; his reading stays
    acme_rows = snapshot({"goals.goal", "goals.reading", "goals.milestone", "replanning.baseline"})
    text = export(acme.slug)
    assert "charlie@other.test" not in text and other_goal.title not in text and "Other Works" not in text
    document = json.loads(text)
    assert document["scope"] == {"organization": acme.slug}
    data = document["data"]
    assert [o["slug"] for o in data["organizations.organization"]] == [acme.slug]
    people = {u["email"]: u for u in data["accounts.user"]}
    assert set(people) == {"alice@acme.test", "bob@acme.test", "carol@acme.test", "dave@acme.test"}
    assert people["dave@acme.test"]["password"].startswith("!")  # named by a reading, no longer a member
    assert {t["name"] for t in data["accounts.apitoken"]} == {"ERP nightly"}
    assert [i["email"] for i in data["organizations.invitation"]] == ["erin@elsewhere.test"]
    assert "auth.group" not in data and "admin.logentry" not in data

    wipe()
    import_backup(io.StringIO(text), "acme.json")
    restored = snapshot(set(acme_rows))
    assert restored["goals.goal"] == [r for r in acme_rows["goals.goal"] if r[0] != other_goal.pk]
    assert len(restored["goals.reading"]) == len(acme_rows["goals.reading"]) - 1  # all but charlie's
    assert restored["goals.milestone"] == acme_rows["goals.milestone"]
    assert restored["replanning.baseline"] == acme_rows["replanning.baseline"]
    assert check_password(PASSWORD, User.objects.get(email="carol@acme.test").password)
    assert not User.objects.get(email="dave@acme.test").has_usable_password()
    assert not ApiToken.objects.filter(user__email="dave@acme.test").exists()
    assert not Organization.objects.exclude(pk=acme.pk).exists()


def test_an_import_refuses_a_database_that_is_not_empty_and_names_what_is_there(
    alice: User, acme: Organization
) -> None:
    text = export()
    with pytest.raises(InvalidInput, match=r"not empty: it holds .*accounts\.user \(1\)"):
        import_backup(io.StringIO(text), "backup.json")


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("", "not a Backcast backup"),
        ("date,value\n", "not a Backcast backup"),
        ('{"format": "other", "version": 1, "data": {}}', "not a Backcast backup"),
        ('{"format": "backcast-backup", "version": 2, "data": {}}', "backup version 2 is not supported"),
        ('{"format": "backcast-backup", "data": {}}', "backup version None is not supported"),
        ('{"format": "backcast-backup", "version": 1}', "has no data"),
        ('{"data": {}, "format": "backcast-backup", "version": 1}', "no 'format' before its 'data'"),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"goals.nothing": [{"id": 1}]}}',
            "'goals.nothing' is not a model",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.organization": [{"id": 1, "colour": "red"}]}}',
            "has no field 'colour'",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.organization": [{"name": "x"}]}}',
            "primary key 'id' is missing",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.organization": [{"id": 1, "name": "A", "slug": "a", "created_at": "yesterday"}]}}',
            "created_at",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.team": [{"id": 1, "organization": 7, "name": "T", "slug": "t"}]}}',
            "refers to a row the backup does not hold",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.organization": [{"id": 1, "name": "A", "slug": "a"}, {"id": 1, "name": "B", "slug": "b"}]}}',
            "organizations.organization",
        ),
        (
            '{"format": "backcast-backup", "version": 1, "data": {"organizations.organization": [{"id": 1,',
            "not valid JSON",
        ),
    ],
)
def test_a_faulty_file_is_one_clear_fault_and_writes_nothing(db: Any, text: str, fault: str) -> None:
    with pytest.raises(InvalidInput, match=fault) as caught:
        import_backup(io.StringIO(text), "bad.json")
    assert str(caught.value).startswith("bad.json: ")
    assert "\n" not in str(caught.value)
    assert not Organization.objects.exists()


def test_rows_straddling_the_read_buffer_are_read_whole(
    alice: User, acme: Organization, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rich_organization(alice, acme, carol)
    before = snapshot()
    text = json.dumps(json.loads(export()), indent=3)  # another layout of the same document
    wipe()
    monkeypatch.setattr(reader, "BUFFER", 7)
    import_backup(io.StringIO(text), "indented.json")
    assert snapshot() == before


def test_the_export_is_written_in_chunks_one_row_a_line(
    alice: User, acme: Organization, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rich_organization(alice, acme, carol)
    writes: list[str] = []

    class Recorder(io.StringIO):
        def write(self, s: str) -> int:
            writes.append(s)
            return super().write(s)

    from backcast.services.backup import writer

    monkeypatch.setattr(writer, "CHUNK", 16)
    out = Recorder()
    result = export_backup(out, catalog_now())
    readings = Reading.objects.count()
    assert result.counts["goals.reading"] == readings > 16
    assert max(s.count("\n") for s in writes) <= 16  # no write holds more than a chunk of rows
    lines = out.getvalue().splitlines()
    assert sum(1 for line in lines if line.startswith('   {"id"')) == result.rows


def test_values_json_has_no_type_for_come_back_exactly() -> None:
    cases: list[tuple[models.Field[Any, Any], Any]] = [
        (models.DateTimeField(), datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        (models.DateField(), date(2030, 1, 2)),
        (models.DurationField(), timedelta(days=2, microseconds=7)),
        (models.DecimalField(max_digits=9, decimal_places=4), Decimal("12.3400")),
        (models.BinaryField(), b"\x00\xffbackcast"),
    ]
    for field, value in cases:
        encoded = catalog.encode(value)
        assert json.loads(json.dumps(encoded)) == encoded
        assert field.to_python(encoded) == value


def test_references_to_permissions_and_content_types_follow_their_natural_keys(alice: User) -> None:
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    goal_type = ContentType.objects.get_for_model(Goal)
    perm = Permission.objects.get(codename="change_goal", content_type=goal_type)
    alice.user_permissions.add(perm)
    LogEntry.objects.create(
        user=alice, content_type=goal_type, object_id="7", object_repr="a goal", action_flag=ADDITION
    )
    text = export()
    data = json.loads(text)["data"]
    assert [r["permission"] for r in data["accounts.user_user_permissions"]] == [
        ["change_goal", "goals", "goal"]
    ]
    assert [r["content_type"] for r in data["admin.logentry"]] == [["goals", "goal"]]
    wipe()
    # Another database numbers its catalogues its own way: the same permission under a new id.
    Permission.objects.filter(pk=perm.pk).delete()
    moved = Permission.objects.create(codename="change_goal", name="Can change goal", content_type=goal_type)
    assert moved.pk != perm.pk
    import_backup(io.StringIO(text), "backup.json")
    restored = User.objects.get(email="alice@acme.test")
    assert list(restored.user_permissions.all()) == [moved]
    assert LogEntry.objects.get().content_type == goal_type
    bad = text.replace('["change_goal", "goals", "goal"]', '["fly", "goals", "goal"]')
    wipe()
    with pytest.raises(
        InvalidInput, match=r"permission: no auth\.permission \['fly', 'goals', 'goal'\] in this database"
    ):
        import_backup(io.StringIO(bad), "backup.json")
