"""``backcast worker``: ticks, one log line each, a clean stop on SIGTERM; ``serve --worker`` runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.test_commands import BIN, fetch, free_port, run

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
HIDDEN = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "BACKCAST_PRODUCTION", "DEBUG"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh local installation: its own data folder, no database or secret from outside."""
    clean = {k: v for k, v in os.environ.items() if k not in HIDDEN}
    return clean | {"BACKCAST_DATA_DIR": str(tmp_path / "data")}


def wait_for(path: Path, text: str, process: subprocess.Popen[bytes], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        content = path.read_text()
        if text in content:
            return content
        assert process.poll() is None, content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in:\n{path.read_text()}")


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_once_runs_every_job_and_logs_one_line(env: dict[str, str]) -> None:
    result = run(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    [tick] = [line for line in result.stderr.splitlines() if "worker: tick" in line]
    for count in ("reminders=0", "digests=0", "trash=0", "deliveries.sent=0", "errors=0"):
        assert count in tick


def test_sigterm_stops_the_loop_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(BIN), "worker", "--interval", "300"], env=env, stdout=out, stderr=out)
    try:
        wait_for(log, "worker: tick", process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0  # it does not wait out the 300 s pause
    finally:
        if process.poll() is None:
            process.kill()
    assert "worker: stopped" in log.read_text()


def test_serve_with_worker_starts_and_stops_it(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--workers", "1", "--worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(log, "worker: tick", process)
        for _ in range(120):
            try:
                assert fetch(f"http://127.0.0.1:{port}/account/login/")[0] == 200
                break
            except OSError:
                time.sleep(0.25)
        workers = [
            pid
            for pid in children(process.pid)
            if b"backcast.cli.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 1
        process.terminate()
        process.wait(timeout=30)
        assert not Path(f"/proc/{workers[0]}").exists()  # stopped and reaped by serve
        assert "worker: stopped" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others() -> None:
    from backcast.services.platform.jobs import JOBS, run_jobs

    ran: list[datetime] = []

    def broken(now: datetime) -> int:
        raise RuntimeError("boom")

    def fine(now: datetime) -> dict[str, int]:
        ran.append(now)
        return {"done": 2}

    counts = run_jobs(NOW, [("broken", broken), ("fine", fine)])
    assert counts == {"errors": 1, "fine.done": 2}
    assert ran == [NOW]
    assert [name for name, _ in JOBS] == ["reminders", "digests", "trash", "summaries", "deliveries"]
