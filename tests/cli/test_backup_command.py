"""``backcast export`` and ``backcast import FILE`` as a person runs them: real processes.

The last test moves an installation from its SQLite file to a new PostgreSQL database, as the
README tells people to; it runs when PostgreSQL answers on 127.0.0.1:5432 and is skipped otherwise.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_commands import one_error_line, run

EXTRAS = """
from datetime import date
from backcast.accounts.models import User
from backcast.goals.models import Goal
from backcast.services.goals.comments import add_comment
from backcast.services.replanning.baselines import accept_plan
from backcast.services.platform.tokens import create_token
demo = User.objects.get(email="demo@backcast.local")
goal = Goal.objects.filter(level="goal").order_by("pk").first()
add_comment(demo, goal.pk, {"body": "Restored? Ünïcode survives."})
accept_plan(demo, goal.pk, "first plan")
create_token(demo, "ERP nightly", "write")
"""

FIGURES = """
import json
from datetime import date
from backcast.goals.models import Goal
from backcast.services.reporting.portfolio import summaries
rows = summaries(Goal.objects.order_by("pk"), date(2030, 11, 4))
print(json.dumps([[s.pk, s.status, s.progress, s.feasible, s.unowned] for s in rows]))
"""


def environment(folder: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "BACKCAST_PRODUCTION", "DEBUG"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return clean | {"BACKCAST_DATA_DIR": str(folder), "COLUMNS": "200"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """An installation with the demo, a comment, a baseline and a token, and its backup."""
    folder = tmp_path_factory.mktemp("source")
    env = environment(folder / "data")
    assert run(env, "demo").returncode == 0
    result = run(env, "manage", "shell", "-c", EXTRAS)
    assert result.returncode == 0, result.stderr
    backup = folder / "all.json.gz"
    exported = run(env, "export", str(backup))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"Exported the whole instance: {summary(backup)} to {backup}.\n"
    assert not list(folder.glob("*.partial"))
    return env, backup


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated installation with no data, that the faulty imports leave as it was."""
    env = environment(tmp_path_factory.mktemp("empty") / "data")
    assert run(env, "manage", "migrate", "-v", "0").returncode == 0
    return env


def rows(path: Path) -> int:
    return sum(len(v) for v in data_of(path)["data"].values())


def summary(path: Path) -> str:
    """'N rows of M models', as the commands say it."""
    data = data_of(path)["data"].values()
    return f"{sum(len(v) for v in data):,} rows of {sum(1 for v in data if v)} models"


def data_of(path: Path) -> dict[str, Any]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return dict(json.load(handle))


def figures(env: dict[str, str]) -> Any:
    result = run(env, "manage", "shell", "-c", FIGURES)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_help_shows_backups_and_readings(empty: dict[str, str]) -> None:
    result = run(empty, "import", "--help")
    assert result.returncode == 0, result.stderr
    assert "backcast import FILE restores a backup" in " ".join(result.stdout.split())
    assert "backup" in result.stdout and "readings" in result.stdout
    export = run(empty, "export", "--help")
    assert export.returncode == 0 and "--org" in export.stdout


def test_export_then_import_into_a_new_installation_gives_the_same_backup(
    source: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, backup = source
    fresh = environment(tmp_path / "fresh")
    restored = run(fresh, "import", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"{backup}: restored the whole instance: {summary(backup)}.\n"
    again = tmp_path / "again.json"
    assert run(fresh, "export", str(again)).returncode == 0
    before, after = data_of(backup), data_of(again)
    assert after["data"] == before["data"]
    assert before["data"]["goals.reading"] and before["data"]["accounts.apitoken"]
    assert figures(fresh) == figures(env)
    line = one_error_line(run(fresh, "import", str(backup)))  # a second time: not empty any more
    assert "the database is not empty: it holds accounts.user (5)" in line


def test_an_organisation_through_standard_output_and_input(
    source: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = source
    exported = run(env, "export", "-", "--org", "northwind-operations")
    assert exported.returncode == 0, exported.stderr
    assert "Exported organisation northwind-operations" in exported.stderr
    assert json.loads(exported.stdout)["scope"] == {"organization": "northwind-operations"}
    fresh = environment(tmp_path / "fresh")
    restored = run(fresh, "import", "-", stdin=exported.stdout)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("<stdin>: restored organisation northwind-operations: ")


def test_an_unknown_organisation_leaves_no_file(source: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _ = source
    target = tmp_path / "none.json"
    line = one_error_line(run(env, "export", str(target), "--org", "nowhere"))
    assert line == "backcast: error: --org: no organisation with the slug 'nowhere'"
    assert not target.exists() and not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (b"date,value\n2026-01-05,81\n", "not a Backcast backup (a backup is one JSON object"),
        (b'{"format": "backcast-backup", "version": 99, "data": {}}', "backup version 99 is not supported"),
        (b'{"format": "something-else", "version": 1, "data": {}}', "not a Backcast backup (its format"),
        (b"\xff\xfe\x00binary", "not a Backcast backup (not UTF-8 text)"),
        (gzip.compress(b'{"format": "backcast-backup", "version": 1, "data": {"x"')[:-9], "damaged gzip"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(
    empty: dict[str, str], tmp_path: Path, content: bytes, fault: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    line = one_error_line(run(empty, "import", str(path)))
    assert line.startswith(f"backcast: error: {path}: ") and fault in line


def test_a_missing_file_is_one_line_and_exit_2(empty: dict[str, str], tmp_path: Path) -> None:
    assert one_error_line(run(empty, "import", str(tmp_path / "missing.json"))).endswith("no such file")


@pytest.mark.slow
def test_moving_from_sqlite_to_postgresql(
    source: tuple[dict[str, str], Path], tmp_path: Path, new_postgres_database: str
) -> None:
    env, backup = source
    postgres = environment(tmp_path / "pg-data") | {"DATABASE_URL": new_postgres_database}
    restored = run(postgres, "import", str(backup))
    assert restored.returncode == 0, restored.stderr
    again = tmp_path / "from-postgres.json"
    assert run(postgres, "export", str(again)).returncode == 0
    before, after = data_of(backup)["data"], data_of(again)["data"]
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    assert after == before  # every row, field by field
    assert figures(postgres) == figures(env)
    check = run(postgres, "manage", "check")
    assert check.returncode == 0, check.stderr
    # The ids go on after the restored ones: a new person, membership and token get fresh ids.
    created = run(
        postgres,
        "user",
        "create",
        "new@backcast.local",
        "--org",
        "northwind-operations",
        stdin="a long passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    token = run(postgres, "token", "create", "new@backcast.local")
    assert token.returncode == 0, token.stderr
