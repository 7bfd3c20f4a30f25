"""Several processes starting at once on a new PostgreSQL database: one migrates, the others wait.

After an upgrade every app process and worker starts together and each runs ``migrate``; without
the advisory lock of ``cli.setup.migrations_lock`` two would apply the same migration and one
would fail half-way ("relation already exists").
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.test_backup_command import environment
from tests.cli.test_commands import BIN


@pytest.mark.slow
def test_processes_starting_together_migrate_once(tmp_path: Path, new_postgres_database: str) -> None:
    env = environment(tmp_path / "data") | {"DATABASE_URL": new_postgres_database}

    def start(n: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), "user", "create", f"person{n}@plant.example", "--org", f"Plant {n}"],
            env=env,
            input="a long passphrase\n",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(start, range(4)))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "is" in result.stdout
