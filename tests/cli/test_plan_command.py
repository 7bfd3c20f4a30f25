"""``backcast plan`` as a person runs it: a plan file in, a table or one JSON object out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("backcast")

PLAN = """\
goal: Raise on-time delivery to 95%
deadline: 2027-06-30
start: 2027-01-04
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: [2027-04-02]
resources:
  - id: analysts
    capacity: 2
milestones:
  - id: kickoff
    duration: 0
  - id: audit
    title: Audit carrier performance data
    duration: 10
    estimate: [8, 10, 15]
    demand: {analysts: 1}
    after: [kickoff]
  - id: scorecards
    duration: 5
    demand: {analysts: 2}
    after: [{id: audit, lag: 2}]
  - id: rollout
    duration: 5
    after: [scorecards]
"""


def plan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "plan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def test_json_follows_the_contract(plan_file: Path) -> None:
    result = plan(str(plan_file), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["feasible"] is True and data["overloads"] == []
    assert data["deadline"] == "2027-06-30"
    ms = {m["id"]: m for m in data["milestones"]}
    assert [m["id"] for m in data["milestones"]] == ["kickoff", "audit", "scorecards", "rollout"]
    assert (ms["rollout"]["start"], ms["rollout"]["finish"]) == ("2027-06-24", "2027-06-30")
    assert (ms["scorecards"]["start"], ms["scorecards"]["finish"]) == ("2027-06-17", "2027-06-23")
    # two working days of lag between audit and scorecards
    assert (ms["audit"]["start"], ms["audit"]["finish"]) == ("2027-06-01", "2027-06-14")
    assert data["required_start"] == "2027-06-01"
    assert data["critical_path"] == ["kickoff", "audit", "scorecards", "rollout"]
    assert all(m["critical"] for m in data["milestones"])
    assert {m["slack"] for m in data["milestones"]} == {ms["audit"]["slack"]}
    # Begun on the start instead, its 22 working days end on 2 February.
    assert data["earliest_finish"] == "2027-02-02"


def test_simulation_is_reproducible_with_a_seed(plan_file: Path) -> None:
    first = json.loads(plan(str(plan_file), "--json", "--simulate", "2000", "--seed", "4").stdout)
    again = json.loads(plan(str(plan_file), "--json", "--simulate", "2000", "--seed", "4").stdout)
    assert first["probability_on_time"] == again["probability_on_time"] == 1.0
    assert first["finish_p50"] <= first["finish_p80"] <= first["finish_p95"]
    assert first["finish_p95"] == again["finish_p95"]


def test_the_table_names_milestones_and_gives_the_verdict(plan_file: Path) -> None:
    result = plan(str(plan_file))
    assert result.returncode == 0, result.stderr
    assert "Audit carrier performance data" in result.stdout
    assert "2027-06-24" in result.stdout
    assert "Feasible: the levelled plan must begin by 2027-06-01" in " ".join(result.stdout.split())


def test_an_infeasible_plan_names_the_bottleneck(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(PLAN.replace("start: 2027-01-04", "start: 2027-06-07"))
    data = json.loads(plan(str(path), "--json").stdout)
    assert data["feasible"] is False
    assert data["earliest_finish"] > data["deadline"]
    assert data["overloads"] and "before the start" in data["overloads"][0]["message"]


def test_standard_input_and_json_files(tmp_path: Path) -> None:
    result = plan("-", "--json", stdin=PLAN)
    assert result.returncode == 0, result.stderr
    as_json = tmp_path / "plan.json"
    as_json.write_text(
        json.dumps(
            {"deadline": "2027-03-05", "start": "2027-01-04", "milestones": [{"id": "a", "duration": 5}]}
        )
    )
    data = json.loads(plan(str(as_json), "--json").stdout)
    assert data["milestones"][0]["start"] == "2027-03-01"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("- just\n- a list\n", "mapping"),
        ("deadline: [unclosed\n", "YAML"),
        (PLAN.replace("after: [scorecards]", "after: [nowhere]"), "nowhere"),
        (
            PLAN.replace("duration: 5\n    after: [scorecards]", "duration: -5\n    after: [scorecards]"),
            "duration",
        ),
        (PLAN.replace("after: [kickoff]", "after: [rollout]"), "cycle"),
        (PLAN.replace("demand: {analysts: 2}", "demand: {analysts: 3}"), "capacity"),
        (PLAN.replace("deadline: 2027-06-30", "deadline: 2027-02-30"), "2027-02-30"),
    ],
)
def test_bad_files_are_one_line_and_exit_2(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = plan(str(path), "--json")
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("backcast: error: ")
    assert "bad.yaml" in lines[0] and fragment in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["missing.yaml"], "no such file"),
        (["."], "directory"),
        (["PLAN", "--simulate", "-3"], "--simulate"),
        (["PLAN", "--time-limit", "0"], "--time-limit"),
    ],
)
def test_bad_arguments_are_one_line(plan_file: Path, args: list[str], fragment: str) -> None:
    result = plan(*[str(plan_file) if a == "PLAN" else a for a in args])
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr
