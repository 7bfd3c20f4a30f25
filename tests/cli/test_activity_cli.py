"""The command line in the audit trail: the operator is "command line", ``--as`` names the person."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_commands import run
from tests.cli.test_import_command import env, kpi  # noqa: F401 - fixtures

EVENTS = """
import json
from backcast.activity.models import Event
rows = Event.objects.filter(action__in=["recorded", "purged"]).order_by("id")
print(json.dumps([[e.action, e.actor_label, e.actor.email if e.actor else None, e.detail] for e in rows]))
"""


def events(env: dict[str, str]) -> list[list[object]]:  # noqa: F811
    result = run(env, "manage", "shell", "-c", EVENTS)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_an_import_is_one_event_by_the_command_line_or_the_person_named(
    env: dict[str, str],  # noqa: F811
    kpi: int,  # noqa: F811
    tmp_path: Path,
) -> None:
    file = tmp_path / "otd.csv"
    file.write_text("date,value\n2026-01-05,81\n2026-01-12,82.5\n", encoding="utf-8")
    assert run(env, "import", "readings", str(file), "--kpi", str(kpi)).returncode == 0
    again = run(
        env,
        "import",
        "readings",
        "-",
        "--kpi",
        str(kpi),
        "--as",
        "alice@acme.test",
        stdin="date,value\n2026-01-19,83\n",
    )
    assert again.returncode == 0, again.stderr
    assert events(env) == [
        ["recorded", "command line", None, f"2 readings from {file}"],
        ["recorded", "alice@acme.test", "alice@acme.test", "1 reading from <stdin>"],  # no name: the e-mail
    ]


def test_purge_runs_once_and_says_how_much(env: dict[str, str], kpi: int) -> None:  # noqa: F811
    result = run(env, "purge")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Purged 0 items from the trash."
    assert run(env, "purge", "--help").stdout.count("30 days") == 1
