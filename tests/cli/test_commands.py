"""The ``backcast`` command as a person runs it: a real process, its output and exit status."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("backcast")
STRONG_KEY = "p" * 20 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "BACKCAST_PRODUCTION", "DEBUG"}
    }
    return clean | {"BACKCAST_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("backcast: error: ")
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["demo"],
        ["plan"],
        ["user"],
        ["user", "create"],
        ["token"],
        ["token", "create"],
        ["token", "list"],
        ["token", "revoke"],
    ],
)
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    result = run(env, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert len(result.stdout.split("Usage:")[1].strip()) > 40  # says what it does, not just the syntax


def test_user_token_and_demo_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    created = run(
        env,
        "user",
        "create",
        "Alice@Acme.test",
        "--org",
        "Acme Plant",
        "--role",
        "admin",
        stdin="a long passphrase here\n",
    )
    assert created.returncode == 0, created.stderr
    assert "alice@acme.test is admin of Acme Plant" in created.stdout
    assert (tmp_path / "data" / "backcast.sqlite3").exists()  # created and migrated on first use
    token = run(env, "token", "create", "alice@acme.test", "--name", "ERP", "--scope", "read")
    assert token.returncode == 0, token.stderr
    last = token.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"bc_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", last)
    listed = run(env, "token", "list", "alice@acme.test")
    prefix = last.split("_")[1]
    assert prefix in listed.stdout and last not in listed.stdout
    assert run(env, "token", "revoke", "alice@acme.test", prefix).returncode == 0
    assert "revoked" in run(env, "token", "revoke", "alice@acme.test", prefix).stdout  # harmless twice
    demo = run(env, "demo")
    assert demo.returncode == 0
    assert "demo@backcast.local" in demo.stdout and "backcast-demo" in demo.stdout
    again = run(env, "demo", "--if-empty")
    assert "Already loaded" in again.stdout


def test_demo_if_empty_leaves_a_real_installation_alone(env: dict[str, str]) -> None:
    run(
        env,
        "user",
        "create",
        "ops@plant.test",
        "--org",
        "Plant",
        "--role",
        "admin",
        stdin="another long passphrase\n",
    )
    result = run(env, "demo", "--if-empty")
    assert result.returncode == 0
    assert "not loaded" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (
            ["user", "create", "not-an-email", "--org", "X"],
            "long passphrase 1\n",
            "is not a valid e-mail address",
        ),
        (
            ["user", "create", "a@b.test", "--org", "X", "--role", "boss"],
            "long passphrase 1\n",
            "role: unknown role 'boss'",
        ),
        (["user", "create", "a@b.test", "--org", "X"], "\n", "password: standard input was empty"),
        (["user", "create", "a@b.test", "--org", "X"], "123\n", "password:"),
        (["token", "create", "nobody@b.test"], "", "no user with the e-mail address"),
        (["token", "revoke", "nobody@b.test", "abcd"], "", "no user with the e-mail address"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    env: dict[str, str], args: list[str], stdin: str, fragment: str
) -> None:
    assert fragment in one_error_line(run(env, *args, stdin=stdin))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL: unsupported database 'mysql'"),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/backcast"},
            "cannot connect to the PostgreSQL database 'backcast' on 127.0.0.1:1",
        ),
        (
            {"BACKCAST_PRODUCTION": "true", "ALLOWED_HOSTS": "ops.example"},
            "SECRET_KEY: must be set in production",
        ),
        ({"DEBUG": "perhaps"}, "DEBUG: expected true or false"),
        (
            {"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "*"},
            "ALLOWED_HOSTS: '*' lets any host name in",
        ),
    ],
)
def test_configuration_faults_are_one_line(env: dict[str, str], extra: dict[str, str], fragment: str) -> None:
    commands = [["demo"], ["serve", "--port", "1"], ["token", "list", "a@b.test"]]
    if "DATABASE_URL" not in extra or "mysql" in extra["DATABASE_URL"]:
        commands.append(["manage", "check"])  # a check that needs no connection still reads settings
    for command in commands:
        assert fragment in one_error_line(run(env | extra, *command))


def test_production_mode_passes_check_deploy(env: dict[str, str]) -> None:
    prod = env | {"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "ops.example"}
    result = run(prod, "manage", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return int(response.status), response.read().decode()


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                fetch(f"{url}/account/login/")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_runs_gunicorn_with_static_files_and_refuses_a_taken_port(
    server: str, env: dict[str, str]
) -> None:
    status, page = fetch(f"{server}/account/login/")
    assert status == 200 and "<h1>Backcast</h1>" in page
    status, css = fetch(f"{server}/static/backcast/app.css")
    assert status == 200 and "--accent" in css
    port = server.rsplit(":", 1)[1]
    assert f"cannot listen on 127.0.0.1:{port}" in one_error_line(run(env, "serve", "--port", port))


def test_manage_passes_through_to_django(env: dict[str, str]) -> None:
    result = run(env, "manage", "showmigrations", "accounts")
    assert result.returncode == 0
    assert "0001_initial" in result.stdout
