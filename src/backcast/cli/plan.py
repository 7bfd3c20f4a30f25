"""``backcast plan FILE``: plan a plan file offline, backward from its deadline.

No database, no Django: the file is read, the planning core plans it, and the result is printed
as a table with the verdict in one sentence, or with ``--json`` as one JSON object. Any fault in
the file is one line on standard error and exit status 2.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backcast.cli.errors import fail
from backcast.planning.engine import DEFAULT_TIME_LIMIT, PlanResult, plan_backward
from backcast.planning.model import PlanError
from backcast.planning.planfile import PlanFileError, read_plan
from backcast.planning.report import as_json, verdict

MAX_RUNS = 100_000


def plan(
    file: str = typer.Argument(..., help="A plan file (YAML or JSON; '-' reads standard input)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    simulate: int = typer.Option(
        0, "--simulate", metavar="N", help="Simulate N runs of the schedule risk (durations from estimates)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed that makes --simulate reproducible."),
    time_limit: float = typer.Option(
        DEFAULT_TIME_LIMIT, "--time-limit", metavar="SECONDS", help="Time the resource levelling may take."
    ),
) -> None:
    """Plan FILE backward from its deadline: dates, slack, critical path and whether it fits.

    Dates are inclusive working days. With resources, the plan is levelled so that no capacity
    is exceeded on any day and every milestone starts as late as it can.
    """
    if not 0 <= simulate <= MAX_RUNS:
        fail(f"--simulate: give a number of runs from 1 to {MAX_RUNS:,}, not {simulate}")
    if not 0 < time_limit <= 600:
        fail(f"--time-limit: give seconds between 0 and 600, not {time_limit}")
    text = read_text(file)
    try:
        spec, warnings = read_plan(text, name=file, today=date.today())  # noqa: DTZ011 - the user's calendar day
        for warning in warnings:
            sys.stderr.write(f"backcast: warning: {warning}\n")
        result = plan_backward(spec, time_limit=time_limit, runs=simulate, risk_seed=seed)
    except PlanFileError as exc:
        fail(str(exc))
    except PlanError as exc:  # the file checked out but planning found a fault (a cycle)
        fail(f"{file}: {exc.message}")
    if json_output:
        sys.stdout.write(json.dumps(as_json(result), indent=2) + "\n")
    else:
        print_table(result)


def read_text(file: str) -> bytes:
    """The bytes of ``file`` (standard input for ``-``); a missing or unreadable file fails cleanly."""
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except IsADirectoryError:
        fail(f"{file}: is a directory, not a plan file")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")


def print_table(result: PlanResult) -> None:
    """The milestones as a table, then overloads and the verdict."""
    console = Console()
    table = Table(title=escape(result.goal) or None, title_justify="left")
    table.add_column("Milestone")
    table.add_column("Days", justify="right")
    table.add_column("Start")
    table.add_column("Finish")
    table.add_column("Slack", justify="right")
    table.add_column("Critical", justify="center")
    for m in result.milestones:
        name = escape(m.id) if m.title == m.id else f"{escape(m.title)} [dim]({escape(m.id)})[/]"
        style = "bold" if m.critical else ""
        table.add_row(
            name,
            str(m.duration),
            m.start.isoformat(),
            m.finish.isoformat(),
            str(m.slack),
            "yes" if m.critical else "",
            style=style,
        )
    console.print(table)
    for overload in result.overloads:
        console.print(f"[yellow]Overload:[/] {escape(overload.message)}", highlight=False)
    colour = "green" if result.feasible else "red"
    console.print(f"[{colour}]{escape(verdict(result))}[/]", highlight=False)
