"""``backcast import readings`` as a person runs it: a real process, its output and exit status."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.cli.test_commands import one_error_line, run

SETUP = """
import json
from datetime import date
from backcast.accounts.models import User
from backcast.services.platform.accounts import create_user
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import add_kpi
alice, _ = create_user("alice@acme.test", "pw-long-enough-1", org="Acme", role="admin", validate=False)
create_user("bob@acme.test", "pw-long-enough-1", org="acme", role="viewer", validate=False)
create_user("charlie@other.test", "pw-long-enough-1", org="Other", role="admin", validate=False)
goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
print(json.dumps({"kpi": kpi.pk}))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "BACKCAST_PRODUCTION", "DEBUG"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return clean | {"BACKCAST_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


READINGS = """
import json
from backcast.goals.models import Reading
rows = Reading.objects.order_by("date", "id").values_list("date", "value", "key", "recorded_by__email")
print(json.dumps([[str(d), v, k, e] for d, v, k, e in rows]))
"""


@pytest.fixture
def kpi(env: dict[str, str]) -> int:
    assert run(env, "manage", "migrate", "-v", "0").returncode == 0
    result = run(env, "manage", "shell", "-c", SETUP)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout.strip().splitlines()[-1])["kpi"])


def readings(env: dict[str, str]) -> list[list[object]]:
    result = run(env, "manage", "shell", "-c", READINGS)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", [["import"], ["import", "readings"]])
def test_the_import_commands_have_help(env: dict[str, str], command: list[str]) -> None:
    result = run(env, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and "CSV" in result.stdout


def test_a_good_file_then_the_same_file_again(env: dict[str, str], kpi: int, tmp_path: Path) -> None:
    file = write(tmp_path / "otd.csv", "date,value\n2026-01-05,81\n2026-01-12,82.5\n")
    first = run(env, "import", "readings", file, "--kpi", str(kpi))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{file}: 2 readings (CSV): 2 recorded, 0 recorded before and skipped."
    assert first.stderr == ""  # no progress bar when standard error is not a terminal
    again = run(env, "import", "readings", file, "--kpi", str(kpi))
    assert again.returncode == 0 and "0 recorded, 2 recorded before and skipped" in again.stdout
    assert readings(env) == [
        ["2026-01-05", 81.0, "file:2026-01-05:81.0", None],  # the operator: nobody recorded it
        ["2026-01-12", 82.5, "file:2026-01-12:82.5", None],
    ]


def test_as_a_person_from_standard_input_and_an_xlsx(env: dict[str, str], kpi: int, tmp_path: Path) -> None:
    piped = run(
        env,
        "import",
        "readings",
        "-",
        "--kpi",
        str(kpi),
        "--as",
        "Alice@Acme.test",
        stdin="date;value\n2026-01-05;81,5\n",
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("<stdin>: 1 reading (CSV): 1 recorded")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Value", "Key"])
    sheet.append([date(2026, 1, 12), 0.825, "W2"])
    sheet["B2"].number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    (tmp_path / "otd.xlsx").write_bytes(out.getvalue())
    result = run(
        env, "import", "readings", str(tmp_path / "otd.xlsx"), "--kpi", str(kpi), "--as", "alice@acme.test"
    )
    assert result.returncode == 0, result.stderr
    assert "1 reading (XLSX): 1 recorded" in result.stdout
    assert readings(env) == [
        ["2026-01-05", 81.5, "file:2026-01-05:81.5", "alice@acme.test"],
        ["2026-01-12", 82.5, "W2", "alice@acme.test"],
    ]


def test_a_bad_file_is_one_line_exit_2_and_nothing_written(
    env: dict[str, str], kpi: int, tmp_path: Path
) -> None:
    file = write(
        tmp_path / "bad.csv",
        "date,value,key\n2026-01-05,81,\n2026-01-06,abc,\n,82,\n2026-01-08,83,k\n2026-01-09,84,k\n",
    )
    line = one_error_line(run(env, "import", "readings", file, "--kpi", str(kpi)))
    assert line == (
        f"backcast: error: {file}: 3 faulty rows: row 3: value 'abc' is not a number; "
        "row 4: date is missing; row 6: key 'k' is also on row 5"
    )
    verbose = run(env, "import", "readings", file, "--kpi", str(kpi), "--verbose")
    assert verbose.returncode == 2
    assert verbose.stderr.splitlines() == [
        f"{file}: row 3: value 'abc' is not a number",
        f"{file}: row 4: date is missing",
        f"{file}: row 6: key 'k' is also on row 5",
        line,
    ]
    many = write(tmp_path / "many.csv", "date,value\n" + "2026-01-05,x\n" * 40)
    line = one_error_line(run(env, "import", "readings", many, "--kpi", str(kpi)))
    assert line.startswith(
        f"backcast: error: {many}: 40 faulty rows: row 2: value 'x' is not a number; row 3:"
    )
    assert line.endswith("; and 35 more")
    assert readings(env) == []


def test_faults_outside_the_file_are_one_line(env: dict[str, str], kpi: int, tmp_path: Path) -> None:
    file = write(tmp_path / "otd.csv", "date,value\n2026-01-05,81\n")
    cases = [
        (["import", "readings", str(tmp_path / "nope.csv"), "--kpi", str(kpi)], "nope.csv: no such file"),
        (["import", "readings", str(tmp_path), "--kpi", str(kpi)], "is a directory, not a file of readings"),
        (["import", "readings", file, "--kpi", str(kpi + 100)], f"kpi: no KPI with id {kpi + 100}"),
        (["import", "readings", file, "--kpi", str(kpi), "--as", "nobody@acme.test"], "--as: no active user"),
        (
            ["import", "readings", file, "--kpi", str(kpi), "--as", "bob@acme.test"],
            "bob@acme.test may not record",
        ),
        (
            ["import", "readings", file, "--kpi", str(kpi), "--as", "charlie@other.test"],
            "can see no KPI with id",
        ),
        (["import", "readings", write(tmp_path / "e.csv", ""), "--kpi", str(kpi)], "e.csv: is empty"),
    ]
    for args, fragment in cases:
        assert fragment in one_error_line(run(env, *args)), args
    assert readings(env) == []
