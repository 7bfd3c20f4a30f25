"""The plan-file reader: valid files become plans, every fault is one line naming file, place and line.

Property tests feed it arbitrary bytes, text and JSON-like data: it returns a plan or raises
PlanFileError with a one-line message, never anything else.
"""

from __future__ import annotations

import gc
import json
from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcast.planning.calendar import WorkCalendar
from backcast.planning.model import Dependency, Milestone, Plan, Resource
from backcast.planning.planfile import PlanFileError, read_plan
from backcast.planning.yamlnodes import load

TODAY = date(2026, 11, 2)

PLAN = """\
goal: Raise on-time delivery to 95%
deadline: 2027-06-30
start: 2027-01-04
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: [2027-01-01, 2027-04-02]
resources:
  - id: analysts
    capacity: 2
    title: Data analysts
  - id: drivers
    capacity: 1.5
milestones:
  - id: kickoff
    duration: 0
  - id: permits
    title: Permits
    duration: 3
  - id: design
    duration: 4
  - id: audit
    title: Audit carrier performance data
    duration: 10
    estimate: [8, 10, 15]
    demand: {analysts: 1, drivers: 0.5}
    after: [kickoff, {id: permits, lag: 2}, {id: design, type: ss, lag: -1}]
"""

EXPECTED = Plan(
    goal="Raise on-time delivery to 95%",
    deadline=date(2027, 6, 30),
    start=date(2027, 1, 4),
    milestones=(
        Milestone("kickoff", "kickoff", 0),
        Milestone("permits", "Permits", 3),
        Milestone("design", "design", 4),
        Milestone(
            "audit",
            "Audit carrier performance data",
            10,
            (8, 10, 15),
            {"analysts": 1, "drivers": 0.5},
            (Dependency("kickoff"), Dependency("permits", 2), Dependency("design", -1, "SS")),
        ),
    ),
    resources=(Resource("analysts", 2, "Data analysts"), Resource("drivers", 1.5)),
    calendar=WorkCalendar.of(range(5), [date(2027, 1, 1), date(2027, 4, 2)]),
)

HEAD = "deadline: 2027-06-30\nstart: 2027-01-04\n"


def read(text: str | bytes, name: str = "plan.yaml") -> tuple[Plan, list[str]]:
    return read_plan(text, name=name, today=TODAY)


def fault(text: str | bytes, name: str = "plan.yaml") -> str:
    """The one-line message of the fault in ``text``."""
    with pytest.raises(PlanFileError) as info:
        read_plan(text, name=name, today=TODAY)
    message = str(info.value)
    assert len(message.splitlines()) == 1
    assert message.startswith(name)
    return message


def one(milestone: str, resources: str = "") -> str:
    """A plan whose last milestone is ``milestone`` (YAML lines, indented as list items)."""
    return HEAD + resources + "milestones:\n  - id: first\n    duration: 1\n" + milestone


# Valid files -----------------------------------------------------------------------------------


def test_a_yaml_plan_becomes_the_plan_it_says() -> None:
    plan, warnings = read(PLAN)
    assert plan == EXPECTED
    assert warnings == []
    assert all(type(m.duration) is int for m in plan.milestones)


def test_a_json_plan_reads_the_same_and_bytes_too() -> None:
    data = yaml.safe_load(PLAN)
    for key in ("deadline", "start"):
        data[key] = data[key].isoformat()
    data["calendar"]["holidays"] = [d.isoformat() for d in data["calendar"]["holidays"]]
    text = json.dumps(data)
    assert read(text, "plan.json") == (EXPECTED, [])
    assert read(text.encode(), "PLAN.JSON") == (EXPECTED, [])
    assert read(("\ufeff" + PLAN).encode()) == (EXPECTED, [])
    assert read("\ufeff" + PLAN) == (EXPECTED, [])


def test_defaults_start_today_weekdays_no_resources_and_the_file_stem_as_goal() -> None:
    plan, _ = read("deadline: 2027-06-30\nmilestones: [{id: a, duration: 5}]\n", "plans/otd.yaml")
    assert plan == Plan("otd", date(2027, 6, 30), TODAY, (Milestone("a", "a", 5),))
    assert plan.calendar == WorkCalendar()
    assert read("deadline: 2027-06-30\nmilestones: [{id: a, duration: 5}]\n", "-")[0].goal == ""


def test_keys_without_a_value_are_absent() -> None:
    text = "goal:\ndeadline: 2027-06-30\nstart:\ncalendar:\nresources:\nmilestones:\n  - id: a\n    duration: 2\n"
    text += "    title:\n    estimate:\n    demand:\n    after:\n"
    plan, _ = read(text, "x.yaml")
    assert plan == Plan("x", date(2027, 6, 30), TODAY, (Milestone("a", "a", 2),))
    cal = read(HEAD + "calendar: {workdays: null, holidays: null}\nmilestones: [{id: a, duration: 1}]")[0]
    assert cal.calendar == WorkCalendar()


def test_an_estimate_alone_gives_the_duration_the_likely_value_rounded() -> None:
    plan, _ = read(one("  - id: b\n    estimate: [1, 2.5, 4]\n  - id: c\n    estimate: [1, 3.6, 9]\n"))
    assert [(m.duration, m.estimate) for m in plan.milestones[1:]] == [(2, (1, 2.5, 4)), (4, (1, 3.6, 9))]


def test_numbers_ids_weekdays_and_dependency_forms_are_read_generously_where_safe() -> None:
    text = HEAD + (
        "calendar: {workdays: [Monday, TUE, wed, sat]}\n"
        "milestones:\n"
        "  - {id: 3, duration: 10.0}\n"
        "  - {id: 010, duration: 0x2, after: 3}\n"
        "  - {id: c, duration: 1, after: {id: 010, type: Ff, lag: -2.0}}\n"
        "  - {id: d, duration: 1, after: [{id: c, type: null}]}\n"
    )
    plan, _ = read(text)
    assert plan.calendar.workdays == frozenset({0, 1, 2, 5})
    assert [(m.id, m.duration, m.after) for m in plan.milestones] == [
        ("3", 10, ()),
        ("010", 2, (Dependency("3"),)),
        ("c", 1, (Dependency("010", -2, "FF"),)),
        ("d", 1, (Dependency("c"),)),
    ]
    assert type(plan.milestones[1].duration) is int
    as_json = '{"deadline": "2027-06-30", "milestones": [{"id": 7, "duration": 1}]}'
    assert read(as_json, "p.json")[0].milestones[0].id == "7"


def test_pinned_dates() -> None:
    plan, _ = read(one("  - {id: b, duration: 2, not_before: 2027-02-01, not_after: 2027-03-01}\n"))
    assert (plan.milestones[1].not_before, plan.milestones[1].not_after) == (
        date(2027, 2, 1),
        date(2027, 3, 1),
    )
    message = fault(one("  - {id: b, duration: 2, not_before: 2027-03-02, not_after: 2027-03-01}\n"))
    assert message.startswith(
        "plan.yaml:6: milestones[2] (b).not_after: must finish no later than 2027-03-01"
    )


def test_anchors_aliases_merges_and_explicit_tags() -> None:
    text = HEAD + (
        "defaults: &d {duration: 3, title: Shared}\n"
        "more: &m {demand: {crew: 1}}\n"
        "deps: &after [a]\n"
        "resources: [{id: crew, capacity: !!float 2}]\n"
        "milestones:\n"
        "  - {id: a, <<: *d}\n"
        "  - {id: b, <<: [*m, *d], duration: !!int '4', after: *after}\n"
        "  - {id: !!str 5, duration: 1, after: *after, not_before: !!timestamp 2027-01-05}\n"
        "  - {id: e, duration: 1, not_after: !!null x, title: !!str yes}\n"
    )
    plan, warnings = read(text)
    a, b, five, e = plan.milestones
    assert (a.title, a.duration) == ("Shared", 3)
    assert (b.title, b.duration, b.demand, b.after) == ("Shared", 4, {"crew": 1}, (Dependency("a"),))
    assert five.id == "5" and five.not_before == date(2027, 1, 5)
    assert e.title == "yes" and e.not_after is None
    assert warnings == [
        "plan.yaml:3: unknown key 'defaults' ignored",
        "plan.yaml:4: unknown key 'more' ignored",
        "plan.yaml:5: unknown key 'deps' ignored",
    ]


def test_a_fault_in_a_merged_value_is_on_the_line_it_was_written() -> None:
    text = (
        HEAD
        + "x-base: &d\n  duration: ten\nx-other: &o {title: t}\nmilestones:\n  - id: a\n    <<: [*o, *d]\n"
    )
    assert fault(text) == (
        "plan.yaml:4: milestones[1] (a).duration: duration must be a whole number of working days, not 'ten'"
    )


def test_unknown_keys_are_warnings_with_their_line_and_quiet_keys_are_not() -> None:
    text = (
        "goal: g\nowner: ann\ndescription: d\nnotes: n\nkpis: [otd]\ntags: [a]\nx-team: ops\nx_colour: red\n"
        "deadline: 2027-06-30\nstart: 2027-01-04\nsponsor: bob\n1: one\n"
        "calendar: {workday: [mon]}\n"
        "resources:\n  - {id: crew, capacity: 1, capcity: 2}\n"
        "milestones:\n"
        "  - id: audit\n"
        "    duration: 1\n"
        "    dependecies: [x]\n"
        "    owner: ann\n"
        "  - {id: b, duration: 1, after: [{id: audit, lagg: 2}]}\n"
    )
    plan, warnings = read(text)
    assert len(plan.milestones) == 2
    assert warnings == [
        "plan.yaml:11: unknown key 'sponsor' ignored",
        "plan.yaml:12: unknown key 1 ignored",
        "plan.yaml:13: calendar: unknown key 'workday' ignored (did you mean 'workdays'?)",
        "plan.yaml:15: resources[1] (crew): unknown key 'capcity' ignored (did you mean 'capacity'?)",
        "plan.yaml:19: milestones[1] (audit): unknown key 'dependecies' ignored",
        "plan.yaml:21: milestones[2] (b).after[1]: unknown key 'lagg' ignored (did you mean 'lag'?)",
    ]
    json_text = '{"deadline": "2027-06-30",\n "milestones": [{"id": "a", "duration": 1,\n "durration": 2}]}'
    assert read(json_text, "p.json")[1] == [
        "p.json:3: milestones[1] (a): unknown key 'durration' ignored (did you mean 'duration'?)"
    ]


def test_the_garbage_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    read(PLAN)
    assert gc.isenabled()
    gc.disable()
    try:
        read(PLAN)
        assert not gc.isenabled()
    finally:
        gc.enable()


# Faults of the whole file ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  \n\t\n", "# only a comment\n", b""])
def test_an_empty_file(text: str | bytes) -> None:
    assert fault(text) == "plan.yaml: the file is empty"
    if "#" not in str(text):
        assert fault(text, "plan.json") == "plan.json: the file is empty"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- a\n- b\n", "a list"),
        ("just words\n", "'just words'"),
        ("~\n", "null"),
        ("12\n", "12"),
        ("yes", "true"),
    ],
)
def test_the_top_must_be_a_mapping(text: str, found: str) -> None:
    assert fault(text) == f"plan.yaml: expected a mapping with deadline and milestones, found {found}"


def test_missing_deadline_or_milestones() -> None:
    assert fault("milestones: [{id: a, duration: 1}]\n") == (
        "plan.yaml: missing deadline (the last working day the goal may finish on)"
    )
    assert fault("deadline:\nmilestones: [{id: a, duration: 1}]\n").startswith("plan.yaml: missing deadline")
    assert fault(HEAD) == "plan.yaml: missing milestones (the list of the work to plan)"
    assert fault(HEAD + "milestones: []\n") == "plan.yaml:3: milestones: the plan has no milestones"
    assert (
        fault(HEAD + "milestones: {a: 1}\n")
        == "plan.yaml:3: milestones: milestones must be a list, not a mapping"
    )


def test_invalid_yaml_names_the_line() -> None:
    message = fault("deadline: 2027-06-30\nmilestones: [\n  {id: a\n")
    assert message.startswith("plan.yaml:4: invalid YAML: ")
    assert fault("a: 1\n b: 2\n").startswith("plan.yaml:2: invalid YAML: mapping values are not allowed")
    assert fault("a: 1\n---\nb: 2\n").startswith("plan.yaml:2: invalid YAML: but found another document")
    assert fault("a: \x00\n") == (
        "plan.yaml: invalid YAML: unacceptable character #x0000: control characters are not allowed"
    )
    assert (
        fault("[" * 2000)
        == "plan.yaml:1: invalid YAML: exceeded maximum nesting depth (while increasing flow level)"
    )
    assert fault("{a: " * 900 + "1" + "}" * 900) == "plan.yaml: invalid YAML: nested too deeply"


def test_invalid_json_names_line_and_column() -> None:
    assert fault('{"deadline": "2027-06-30",\n "milestones": [}', "p.json") == (
        "p.json:2: invalid JSON: Expecting value (column 17)"
    )
    assert fault("[" * 100_000, "p.json") == "p.json: invalid JSON: nested too deeply"
    assert fault("deadline: 2027-06-30\n", "p.json") == "p.json:1: invalid JSON: Expecting value (column 1)"


def test_text_that_is_not_utf8_or_not_unicode() -> None:
    assert (
        fault(b"deadline: 2027-06-30\ngoal: caf\xe9\n")
        == "plan.yaml:2: not UTF-8 text: byte 0xe9 cannot be read"
    )
    assert fault("deadline: 2027-06-30\n\ngoal: \ud800\n") == (
        "plan.yaml:3: not Unicode text: a lone surrogate character"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !foo x\n", "plan.yaml:1: invalid YAML: a plan file has no use for the tag !foo"),
        (
            "a: !!set {x}\n",
            "plan.yaml:1: invalid YAML: a plan file has no use for the tag tag:yaml.org,2002:set",
        ),
        (
            "a: !!omap [x: 1]\n",
            "plan.yaml:1: invalid YAML: a plan file has no use for the tag tag:yaml.org,2002:omap",
        ),
        ("a:\n  b: !!int abc\n", "plan.yaml:2: invalid YAML: cannot read 'abc' as int"),
        ("a: !!int ''\n", "plan.yaml:1: invalid YAML: cannot read '' as int"),
        ("a: !!bool maybe\n", "plan.yaml:1: invalid YAML: cannot read 'maybe' as bool"),
        ("a: !!float x\n", "plan.yaml:1: invalid YAML: cannot read 'x' as float"),
        (
            f"a: {'9' * 5000}\n",
            "plan.yaml:1: invalid YAML: cannot read '99999999999999999999999999999999999999999999999",
        ),
        ("? [a, b]\n: 1\n", "plan.yaml:1: invalid YAML: a key must be a single value"),
        ("a: 1\n<<: 3\n", "plan.yaml:2: invalid YAML: << merges mappings only"),
        ("a: {<<: [{b: 1}, [c]]}\n", "plan.yaml:1: invalid YAML: << merges mappings only"),
    ],
)
def test_yaml_values_a_plan_cannot_use(text: str, expected: str) -> None:
    assert fault(text).startswith(expected)


def test_a_key_written_twice() -> None:
    text = HEAD + "milestones:\n  - id: a\n    duration: 1\n    title: A\n    duration: 2\n"
    assert fault(text) == "plan.yaml:7: duplicate key 'duration' (first on line 5)"
    assert fault("a: 1\n<<: {a: 2}\nb: 1\nb: 2\n") == "plan.yaml:4: duplicate key 'b' (first on line 3)"
    as_json = '{"deadline": "2027-06-30",\n"milestones": [],\n"deadline": "2027-06-30"}'
    assert fault(as_json, "p.json") == "p.json:3: duplicate key 'deadline' (first on line 1)"
    # YAML cannot follow this JSON (a tab before the first brace), so no line is known.
    assert fault('\t{"a": 1, "a": 2}', "p.json") == "p.json: duplicate key 'a'"


# Faults in values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("milestone", "expected"),
    [
        (
            "  - id: b\n    duration: ten\n",
            "duration: duration must be a whole number of working days, not 'ten'",
        ),
        (
            "  - id: b\n    duration: '10'\n",
            "duration: duration must be a whole number of working days, not '10' (write the number without quotes)",
        ),
        (
            "  - id: b\n    duration: 2.5\n",
            "duration: duration must be a whole number of working days, not 2.5",
        ),
        ("  - id: b\n    duration: -5\n", "duration: duration must be from 0 to 100000 working days, not -5"),
        (
            "  - id: b\n    duration: 100001\n",
            "duration: duration must be from 0 to 100000 working days, not 100001",
        ),
        (
            "  - id: b\n    duration: true\n",
            "duration: duration must be a whole number of working days, not true",
        ),
        (
            "  - id: b\n    duration: [1]\n",
            "duration: duration must be a whole number of working days, not a list",
        ),
        (
            "  - id: b\n    duration: .nan\n",
            "duration: duration must be a whole number of working days (finite, at most 1e+12 either way), not nan",
        ),
        ("  - id: b\n    duration: -.inf\n", "not -inf"),
        (f"  - id: b\n    duration: {10**400}\n", "(finite, at most 1e+12 either way), not 1000000000000000"),
        ("  - id: b\n    estimate: [1, 2]\n", "estimate: estimate must be a list of three numbers"),
        (
            "  - id: b\n    estimate: 3\n",
            "estimate: estimate must be a list of three numbers [optimistic, likely, pessimistic], not 3",
        ),
        (
            "  - id: b\n    estimate: [1, x, 3]\n",
            "estimate[2]: estimate values must be numbers of working days, not 'x'",
        ),
        (
            "  - id: b\n    estimate: [-1, 2, 3]\n",
            "estimate[1]: estimate values must be from 0 to 100000 working days, not -1",
        ),
        (
            "  - id: b\n    estimate: [5, 2, 3]\n",
            "estimate: estimate must be optimistic <= likely <= pessimistic, all 0 or more, not [5, 2, 3]",
        ),
        (
            "  - id: b\n    title: 42\n    duration: 1\n",
            "title: title must be text, not 42 (put it in quotes)",
        ),
        ("  - id: b\n    title: [x]\n    duration: 1\n", "title: title must be text, not a list"),
        ("  - id: b\n    duration: 1\n    after: [nowhere]\n", "after[1]: unknown milestone 'nowhere'"),
        ("  - id: b\n    duration: 1\n    after: [b]\n", "after[1]: milestone 'b' cannot depend on itself"),
        (
            "  - id: b\n    duration: 1\n    after: [[first]]\n",
            "after[1]: each entry of after must be a milestone id or a mapping with id, not a list",
        ),
        (
            "  - id: b\n    duration: 1\n    after: [{lag: 1}]\n",
            "after[1]: missing id (the milestone this one depends on)",
        ),
        (
            "  - id: b\n    duration: 1\n    after: [{id: first, lag: 1.5}]\n",
            "after[1].lag: lag must be a whole number of working days, not 1.5",
        ),
        (
            "  - id: b\n    duration: 1\n    after: [{id: first, lag: -100001}]\n",
            "lag must be from -100000 to 100000 working days",
        ),
        (
            "  - id: b\n    duration: 1\n    after: [{id: first, type: SF}]\n",
            "after[1].type: unknown dependency type 'SF' (use FS, SS or FF)",
        ),
        (
            "  - id: b\n    duration: 1\n    after: [{id: first, type: 3}]\n",
            "after[1].type: unknown dependency type 3 (use FS, SS or FF)",
        ),
        ("  - id: b\n    duration: 1\n    demand: [crew]\n", "demand: demand must be a mapping, not a list"),
        ("  - id: b\n    duration: 1\n    demand: {crew: 1}\n", "demand.crew: unknown resource 'crew'"),
        (
            "  - id: b\n    duration: 1\n    not_before: 2027-13-01\n",
            "not_before: impossible date '2027-13-01' (month must be in 1..12)",
        ),
    ],
)
def test_faults_in_a_milestone_name_it_and_its_line(milestone: str, expected: str) -> None:
    message = fault(one(milestone))
    assert message.startswith("plan.yaml:")
    line, where = message.split(": ", 1)
    assert int(line.split(":")[1]) >= 6  # the second milestone starts on line 6
    assert where.startswith("milestones[2] (b)")
    assert expected in where


def test_the_line_is_the_line_of_the_fault() -> None:
    assert fault(one("  - id: b\n    title: B\n    duration: ten\n")).startswith(
        "plan.yaml:8: milestones[2] (b).duration:"
    )
    assert fault(one("  - id: b\n    duration: 1\n    after:\n      - first\n      - nowhere\n")) == (
        "plan.yaml:10: milestones[2] (b).after[2]: unknown milestone 'nowhere'"
    )
    # One entry alone, not in a list: the line of after.
    assert fault(one("  - id: b\n    duration: 1\n    after: nowhere\n")) == (
        "plan.yaml:8: milestones[2] (b).after[1]: unknown milestone 'nowhere'"
    )
    assert fault(one("  - id: b\n    duration: 1\n    after: {id: nowhere}\n")) == (
        "plan.yaml:8: milestones[2] (b).after[1]: unknown milestone 'nowhere'"
    )


def test_a_milestone_must_be_a_mapping_with_an_id_and_a_duration() -> None:
    assert (
        fault(one("  - audit\n"))
        == "plan.yaml:6: milestones[2]: each milestone must be a mapping, not 'audit'"
    )
    assert fault(one("  - title: B\n    duration: 1\n")) == "plan.yaml:6: milestones[2]: missing id"
    assert fault(one("  - id: b\n")) == (
        "plan.yaml:6: milestones[2] (b): missing duration (working days, or an estimate: [optimistic, likely, pessimistic])"
    )
    assert fault(one("  - {id: first, duration: 2}\n")) == (
        "plan.yaml:6: milestones[2] (first).id: duplicate id 'first' (also milestone 1)"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("no", "false"), ("On", "true"), ("1.5", "1.5"), ("''", "''"), ("'  '", "'  '"), ("[a]", "a list")],
)
def test_ids_must_be_text(value: str, shown: str) -> None:
    message = fault(one(f"  - id: {value}\n    duration: 1\n"))
    assert message.startswith(f"plan.yaml:6: milestones[2].id: id must be text, not {shown}")
    if shown in ("true", "false"):
        assert "put it in quotes" in message


def test_resource_faults() -> None:
    def res(text: str) -> str:
        return fault(one("  - {id: b, duration: 1, demand: {crew: 1}}\n", "resources:\n" + text))

    assert res("  - {id: crew, capacity: two}\n") == (
        "plan.yaml:4: resources[1] (crew).capacity: capacity must be a number of units a day, not 'two'"
    )
    assert res("  - {id: crew, capacity: -1}\n") == (
        "plan.yaml:4: resources[1] (crew).capacity: capacity must be a number 0 or more, not -1"
    )
    assert res("  - {id: crew}\n") == (
        "plan.yaml:4: resources[1] (crew): missing capacity (units available on each working day)"
    )
    assert res("  - {capacity: 1}\n") == "plan.yaml:4: resources[1]: missing id"
    assert res("  - crew\n") == "plan.yaml:4: resources[1]: each resource must be a mapping, not 'crew'"
    assert res("  - {id: crew, capacity: 1, title: 7}\n").endswith(
        "title: title must be text, not 7 (put it in quotes)"
    )
    assert res("  - {id: crew, capacity: 1}\n  - {id: crew, capacity: 2}\n") == (
        "plan.yaml:5: resources[2] (crew).id: duplicate resource id 'crew'"
    )
    assert fault(HEAD + "resources: {crew: 1}\nmilestones: [{id: a, duration: 1}]\n") == (
        "plan.yaml:3: resources: resources must be a list, not a mapping"
    )


def test_demand_faults() -> None:
    crew = "resources:\n  - {id: crew, capacity: 2}\n"
    assert fault(one("  - {id: b, duration: 1, demand: {crew: 3}}\n", crew)) == (
        "plan.yaml:8: milestones[2] (b).demand.crew: milestone 'b' needs 3 crew a day but the capacity is 2"
    )
    assert fault(one("  - {id: b, duration: 1, demand: {crew: -1}}\n", crew)).endswith(
        "demand.crew: demand must be a number 0 or more, not -1"
    )
    assert fault(one("  - {id: b, duration: 1, demand: {crew: 0.0001}}\n", crew)).endswith(
        "demand.crew: use at most three decimals, not 0.0001"
    )
    assert fault(one("  - {id: b, duration: 1, demand: {crew: }}\n", crew)).endswith(
        "demand.crew: demand must be a number of units a day, not null"
    )
    assert fault(one("  - {id: b, duration: 1, demand: {no: 1}}\n", crew)).startswith(
        "plan.yaml:8: milestones[2] (b).demand: resource ids in demand must be text, not false"
    )
    assert fault(one("  - {id: b, duration: 1, demand: {3: 1, '3': 1}}\n", crew)) == (
        "plan.yaml:8: milestones[2] (b).demand.3: resource '3' is named twice"
    )
    # A checkpoint (duration 0) uses nothing, so its demand may exceed the capacity.
    assert read(one("  - {id: b, duration: 0, demand: {crew: 3}}\n", crew))[0].milestones[1].demand == {
        "crew": 3
    }


def test_a_cycle_names_its_milestones() -> None:
    text = one("  - {id: b, duration: 1, after: [c]}\n  - {id: c, duration: 1, after: [b]}\n")
    assert fault(text) == "plan.yaml:6: milestones[2] (b).after: the dependencies form a cycle: b -> c -> b"


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        ("[mon]", "plan.yaml:3: calendar: calendar must be a mapping, not a list"),
        (
            "{workdays: []}",
            "plan.yaml:3: calendar.workdays: no working weekday: list at least one, e.g. [mon, tue, wed, thu, fri]",
        ),
        (
            "{workdays: [mon, funday]}",
            "plan.yaml:3: calendar.workdays[2]: unknown weekday 'funday' (use mon, tue, wed, thu, fri, sat, sun)",
        ),
        ("{workdays: [1]}", "plan.yaml:3: calendar.workdays[1]: unknown weekday 1 (use mon, tue"),
        ("{workdays: mon}", "plan.yaml:3: calendar.workdays: workdays must be a list, not 'mon'"),
        (
            "{holidays: 2027-01-01}",
            "plan.yaml:3: calendar.holidays: holidays must be a list, not '2027-01-01'",
        ),
        (
            "{holidays: [2027-01-01, 2027-02-29]}",
            "plan.yaml:3: calendar.holidays[2]: impossible date '2027-02-29' (day is out of range for month)",
        ),
        ("{holidays: [1 May]}", "plan.yaml:3: calendar.holidays[1]: not a date (YYYY-MM-DD): '1 May'"),
    ],
)
def test_calendar_faults(calendar: str, expected: str) -> None:
    assert fault(HEAD + f"calendar: {calendar}\nmilestones: [{{id: a, duration: 1}}]\n").startswith(expected)


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        ("2027-02-30", "plan.yaml:1: deadline: impossible date '2027-02-30' (day is out of range for month)"),
        ("2027-6-30", "plan.yaml:1: deadline: not a date (YYYY-MM-DD): '2027-6-30'"),
        ("20270630", "plan.yaml:1: deadline: not a date (YYYY-MM-DD): 20270630"),
        ("2027-06-30T10:00", "plan.yaml:1: deadline: not a date (YYYY-MM-DD): '2027-06-30T10:00'"),
        ("2027-W26-3", "plan.yaml:1: deadline: not a date (YYYY-MM-DD): '2027-W26-3'"),
        (
            "3000-01-01",
            "plan.yaml:1: deadline: date 3000-01-01 is out of range (use 1900-01-01 to 2999-12-31)",
        ),
        ("2026-12-31", "plan.yaml:1: deadline: the deadline 2026-12-31 is before the start 2027-01-02"),
        (
            "2027-01-03",
            "plan.yaml:1: deadline: no working day between the start 2027-01-02 and the deadline 2027-01-03",
        ),
    ],
)
def test_date_faults(deadline: str, expected: str) -> None:
    # 2 January 2027 is a Saturday.
    assert (
        fault(f"deadline: {deadline}\nstart: 2027-01-02\nmilestones: [{{id: a, duration: 1}}]\n") == expected
    )


def test_goal_must_be_text() -> None:
    assert fault("goal: 95\n" + HEAD + "milestones: [{id: a, duration: 1}]\n") == (
        "plan.yaml:1: goal: goal must be text, not 95 (put it in quotes)"
    )


def test_json_faults_have_lines_too_unless_yaml_cannot_follow_the_json() -> None:
    text = '{"deadline": "2027-06-30",\n "milestones": [\n  {"id": "a", "duration": "10"}]}'
    assert fault(text, "p.json") == (
        "p.json:3: milestones[1] (a).duration: duration must be a whole number of working days,"
        " not '10' (write the number without quotes)"
    )
    assert fault('\t{"deadline": "2027-13-01", "milestones": []}', "p.json") == (
        "p.json: deadline: impossible date '2027-13-01' (month must be in 1..12)"
    )
    nan = '{"deadline": "2027-06-30", "milestones": [{"id": "a", "duration": NaN}]}'
    assert fault(nan, "p.json").endswith("(finite, at most 1e+12 either way), not nan")
    big = '{"deadline": "2027-06-30", "milestones": [{"id": "a", "duration": 1' + "0" * 400 + "}]}"
    assert fault(big, "p.json").endswith("(finite, at most 1e+12 either way), not inf")


def test_messages_stay_on_one_line_whatever_the_name_and_values() -> None:
    with pytest.raises(PlanFileError) as info:
        read("deadline: x\n", "two\nlines.yaml")
    assert str(info.value) == "two lines.yaml:1: deadline: not a date (YYYY-MM-DD): 'x'"
    assert fault(one(f"  - id: b\n    duration: {'x' * 100}\n")).endswith(f"not '{'x' * 36}...")


# Properties ------------------------------------------------------------------------------------


def check(text: str | bytes, name: str) -> None:
    """``read_plan`` returns a plan and one-line warnings, or raises a one-line PlanFileError."""
    try:
        plan, messages = read_plan(text, name=name, today=TODAY)
    except PlanFileError as error:
        messages = [str(error)]
    else:
        assert isinstance(plan, Plan)
    assert all(len(m.splitlines()) == 1 and m.startswith(name) for m in messages)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["p.yaml", "p.json"]))
def test_any_bytes_read_or_fail_cleanly(data: bytes, name: str) -> None:
    check(data, name)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["p.yaml", "p.json"]))
def test_any_text_reads_or_fails_cleanly(text: str, name: str) -> None:
    check(text, name)


YAML_BITS = [
    "deadline: 2027-06-30\n",
    "milestones:\n",
    "  - id: a\n",
    "    duration: ",
    "after: ",
    "<<: ",
    "&a ",
    "*a",
    "!!int ",
    "!!str ",
    "!!timestamp ",
    "!!set ",
    "!!binary ",
    "!!omap ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "\n",
    "  ",
    "- ",
    "#",
    "'",
    '"',
    "|\n",
    "2027-02-30",
    "no",
    "1.5",
    "~",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(YAML_BITS) | st.text(" -:[]{}&*!<>?,'\"#|ab01.~\t", max_size=3), max_size=30))
def test_yaml_like_text_reads_or_fails_cleanly(parts: list[str]) -> None:
    check("".join(parts), "p.yaml")


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["2027-06-30", "2027-02-30", "mon", "sat", "FS", "ss", "a", "b", "crew", "no", "10"])
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH)
def test_any_json_like_data_reads_or_fails_cleanly(data: Any) -> None:
    check(json.dumps(data), "p.json")
    check(yaml.safe_dump(data), "p.yaml")


def fields(values: st.SearchStrategy[Any], good: Any) -> st.SearchStrategy[Any]:
    """Mostly a good value, sometimes anything: keeps the plan near-valid so deep checks run."""
    return st.one_of(st.just(good), st.just(good), values)


@st.composite
def near_plans(draw: st.DrawFn) -> dict[str, Any]:
    ids = ["a", "b", "c", "d"]
    milestones = []
    for k in range(draw(st.integers(1, 4))):
        m: dict[str, Any] = {"id": draw(fields(SCALARS, ids[k])), "duration": draw(fields(SCALARS, k + 1))}
        if draw(st.booleans()):
            m["estimate"] = draw(fields(st.lists(SCALARS, max_size=4), [1, 2, 3]))
        if draw(st.booleans()):
            m["demand"] = draw(fields(st.dictionaries(st.sampled_from(["crew", "x"]), SCALARS), {"crew": 1}))
        if draw(st.booleans()):
            entry = st.sampled_from(ids) | st.fixed_dictionaries(
                {"id": st.sampled_from(ids)}, optional={"lag": SCALARS, "type": SCALARS, "extra": SCALARS}
            )
            m["after"] = draw(st.lists(entry, max_size=3))
        milestones.append(m)
    plan: dict[str, Any] = {
        "deadline": draw(fields(SCALARS, "2027-06-30")),
        "start": draw(fields(SCALARS, "2027-01-04")),
        "milestones": milestones,
    }
    if draw(st.booleans()):
        plan["calendar"] = {
            "workdays": draw(fields(st.lists(SCALARS, max_size=3), ["mon", "tue"])),
            "holidays": draw(fields(st.lists(SCALARS, max_size=3), ["2027-01-01"])),
        }
    if draw(st.booleans()):
        plan["resources"] = [{"id": draw(fields(SCALARS, "crew")), "capacity": draw(fields(SCALARS, 2))}]
    return plan


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_plans())
def test_near_valid_plans_read_or_fail_cleanly(data: dict[str, Any]) -> None:
    check(json.dumps(data), "p.json")
    check(yaml.safe_dump(data), "p.yaml")


FINITE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(FINITE)
def test_yaml_loads_as_pyyaml_does(data: Any) -> None:
    text = yaml.safe_dump(data)
    loaded, _ = load(text, json_syntax=False)
    assert loaded == yaml.safe_load(text)
